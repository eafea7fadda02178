"""The wiring task (extensions/wire_checkout.py) on a real Prompture 1.15.1 checkout (layout L4).

Each test copies a fresh sdist checkout, puts small stand-in rendered files in place
(what Copier renders before the task runs), writes an answers file and runs the task's
``main`` on it in-process (``runner.main(argv, root=)``); one test runs the task script as a
real subprocess, as Copier does.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from scaffolding.edits import dunder_all_key, is_sorted, isort_module_key, leading_import_block, natural_key
from scaffolding.fileio import load_toml
from scaffolding.transaction import Transaction, TransactionError
from scaffolding.wiring import runner
from support.copier_cli import tree_digest as digest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

VERSION = "1.15.1"
WIRE = ROOT / "extensions" / "wire_checkout.py"
PLUGINS = "prompture/plugins/builtins/__init__.py"
FAMILY = "prompture/plugins/builtins/openai_compatible_plugin.py"  # nimbus is an OpenAI-compatible API
DRIVERS = "prompture/drivers/__init__.py"
SETTINGS = "prompture/infra/settings.py"
PROVIDER_ENV = "prompture/infra/provider_env.py"
KEYS = "prompture/infra/provider_keys.py"
BRANDS = "prompture/drivers/provider_branding.py"
README, ISSUE_TEMPLATE = "README.md", ".github/ISSUE_TEMPLATE/provider_driver_bug.yml"
REFERENCE = ".claude/skills/add-driver/references/driver-template.md"
EDITED = (
    FAMILY,
    DRIVERS,
    SETTINGS,
    PROVIDER_ENV,
    KEYS,
    BRANDS,
    "pyproject.toml",
    ".env.copy",
    "CLAUDE.md",
    README,
    ISSUE_TEMPLATE,
    REFERENCE,
)
# provider_branding.py is left out: Prompture 1.15.1 ships it already failing `ruff format --check`.
RATES = "prompture/infra/rates/nimbus.json"  # written by the wiring, new
PY_EDITED = (FAMILY, DRIVERS, SETTINGS, PROVIDER_ENV, KEYS)

BASE_ANSWERS = {
    "_commit": "v0.1.0",
    "_src_path": str(ROOT),
    "provider": "nimbus",
    "class_prefix": "Nimbus",
    "display_name": "Nimbus AI",
    "models_dev_provider": "",
    "api_style": "openai_compatible",
    "auth": "api_key_and_endpoint",
    "api_key_env": "NIMBUS_API_KEY",
    "endpoint": "https://api.nimbus.example/v1",
    "endpoint_env": "NIMBUS_ENDPOINT",
    "default_model": "nimbus-large",
    "supports_messages": True,
    "supports_streaming": True,
    "with_example": False,
    "price_input": 0.5,
    "price_output": 1.5,
    # The optional L4 places, as the questionnaire's defaults would answer them.
    "provider_env_fields": True,
    "canonical_name": "nimbus",
    "key_check_url": "https://api.nimbus.example/v1/models",
    "key_check_auth": "bearer",
    "brand": True,
    "brand_domain": "nimbus.example",
    "brand_color": "",
}


# ── helpers (local to this file) ──────────────────────────────────────────────


@pytest.fixture
def checkout(pristine, tmp_path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(pristine, root)
    return root


def render_standins(root: Path, provider: str, prefix: str) -> None:
    """Minimal versions of the four files Copier renders before the task runs."""
    driver = '''\
        """Stand-in {kind}driver for the wiring tests."""

        from typing import Any

        from .{base_module} import {base}


        class {cls}({base}):
            supports_messages = True

            def __init__(self, api_key: str | None = None, model: str = "m", endpoint: str | None = None) -> None:
                self.api_key, self.model, self.endpoint = api_key, model, endpoint

            {async_}def generate(self, prompt: str, options: dict[str, Any]) -> dict[str, Any]:
                return {{"text": prompt, "meta": {{}}}}
        '''
    drivers = root / "prompture" / "drivers"
    (drivers / f"{provider}_driver.py").write_text(
        textwrap.dedent(driver).format(kind="", base_module="base", base="Driver", cls=f"{prefix}Driver", async_="")
    )
    (drivers / f"async_{provider}_driver.py").write_text(
        textwrap.dedent(driver).format(
            kind="async ", base_module="async_base", base="AsyncDriver", cls=f"Async{prefix}Driver", async_="async "
        )
    )


def prepare(root: Path, **changes) -> str:
    """Render the stand-ins and write the answers file; return its name."""
    answers = {**BASE_ANSWERS, **changes}
    answers = {key: value for key, value in answers.items() if value is not None}
    render_standins(root, answers["provider"], answers["class_prefix"])
    name = f".copier-answers.{answers['provider']}.yml"
    (root / name).write_text(yaml.safe_dump(answers, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return name


def wire(root: Path, answers_file: str) -> subprocess.CompletedProcess:
    """The task's ``main`` on ``answers_file`` in ``root``, its output captured as a subprocess's would be."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = runner.main([answers_file], root=root)
    return subprocess.CompletedProcess([str(WIRE), answers_file], code, stdout.getvalue(), stderr.getvalue())


def wire_as_copier_does(root: Path, answers_file: str) -> subprocess.CompletedProcess:
    """The task script as a real subprocess in the checkout, as Copier's ``_tasks`` runs it."""
    return subprocess.run(
        [sys.executable, str(WIRE), answers_file], cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip


def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def all_names(text: str) -> list[str]:
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    return [element.value for element in node.value.elts]


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess:
    """ruff from the checkout folder, so the checkout's own [tool.ruff] config applies."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *PY_EDITED], cwd=root, capture_output=True, text=True, timeout=120
    )


# ── the edits ─────────────────────────────────────────────────────────────────


def test_wires_each_step_in_the_files_own_style(pristine, checkout):
    answers = prepare(checkout)
    result = wire_as_copier_does(checkout, answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Prompture layout: L4 'plugins' (1.1.1 – 1.15.x)",
        f"✓ plugin family: {FAMILY}",
        "✓ driver exports: prompture/drivers/__init__.py",
        "✓ settings: prompture/infra/settings.py",
        "✓ provider environment: prompture/infra/provider_env.py",
        "✓ provider name map: prompture/drivers/__init__.py",
        "✓ API key check: prompture/infra/provider_keys.py",
        "✓ brand: prompture/drivers/provider_branding.py",
        "✓ rate file: prompture/infra/rates/nimbus.json",
        "– dependencies: not applicable (api_style is openai_compatible: no SDK to depend on)",
        "✓ env template: .env.copy",
        "✓ CLAUDE.md driver list: CLAUDE.md",
        f"✓ README provider table: {README}",
        f"✓ issue template provider list: {ISSUE_TEMPLATE}",
        f"✓ add-driver reference table: {REFERENCE}",
        "Rendered: prompture/drivers/nimbus_driver.py, prompture/drivers/async_nimbus_driver.py, "
        ".copier-answers.nimbus.yml",
        f"Edited: {FAMILY}, prompture/drivers/__init__.py, prompture/infra/settings.py, "
        "prompture/infra/provider_env.py, prompture/infra/provider_keys.py, prompture/drivers/provider_branding.py, "
        f"prompture/infra/rates/nimbus.json, .env.copy, CLAUDE.md, {README}, {ISSUE_TEMPLATE}, {REFERENCE}",
    ]

    assert read(checkout, PLUGINS) == read(pristine, PLUGINS)  # the family is registered already
    family = read(checkout, FAMILY)
    # After the last named provider (Z.ai), before the generic router, in the built-ins' own shape (the specs
    # by keyword, as Grok's image specs are: the built-ins' **_llm(...) is a dict[str, object] to mypy).
    assert (
        "        descs.append(zai_desc)\n"
        "\n"
        "        # Nimbus AI\n"
        '        nimbus_kw = {"api_key": "nimbus_api_key", "endpoint": "nimbus_endpoint"}\n'
        "        descs.append(\n"
        "            ProviderDescriptor(\n"
        '                name="nimbus",\n'
        '                llm_sync=DriverSpec("nimbus_driver.NimbusDriver", nimbus_kw, "nimbus_model"),\n'
        '                llm_async=DriverSpec("async_nimbus_driver.AsyncNimbusDriver", nimbus_kw, "nimbus_model"),\n'
        '                display_name="Nimbus AI",\n'
        '                is_configured_check="nimbus_api_key",\n'
        "                list_models_kwargs=[\n"
        '                    ("api_key", "nimbus_api_key", "NIMBUS_API_KEY"),\n'
        '                    ("endpoint", "nimbus_endpoint", "NIMBUS_ENDPOINT"),\n'
        "                ],\n"
        "            )\n"
        "        )\n"
        "\n"
        "        # Generic OpenAI-compatible profile router\n"
    ) in family

    drivers = read(checkout, DRIVERS)
    assert (
        "from .async_moonshot_driver import AsyncMoonshotDriver\n"
        "from .async_nimbus_driver import AsyncNimbusDriver\n"
        "from .async_ollama_driver import AsyncOllamaDriver\n"
    ) in drivers
    assert "from .moonshot_driver import MoonshotDriver\nfrom .nimbus_driver import NimbusDriver\n" in drivers
    names = all_names(drivers)
    assert names[names.index("AsyncMoonshotDriver") + 1] == "AsyncNimbusDriver"
    assert names[names.index("MoonshotDriver") + 1] == "NimbusDriver"
    assert read(pristine, "prompture/__init__.py").count("from .drivers import *") == 1  # so `from prompture import`

    assert (
        '    deepseek_model: str = "deepseek-chat"\n'
        "\n"
        "    # Nimbus AI\n"
        "    nimbus_api_key: str | None = None\n"
        '    nimbus_model: str = "nimbus-large"\n'
        '    nimbus_endpoint: str = "https://api.nimbus.example/v1"\n'
        "\n"
        "    # OpenAI-compatible aggregators"
    ) in read(checkout, SETTINGS)

    env = read(checkout, ".env.copy")
    header = "# ─── Nimbus AI " + "─" * (78 - len("# ─── Nimbus AI "))
    assert (
        "SILICONFLOW_API_KEY=\n\n"
        f"{header}\n"
        "NIMBUS_API_KEY=your-nimbus-api-key\n"
        "NIMBUS_MODEL=nimbus-large\n"
        "NIMBUS_ENDPOINT=https://api.nimbus.example/v1\n\n"
        "# ─── Phase 2: Rerank providers"
    ) in env
    assert "# openrouter, azure, lmstudio, moonshot, zai, modelscope, cachibot, nimbus\nAI_PROVIDER=ollama\n" in env

    assert "zai, cachibot, nimbus, …) implement" in read(checkout, "CLAUDE.md")

    assert (
        "    hf_token: str | None = None\n"
        "    nimbus_api_key: str | None = None\n"
        "    nimbus_endpoint: str | None = None\n\n"
        "    def resolve("
    ) in read(checkout, PROVIDER_ENV)
    assert '    "zai": "zai",\n    "nimbus": "nimbus",\n}\n' in drivers
    assert (
        '    "deepgram": ("https://api.deepgram.com/v1/projects", "token"),\n'
        '    "nimbus": ("https://api.nimbus.example/v1/models", "bearer"),\n}\n'
    ) in read(checkout, KEYS)
    # An API provider joins the inference platforms (Groq, OpenRouter, ModelScope), before the next section.
    assert (
        '        domain="modelscope.cn",\n    ),\n'
        '    "nimbus": ProviderBrand("Nimbus AI", icon_slug=None, brand_color=None, domain="nimbus.example"),\n'
        "\n    # ── enterprise / cloud ──\n"
    ) in read(checkout, BRANDS)
    assert read(checkout, "pyproject.toml") == read(pristine, "pyproject.toml")

    # Lists of every provider: with the keyed providers of the full README table, before the local ones.
    assert (
        "| `cachibot` | `cachibot/openai/gpt-4o-mini` | Automatic |\n"
        "| `nimbus` | `nimbus/nimbus-large` | Automatic |\n"
        "| `lmstudio` |"
    ) in read(checkout, README)
    assert "        - zai\n        - nimbus\n        - other\n" in read(checkout, ISSUE_TEMPLATE)
    reference = "| Nimbus AI | `nimbus_driver.py` | `httpx` | API key + endpoint | — |\n"
    assert "| OpenRouter | `openrouter_driver.py` | `requests` | API key | `openrouter` |\n" + reference in read(
        checkout, REFERENCE
    )


def test_user_content_is_kept_byte_for_byte(pristine, checkout):
    answers = prepare(checkout)
    untouched_before = digest(checkout, skip=EDITED)
    assert wire(checkout, answers).returncode == 0
    assert digest(checkout, skip=(*EDITED, RATES)) == untouched_before  # the rate file is new
    for rel in EDITED:
        old, new = read(pristine, rel).splitlines(), read(checkout, rel).splitlines()
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if tag in ("equal", "insert"):
                continue
            # The only lines that change are the two one-line lists the provider joins.
            assert (rel, tag, i2 - i1, j2 - j1) in ((".env.copy", "replace", 1, 1), ("CLAUDE.md", "replace", 1, 1))
            before, after = old[i1], new[j1]
            assert after in (before + ", nimbus", before.replace(", …)", ", nimbus, …)", 1))


def test_second_run_changes_no_byte(checkout):
    answers = prepare(checkout)
    assert wire(checkout, answers).returncode == 0
    after_first = digest(checkout)
    second = wire(checkout, answers)
    assert second.returncode == 0, second.stderr
    assert digest(checkout) == after_first
    assert second.stdout.splitlines() == [
        "Prompture layout: L4 'plugins' (1.1.1 – 1.15.x)",
        "= plugin family: already there",
        "= driver exports: already there",
        "= settings: already there",
        "= provider environment: already there",
        "= provider name map: already there",
        "= API key check: already there",
        "= brand: already there",
        "= rate file: already there",
        "– dependencies: not applicable (api_style is openai_compatible: no SDK to depend on)",
        "= env template: already there",
        "= CLAUDE.md driver list: already there",
        "= README provider table: already there",
        "= issue template provider list: already there",
        "= add-driver reference table: already there",
        "Rendered: prompture/drivers/nimbus_driver.py, prompture/drivers/async_nimbus_driver.py, "
        ".copier-answers.nimbus.yml",
        "Edited: nothing (every edit was already there)",
    ]


LONG = "nimbus_enterprise_cloud_platform"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"provider": "aardvark", "class_prefix": "Aardvark", "auth": "api_key", "endpoint": None, "endpoint_env": None},
        {"provider": "zzz_top", "class_prefix": "ZzzTop", "auth": "endpoint", "api_key_env": None},
        {"provider": "lm2", "class_prefix": "LM2", "api_key_env": "LM2_TOKEN"},
        {
            "provider": LONG,
            "class_prefix": "NimbusEnterpriseCloudPlatform",
            "display_name": " Nimbus Enterprise Cloud Platform  (a display name longer than the header rule) ",
            "api_key_env": "NIMBUS_ENTERPRISE_CLOUD_PLATFORM_ACCESS_TOKEN_FOR_THE_API",
            "endpoint": "https://api.nimbus-enterprise-cloud-platform.example/v1/chat/completions/for/testing",
            "endpoint_env": "NIMBUS_ENTERPRISE_CLOUD_PLATFORM_BASE_URL_OVERRIDE_VARIABLE",
        },
    ],
    ids=["nimbus", "first-in-order", "last-in-order-endpoint-only", "digits-and-env-alias", "long-names"],
)
def test_edited_files_pass_ruff_under_the_checkout_config(pristine, checkout, changes):
    answers = prepare(checkout, **changes)
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    check, fmt = ruff(checkout, "check", "--no-cache"), ruff(checkout, "format", "--check", "--no-cache")
    assert check.returncode == 0, check.stdout + check.stderr
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    assert_brand_lines_survive_ruff_format(pristine, checkout)
    before = digest(checkout)
    assert wire(checkout, answers).returncode == 0
    assert digest(checkout) == before


def assert_brand_lines_survive_ruff_format(pristine: Path, checkout: Path) -> None:
    """provider_branding.py is unformatted upstream, so check only what we added: ruff format keeps it as is."""
    old, new = read(pristine, BRANDS).splitlines(), read(checkout, BRANDS).splitlines()
    added = [line[2:] for line in difflib.ndiff(old, new) if line.startswith("+ ")]
    assert added
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", BRANDS], cwd=checkout, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--stdin-filename", BRANDS, "-"],
        cwd=checkout, input=read(checkout, BRANDS), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "\n".join(added) in formatted


def test_custom_env_names_are_read_by_settings_from_env_and_dotenv(checkout):
    answers = prepare(checkout, api_key_env="NIMBUS_TOKEN", endpoint_env="NIMBUS_BASE_URL")
    assert wire(checkout, answers).returncode == 0
    settings = read(checkout, SETTINGS)
    assert "from pydantic import AliasChoices, Field, SecretStr\n" in settings
    assert (
        '    nimbus_api_key: str | None = Field(default=None, validation_alias=AliasChoices("nimbus_api_key", '
        '"NIMBUS_TOKEN"))\n'
    ) in settings
    assert '    "nimbus_api_key": ("NIMBUS_TOKEN",),\n    "nimbus_endpoint": ("NIMBUS_BASE_URL",),\n}' in settings
    env = read(checkout, ".env.copy")
    assert "NIMBUS_TOKEN=your-nimbus-api-key\nNIMBUS_MODEL=nimbus-large\nNIMBUS_BASE_URL=https://" in env
    assert "NIMBUS_API_KEY" not in env


@pytest.mark.parametrize(
    ("changes", "family"),
    [
        ({"auth": "endpoint", "api_key_env": None}, "local_plugin.py"),
        ({"api_style": "http"}, "extras_plugin.py"),
        (
            {
                "api_style": "custom_sdk",
                "sdk_package": "nimbus-sdk",
                "sdk_min_version": "1.0",
                "sdk_import": "nimbus_sdk",
            },
            "extras_plugin.py",
        ),
    ],
    ids=["endpoint-only", "http", "custom-sdk"],
)
def test_each_kind_of_provider_joins_its_family(pristine, checkout, changes, family):
    answers = prepare(checkout, **changes)
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    builtins = "prompture/plugins/builtins/"
    assert f"✓ plugin family: {builtins}{family}" in result.stdout.splitlines()
    assert 'name="nimbus"' in read(checkout, builtins + family)
    others = {"openai_compatible_plugin.py", "local_plugin.py", "extras_plugin.py", "__init__.py"} - {family}
    assert all(read(checkout, builtins + other) == read(pristine, builtins + other) for other in others)


@pytest.mark.parametrize("lazy", [True, False], ids=["lazy-extra", "eager-dependency"])
def test_custom_sdk_dependency_keeps_pyproject_formatting(pristine, checkout, lazy):
    answers = prepare(
        checkout, api_style="custom_sdk", sdk_package="nimbus-sdk", sdk_min_version="2.1", sdk_import="nimbus_sdk",
        lazy_import=lazy, auth="api_key", endpoint=None, endpoint_env=None,
    )  # fmt: skip
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    assert "✓ dependencies: pyproject.toml" in result.stdout.splitlines()
    old, new = read(pristine, "pyproject.toml"), read(checkout, "pyproject.toml")
    added = [line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-"]
    project = load_toml(new)["project"]
    if lazy:
        assert added == ['+ nimbus = ["nimbus-sdk>=2.1"]']
        assert project["optional-dependencies"]["nimbus"] == ["nimbus-sdk>=2.1"]
        assert '+ nimbus = ["nimbus-sdk>=2.1"]\n  \n  [project.scripts]' in "\n".join(
            difflib.ndiff(old.splitlines(), new.splitlines())
        )
    else:
        assert added == ['+     "nimbus-sdk>=2.1",']
        assert project["dependencies"][-1] == "nimbus-sdk>=2.1"
    before = digest(checkout)
    again = wire(checkout, answers)
    assert "= dependencies: already there" in again.stdout.splitlines()
    assert digest(checkout) == before


# ── all-or-nothing ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("rel", "old", "new", "named"),
    [
        (".env.copy", "# Set AI_PROVIDER to one of:", "# Providers:", "AI_PROVIDER"),
        ("CLAUDE.md", "- **`prompture/drivers/`**", "- **`prompture/backends/`**", "prompture/drivers/"),
        ("CLAUDE.md", "cachibot, …)", "cachibot and more)", "driver list"),
        (SETTINGS, "_model: str", "_default_model: str", "provider block in class Settings"),
        (FAMILY, "descs.append(", "descs.extend(", "descriptors(self)"),
        (DRIVERS, "__all__ = [", "__exports__ = [", "__all__"),
        (PROVIDER_ENV, "class ProviderEnvironment:", "class ProviderEnv:", "ProviderEnvironment"),
        (DRIVERS, "PROVIDER_NAME_MAP: dict[str, str] = {", "PROVIDER_NAME_MAP: dict = {} or {", "PROVIDER_NAME_MAP"),
        (KEYS, "_KEY_CHECKS", "_LIVE_CHECKS", "_KEY_CHECKS"),
        (BRANDS, "PROVIDER_BRANDS: dict", "BRANDS: dict", "PROVIDER_BRANDS"),
    ],
    ids=[
        "env-provider-list", "claude-bullet", "claude-driver-list", "settings-blocks", "plugin-family", "drivers-all",
        "provider-environment", "name-map", "key-checks", "brands",
    ],
)  # fmt: skip
def test_a_missing_anchor_fails_and_changes_nothing(checkout, rel, old, new, named):
    text = read(checkout, rel)
    assert old in text
    (checkout / rel).write_text(text.replace(old, new), encoding="utf-8")  # every occurrence
    answers = prepare(checkout)
    before = digest(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 1
    assert rel in result.stderr and named in result.stderr, result.stderr
    assert "Nothing was changed." in result.stderr
    assert result.stdout == ""
    assert digest(checkout) == before


def test_a_read_only_file_rolls_back_the_files_already_written(checkout):
    answers = prepare(checkout)
    before = digest(checkout)
    written_first = checkout / FAMILY
    mtime = written_first.stat().st_mtime_ns
    claude = checkout / "CLAUDE.md"  # the last file written
    claude.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        result = wire(checkout, answers)
    finally:
        claude.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    assert result.returncode == 1
    assert "CLAUDE.md" in result.stderr and "read-only" in result.stderr, result.stderr
    assert digest(checkout) == before  # same bytes everywhere, no temporary files left
    # The family plugin was written, then restored (not merely skipped): the rollback ran.
    assert written_first.stat().st_mtime_ns != mtime


def test_a_missing_rendered_module_fails_before_any_edit(checkout):
    answers = prepare(checkout)
    (checkout / "prompture/drivers/async_nimbus_driver.py").unlink()
    before = digest(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 1
    assert "prompture/drivers/async_nimbus_driver.py" in result.stderr and "AsyncNimbusDriver" in result.stderr
    assert digest(checkout) == before


def test_bad_answers_are_refused(checkout):
    answers = prepare(checkout)
    data = yaml.safe_load(read(checkout, answers))
    data.update(default_model='x"; import os', api_key_env="lower_case")
    (checkout / answers).write_text(yaml.safe_dump(data))
    before = digest(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 1
    assert "is not a usable model id" in result.stderr
    assert "lower_case" in result.stderr
    assert digest(checkout) == before


def test_a_file_changed_while_wiring_is_refused(checkout):
    tx = Transaction(checkout)
    tx.stage(FAMILY, tx.text(FAMILY) + "# one\n")
    tx.stage("CLAUDE.md", tx.text("CLAUDE.md") + "two\n")
    (checkout / "CLAUDE.md").write_text(read(checkout, "CLAUDE.md") + "someone else\n", encoding="utf-8")
    before = digest(checkout)
    with pytest.raises(TransactionError, match=r"CLAUDE\.md: changed while wiring"):
        tx.commit()
    assert digest(checkout) == before


def test_a_staged_edit_that_breaks_python_is_never_written(checkout):
    tx = Transaction(checkout)
    tx.stage(SETTINGS, tx.text(SETTINGS) + "def broken(:\n")
    before = digest(checkout)
    with pytest.raises(TransactionError, match="would not parse"):
        tx.commit()
    assert digest(checkout) == before


def test_crlf_files_keep_their_line_ends(checkout):
    claude = checkout / "CLAUDE.md"
    claude.write_bytes(claude.read_bytes().replace(b"\n", b"\r\n"))
    answers = prepare(checkout)
    assert wire(checkout, answers).returncode == 0
    data = claude.read_bytes()
    assert b"cachibot, nimbus, \xe2\x80\xa6)" in data
    assert data.count(b"\n") == data.count(b"\r\n")


# ── the sort orders match ruff's (checked against files ruff passes) ──────────


def test_sort_keys_agree_with_the_orders_in_prompture(pristine):
    drivers = read(pristine, DRIVERS)
    for text in (drivers, read(pristine, PLUGINS)):
        assert is_sorted(all_names(text), dunder_all_key)
    block = leading_import_block(ast.parse(drivers))  # up to register_all_builtin_drivers()
    modules = [node.module for node in block if isinstance(node, ast.ImportFrom) and node.level == 1]
    assert len(modules) > 100 and is_sorted(modules, isort_module_key)
    assert sorted(["a10", "a9", "a1"], key=natural_key) == ["a1", "a9", "a10"]
    assert sorted(["lower", "Camel", "UPPER"], key=dunder_all_key) == ["UPPER", "Camel", "lower"]


# ── the wired checkout imports for real ───────────────────────────────────────


def _runtime(pristine: Path) -> str:
    """This interpreter when it can import Prompture's dependencies, else the cached release venv."""
    probe = subprocess.run(
        [sys.executable, "-c", "import prompture.drivers"], cwd=pristine, capture_output=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(pristine), "HOME": str(pristine.parent)},
    )  # fmt: skip
    if probe.returncode == 0:
        return sys.executable
    from support.prompture_runtime import runtime_python

    return str(runtime_python(VERSION))


def test_the_wired_checkout_imports_and_builds_the_driver(pristine, checkout, tmp_path):
    answers = prepare(checkout, api_key_env="NIMBUS_TOKEN", endpoint_env="NIMBUS_BASE_URL")
    assert wire(checkout, answers).returncode == 0
    work = tmp_path / "work"
    work.mkdir()
    (work / ".env").write_text("NIMBUS_TOKEN=sk-from-dotenv\n")  # the name the answers gave, only in .env
    code = textwrap.dedent(
        """
        from prompture import NimbusDriver
        from prompture.drivers import AsyncNimbusDriver, get_async_driver_for_model, get_driver_for_model
        from prompture.drivers.provider_descriptors import PROVIDER_DESCRIPTOR_MAP

        assert PROVIDER_DESCRIPTOR_MAP["nimbus"].display_name == "Nimbus AI"
        driver = get_driver_for_model("nimbus/nimbus-mini")
        assert isinstance(driver, NimbusDriver), driver
        print(driver.model, driver.api_key, driver.endpoint)
        print(get_driver_for_model("nimbus").model)
        assert isinstance(get_async_driver_for_model("nimbus/x"), AsyncNimbusDriver)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_ENDPOINT", "_TOKEN"))}
    env.update(PYTHONPATH=str(checkout), HOME=str(tmp_path), NIMBUS_BASE_URL="https://proxy.example/v1")
    result = subprocess.run(
        [_runtime(pristine), "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["nimbus-mini sk-from-dotenv https://proxy.example/v1", "nimbus-large"]


def test_sort_keys_match_ruff_on_tricky_names(tmp_path):
    """Digits, case and underscores: our order must be the one ruff's isort and RUF022 accept."""
    modules = ["m10", "M2", "m1", "lm_studio", "lmstudio", "LMX", "a_b", "ab", "a0", "async_z", "asyncz"]
    imports = "".join(f"from .{m} import name{i}\n" for i, m in enumerate(sorted(modules, key=isort_module_key)))
    names = ["ZETA", "Zeta", "zeta", "A10", "A9", "a_b", "aB", "Ab", "AB_C", "A", "_private", "x1", "X", "LMStudio"]
    dunder_all = "__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(names, key=dunder_all_key)) + "]\n"
    (tmp_path / "imports.py").write_text(imports)
    (tmp_path / "exports.py").write_text(dunder_all)
    for file, rule in (("imports.py", "I"), ("exports.py", "RUF022")):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", rule, file],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout


# ── the optional L4 places (wiring/extras.py) ────────────────────────────────


def test_the_optional_places_work_in_prompture(pristine, checkout, tmp_path):
    """Per-consumer key, canonical name, brand, and `prompture setup`'s live key check against a real server."""
    from support.fake_openai import FakeOpenAI

    with FakeOpenAI(api_key="sk-good") as server:
        answers = prepare(
            checkout, endpoint=server.url, key_check_url=f"{server.url}/models", canonical_name="nimbus-cloud",
            brand_color="#0a7cff",
        )  # fmt: skip
        assert wire(checkout, answers).returncode == 0
        code = textwrap.dedent(
            """
            from prompture.drivers import PROVIDER_NAME_MAP, get_driver_for_model, provider_for_model
            from prompture.drivers.provider_branding import get_provider_brand
            from prompture.infra.provider_env import ProviderEnvironment
            from prompture.infra.provider_keys import provider_key_catalogue, validate_key

            driver = get_driver_for_model("nimbus/nimbus-mini", env=ProviderEnvironment(nimbus_api_key="sk-consumer"))
            print(type(driver).__name__, driver.api_key)
            print(provider_for_model("nimbus/x", canonical=True))
            brand = get_provider_brand("nimbus")
            print(brand.display_name, brand.brand_color, brand.domain, brand.is_local)
            print(validate_key("nimbus", "sk-good").status, validate_key("nimbus", "sk-wrong").status)
            print([k.env_var for k in provider_key_catalogue() if k.provider == "nimbus"])
            """
        )
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_ENDPOINT", "_TOKEN", "PROXY"))}
        env.update(PYTHONPATH=str(checkout), HOME=str(tmp_path), NO_PROXY="127.0.0.1,localhost")
        result = subprocess.run(
            [_runtime(pristine), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
        keys_sent = [r["headers"].get("authorization") for r in server.requests if r["path"].endswith("/models")]
    assert result.stdout.splitlines() == [
        "NimbusDriver sk-consumer",
        "nimbus-cloud",
        "Nimbus AI 0A7CFF nimbus.example False",
        "valid invalid",
        "['NIMBUS_API_KEY']",
    ]
    assert keys_sent == ["Bearer sk-good", "Bearer sk-wrong"]


def test_optional_places_answered_no_are_left_alone(pristine, checkout):
    answers = prepare(checkout, provider_env_fields=False, canonical_name="", key_check_url="", brand=False)
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for line in (
        "– provider environment: not applicable (provider_env_fields not answered yes)",
        "– provider name map: not applicable (canonical_name left empty)",
        "– API key check: not applicable (key_check_url left empty)",
        "– brand: not applicable (brand not answered yes)",
    ):
        assert line in lines
    for rel in (PROVIDER_ENV, KEYS, BRANDS):
        assert read(checkout, rel) == read(pristine, rel)
    assert "PROVIDER_NAME_MAP" in read(checkout, DRIVERS) and '"nimbus": "' not in read(checkout, DRIVERS)


def test_an_older_answers_file_without_these_answers_skips_them(pristine, checkout):
    """A checkout scaffolded before these questions existed: nothing is guessed for them."""
    keys = ("provider_env_fields", "canonical_name", "key_check_url", "key_check_auth", "brand", "brand_domain")
    answers = prepare(checkout, **{key: None for key in (*keys, "brand_color")})
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    assert sum(line.startswith("– ") for line in result.stdout.splitlines()) == 5  # 4 places + dependencies
    for rel in (PROVIDER_ENV, KEYS, BRANDS):
        assert read(checkout, rel) == read(pristine, rel)


def test_a_local_provider_brand_goes_last_and_has_no_key_check(pristine, checkout):
    answers = prepare(
        checkout, provider="zz_local", class_prefix="ZzLocal", display_name="ZZ Local", auth="endpoint",
        api_key_env=None, endpoint="http://localhost:9000/v1", brand_domain="", brand_color="64748b",
    )  # fmt: skip
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    assert "– API key check: not applicable (auth is endpoint: no API key to check)" in result.stdout.splitlines()
    assert read(checkout, KEYS) == read(pristine, KEYS)
    assert read(checkout, BRANDS).endswith(
        '        "AirLLM", icon_slug=None, brand_color="64748B", is_local=True,\n    ),\n'
        '    "zz_local": ProviderBrand("ZZ Local", icon_slug=None, brand_color="64748B", is_local=True, domain=None),\n'
        "}\n\n\n" + read(pristine, BRANDS).split("}\n\n\n", 1)[1]
    )
    assert "    zz_local_endpoint: str | None = None\n" in read(checkout, PROVIDER_ENV)
    assert "zz_local_api_key" not in read(checkout, PROVIDER_ENV)


def test_entries_tuned_by_hand_are_kept(checkout):
    answers = prepare(checkout)
    assert wire(checkout, answers).returncode == 0
    for rel, old, new in (
        (BRANDS, '"Nimbus AI", icon_slug=None,', '"Nimbus AI", icon_slug="nimbus",'),
        (DRIVERS, '"nimbus": "nimbus",', '"nimbus": "nimbus-labs",'),
        (KEYS, '/v1/models", "bearer"),', '/v1/models?limit=1", "bearer"),'),
    ):
        (checkout / rel).write_text(read(checkout, rel).replace(old, new), encoding="utf-8")
    before = digest(checkout)
    again = wire(checkout, answers)
    assert again.returncode == 0, again.stderr
    assert digest(checkout) == before
    kept = "already there (differs from the answers; kept as it is)"
    for step in ("provider name map", "API key check", "brand"):
        assert f"= {step}: {kept}" in again.stdout.splitlines()


def test_a_release_without_these_files_skips_their_steps(checkout):
    (checkout / KEYS).unlink()
    (checkout / BRANDS).unlink()
    answers = prepare(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"– API key check: not applicable (this release has no {KEYS})" in lines
    assert f"– brand: not applicable (this release has no {BRANDS})" in lines


def test_a_key_check_style_the_checkout_does_not_know_is_refused(checkout):
    text = read(checkout, KEYS)
    (checkout / KEYS).write_text(text.replace('    if style == "xi":\n        return {"xi-api-key": key}\n', ""))
    answers = prepare(checkout, key_check_auth="xi")
    before = digest(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 1
    assert "'xi' auth style" in result.stderr and "anthropic, bearer, goog, token" in result.stderr, result.stderr
    assert digest(checkout) == before


def test_a_dict_built_with_unpacking_is_refused_naming_its_file(checkout):
    old = "KEY_ALIASES: dict[str, tuple[str, ...]] = {\n"
    text = read(checkout, SETTINGS)
    assert old in text
    (checkout / SETTINGS).write_text(text.replace(old, old + "    **{},\n", 1), encoding="utf-8")
    answers = prepare(checkout, api_key_env="NIMBUS_TOKEN")  # a custom name goes into KEY_ALIASES
    before = digest(checkout)
    result = wire(checkout, answers)
    assert result.returncode == 1
    assert f"{SETTINGS}: a dict literal with ** unpacking cannot take a new entry (settings step)" in result.stderr
    assert result.stderr.count("Nothing was changed.") == 1
    assert digest(checkout) == before

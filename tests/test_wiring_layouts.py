"""The wiring on every layout's pinned sdist, in process: each answer shape, idempotency, ruff, refusals.

Stand-in driver modules take the place of the rendered ones (the end-to-end matrix in
test_copy_layouts.py renders the real ones); ``wire`` is the task's own function.
"""

from __future__ import annotations

import ast
import difflib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scaffolding.edits import WiringError
from scaffolding.facts import provider_facts
from scaffolding.layouts import LAYOUTS, PROVIDER_LISTS, LayoutError, detect_layout, layout_named
from scaffolding.transaction import Transaction
from scaffolding.wiring import STEPS, Answers, Context, wire
from scaffolding.wiring.dependencies import step_pyproject
from support.copier_cli import tree_digest as digest
from support.prompture_runtime import checkout_env, run_python, runtime_python
from support.scaffold import format_complaints
from support.sdists import extract_checkout

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

PINS = {layout.name: layout.pin for layout in LAYOUTS}
OLD = ("L1", "L2", "L3")
SETUP_PY_ERA = "0.0.33"  # the last release that declares its dependencies in setup.py (and has no async drivers)

BASE = {
    "provider": "acme",
    "class_prefix": "Acme",
    "display_name": "Acme AI",
    "api_style": "openai_compatible",
    "auth": "api_key_and_endpoint",
    "api_key_env": "ACME_API_KEY",
    "endpoint": "https://api.acme.example/v1",
    "endpoint_env": "ACME_ENDPOINT",
    "default_model": "acme-chat-1",
    "models_dev_provider": "acme-ai",
    "provider_env_fields": True,  # asked on L2, L3 (and L4) where infra/provider_env.py exists; default yes
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("pins")
    return {name: extract_checkout(pin, base / name) for name, pin in PINS.items()}


def checkout_of(pristine: dict[str, Path], name: str, tmp_path: Path) -> Path:
    root = Path(shutil.copytree(pristine[name], tmp_path / name))
    render_standins(root, name)
    return root


def render_standins(root: Path, name: str, provider: str = "acme", prefix: str = "Acme") -> None:
    """Minimal stand-ins for the driver modules Copier renders before the task runs."""
    layout = layout_named(name)
    for kind, cls in (("driver", f"{prefix}Driver"), ("async_driver", f"Async{prefix}Driver")):
        source = f'''\
            """Stand-in {kind} for the wiring tests."""


            class {cls}:
                def __init__(self, api_key=None, model="m", endpoint=None):
                    self.api_key, self.model, self.endpoint = api_key, model, endpoint
            '''
        (root / layout.rendered_path(kind, provider)).write_text(textwrap.dedent(source))


#: The facts a copy's questionnaire hands the wiring (its rate-file step writes them), from the fixture.
FACTS = provider_facts(json.loads((Path(__file__).parent / "fixtures" / "models-dev.json").read_text()), "acme-ai")


def answers(**changes) -> Answers:
    data = {"models_dev_facts": FACTS, **BASE, **changes}
    return Answers.from_mapping({k: v for k, v in data.items() if v is not None})


IN_PLACE = (".env.copy", "CLAUDE.md", "README.md")  # a name is appended to a list line there


def added_lines(pristine: Path, root: Path, rel: str) -> list[str]:
    """The lines the wiring added to ``rel``; fails if it removed or changed any (but the list lines of IN_PLACE)."""
    before = (pristine / rel).read_text(encoding="utf-8").splitlines()
    after = (root / rel).read_text(encoding="utf-8").splitlines()
    diff = [line for line in difflib.unified_diff(before, after, lineterm="", n=0) if line[:3] not in ("---", "+++")]
    removed = [line for line in diff if line.startswith("-")]
    if rel in IN_PLACE:
        assert len(removed) <= 1, (rel, diff)
    else:
        assert not removed, (rel, diff)
    return [line[1:] for line in diff if line.startswith("+")]


# ── the layout data ────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", list(PINS))
def test_each_layout_names_steps_that_exist_and_files_its_pin_has(pristine, name):
    layout = detect_layout(pristine[name])
    assert layout.name == name and layout.wired
    assert [step for step in layout.steps if step not in STEPS] == []
    for step in layout.steps:
        # The provider lists are skipped where a release lacks them (1.0.49 has no issue template); 1.15.1 has all.
        if step in layout.files and (step not in PROVIDER_LISTS or name == "L4"):
            assert (pristine[name] / layout.files[step]).is_file(), (name, step)
    facts = layout.template_facts()
    assert facts["name"] == name and facts["rate_file"] == layout.rendered.get("rates")
    for marker in layout.all_markers():  # the helpers the rendered driver uses are there at the pin
        assert marker.problem(pristine[name]) == "", marker


# ── each layout, each answer shape ─────────────────────────────────────────────


@pytest.mark.parametrize("name", OLD)
def test_default_answers_wire_every_step_and_a_second_run_changes_nothing(pristine, tmp_path, name):
    root = checkout_of(pristine, name, tmp_path)
    layout = layout_named(name)
    first = wire(root, answers())
    assert [result.status for result in first if result.status != "n/a"] == ["changed"] * len(
        [r for r in first if r.status != "n/a"]
    )
    after = digest(root)
    second = wire(root, answers())
    assert digest(root) == after
    assert {result.status for result in second} <= {"same", "n/a"}
    for rel in {layout.path(step) for step in layout.steps if step in layout.files} - {"pyproject.toml"}:
        if (pristine[name] / rel).is_file() or rel not in {layout.path(step) for step in PROVIDER_LISTS}:
            assert added_lines(pristine[name], root, rel), rel  # every file gained lines, none lost one
        else:
            assert not (root / rel).exists(), rel  # a list this release lacks is not created


def test_l1_wires_the_flat_layouts_files(pristine, tmp_path):
    root = checkout_of(pristine, "L1", tmp_path)
    results = {result.step: result for result in wire(root, answers())}
    assert results["rate file"].status == "n/a" and "no prompture/infra/rates/ folder" in results["rate file"].why
    p = pristine["L1"]
    assert added_lines(p, root, "prompture/__init__.py") == ["    AcmeDriver,", '    "AcmeDriver",']
    assert added_lines(p, root, "prompture/model_rates.py") == ['    "acme": "acme-ai",']
    discovery = added_lines(p, root, "prompture/discovery.py")
    assert discovery == [
        "    AcmeDriver,",
        '        "acme": AcmeDriver,',
        '            elif provider == "acme":',
        '                if settings.acme_api_key or os.getenv("ACME_API_KEY"):',
        "                    is_configured = True",
    ]
    registry = added_lines(p, root, "prompture/drivers/async_registry.py")
    assert registry[0] == "from .async_acme_driver import AsyncAcmeDriver"
    assert registry[1:4] == ["register_async_driver(", '    "acme",', "    lambda model=None: AsyncAcmeDriver("]
    assert "    acme_api_key: Optional[str] = None" in added_lines(p, root, "prompture/settings.py")


def test_l2_adds_the_driver_maps_and_the_list_models_branch(pristine, tmp_path):
    root = checkout_of(pristine, "L2", tmp_path)
    wire(root, answers())
    p = pristine["L2"]
    drivers = added_lines(p, root, "prompture/drivers/__init__.py")
    assert (
        '    "acme": (AcmeDriver, {"api_key": "acme_api_key", "endpoint": "acme_endpoint"}, "acme_model"),' in drivers
    )
    assert "    lambda model=None: AcmeDriver(  # type: ignore[misc]" in drivers  # the file's own style
    discovery = added_lines(p, root, "prompture/infra/discovery.py")
    assert discovery[0] == "from ..drivers.acme_driver import AcmeDriver"
    assert discovery[1:4] == [
        '    elif provider == "acme":',
        '        kw["api_key"] = _cfg_value(env, "acme_api_key", "ACME_API_KEY")',
        '        kw["endpoint"] = _cfg_value(env, "acme_endpoint", "ACME_ENDPOINT")',
    ]
    assert '                if _cfg_value(env, "acme_api_key", "ACME_API_KEY"):' in discovery


def test_l3_appends_a_descriptor_before_the_aliases(pristine, tmp_path):
    root = checkout_of(pristine, "L3", tmp_path)
    wire(root, answers())
    rel = "prompture/drivers/provider_descriptors.py"
    tree = ast.parse((root / rel).read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "ProviderDescriptor"]
    acme = next(
        c for c in calls if any(k.arg == "name" and getattr(k.value, "value", "") == "acme" for k in c.keywords)
    )
    keywords = {k.arg: k.value for k in acme.keywords}
    assert ast.literal_eval(keywords["is_configured_check"]) == "acme_api_key"
    assert ast.literal_eval(keywords["models_dev_name"]) == "acme-ai"
    assert ast.literal_eval(keywords["list_models_kwargs"]) == [
        ("api_key", "acme_api_key", "ACME_API_KEY"),
        ("endpoint", "acme_endpoint", "ACME_ENDPOINT"),
    ]
    text = (root / rel).read_text(encoding="utf-8")
    assert text.index('name="acme"') < text.index("# ── Aliases")


@pytest.mark.parametrize("name", OLD)
def test_endpoint_only_providers_are_configured_by_their_endpoint(pristine, tmp_path, name):
    root = checkout_of(pristine, name, tmp_path)
    wire(root, answers(auth="endpoint", api_key_env=None))
    text = "\n".join(
        line
        for rel in sorted(
            {layout_named(name).path(s) for s in layout_named(name).steps if s in layout_named(name).files}
        )
        if (pristine[name] / rel).is_file()
        for line in added_lines(pristine[name], root, rel)
    )
    assert "acme_api_key" not in text and "ACME_API_KEY" not in text
    assert "acme_endpoint" in text


@pytest.mark.parametrize("name", OLD)
def test_a_provider_not_on_models_dev_has_no_models_dev_mapping(pristine, tmp_path, name):
    root = checkout_of(pristine, name, tmp_path)
    results = {r.step: r for r in wire(root, answers(models_dev_provider=None))}
    if "models.dev PROVIDER_MAP" in results:
        assert results["models.dev PROVIDER_MAP"].status == "n/a"
    assert "acme-ai" not in "".join(
        (root / rel).read_text(encoding="utf-8")
        for rel in set(layout_named(name).files.values())
        if (root / rel).is_file()
    )


LONG = "nimbus_enterprise_cloud_platform_gateway"  # 40 characters, the longest the questionnaire accepts


@pytest.mark.parametrize("name", OLD)
def test_long_names_and_custom_env_names_stay_ruff_clean(pristine, tmp_path, name):
    root = Path(shutil.copytree(pristine[name], tmp_path / name))
    render_standins(root, name, LONG, "NimbusEnterpriseCloudPlatformGateway")
    wire(
        root,
        answers(
            provider=LONG,
            class_prefix="NimbusEnterpriseCloudPlatformGateway",
            api_key_env="NIMBUS_ENTERPRISE_CLOUD_PLATFORM_GATEWAY_TOKEN",
            endpoint_env="NIMBUS_ENTERPRISE_CLOUD_PLATFORM_GATEWAY_BASE_URL",
        ),
    )
    layout = layout_named(name)
    edited = sorted({layout.path(s) for s in layout.steps if s in layout.files and layout.path(s).endswith(".py")})
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *edited], cwd=root, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    for rel in edited:
        assert format_complaints(root, rel) == format_complaints(pristine[name], rel), rel


@pytest.mark.parametrize("name", OLD)
def test_custom_env_names_are_read_by_the_settings_of_each_layout(pristine, tmp_path, name):
    root = checkout_of(pristine, name, tmp_path)
    wire(root, answers(api_key_env="ACME_TOKEN", endpoint_env="ACME_BASE_URL"))
    settings = layout_named(name).path("settings")
    added = added_lines(pristine[name], root, settings)
    assert "from pydantic import AliasChoices, Field" in added
    module = settings.removesuffix(".py").replace("/", ".")
    env = checkout_env(root, tmp_path / "home", ACME_TOKEN="from-token", ACME_BASE_URL="http://127.0.0.1:1/v1")
    result = run_python(
        runtime_python(PINS[name]),
        root,
        f"from {module} import Settings; s = Settings(); print(s.acme_api_key, s.acme_endpoint)",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["from-token", "http://127.0.0.1:1/v1"]


@pytest.mark.parametrize("lazy", [True, False], ids=["extra", "dependency"])
@pytest.mark.parametrize("name", OLD)
def test_a_custom_sdk_goes_into_pyproject(pristine, tmp_path, name, lazy):
    root = checkout_of(pristine, name, tmp_path)
    sdk = {"api_style": "custom_sdk", "sdk_package": "acme-sdk", "sdk_min_version": "1.2", "lazy_import": lazy}
    wire(root, answers(**sdk))
    added = added_lines(pristine[name], root, "pyproject.toml")
    assert added == (['acme = ["acme-sdk>=1.2"]'] if lazy else ['    "acme-sdk>=1.2",'])


# ── refusals ───────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("name", "rel", "old", "new", "named"),
    [
        ("L1", "prompture/discovery.py", "is_configured = True", "is_set = True", "is_configured = True' chain"),
        (
            "L1",
            "prompture/drivers/async_registry.py",
            "register_async_driver(",
            "register_async(",
            "register_async_driver(",
        ),
        (
            "L2",
            "prompture/infra/discovery.py",
            "def _get_list_models_kwargs(",
            "def _kwargs(",
            "_get_list_models_kwargs",
        ),
        ("L3", "prompture/drivers/provider_descriptors.py", "descriptors.append(", "descriptors.extend(", "append("),
        ("L1", ".env.copy", " Configuration\n", " Settings\n", "# OpenAI Configuration"),
        ("L2", "CLAUDE.md", "(openai, claude", "(OpenAI, claude", "driver list"),
    ],
    ids=["l1-configured-chain", "l1-async-registry", "l2-list-models-chain", "l3-descriptors", "l1-env", "l2-claude"],
)
def test_a_missing_anchor_fails_and_changes_nothing(pristine, tmp_path, name, rel, old, new, named):
    root = checkout_of(pristine, name, tmp_path)
    text = (root / rel).read_text(encoding="utf-8")
    assert old in text
    (root / rel).write_text(text.replace(old, new), encoding="utf-8")
    before = digest(root)
    with pytest.raises((WiringError, LayoutError)) as error:
        wire(root, answers())
    assert named in str(error.value) and rel in str(error.value)
    assert digest(root) == before


def test_a_release_without_a_helper_the_driver_uses_is_refused(pristine, tmp_path):
    """Early releases of a layout's range lack helpers the rendered driver imports (1.0.13 has no
    _parse_tool_arguments): they are refused by name rather than given a driver that cannot import."""
    root = checkout_of(pristine, "L2", tmp_path)
    base = root / "prompture/drivers/base.py"
    base.write_text(base.read_text(encoding="utf-8").replace("def _parse_tool_arguments(", "def _parse_args("))
    with pytest.raises(LayoutError) as error:
        detect_layout(root)
    assert "prompture/drivers/base.py does not contain 'def _parse_tool_arguments('" in str(error.value)
    assert "tested on 1.0.49" in str(error.value)


def test_a_driver_rendered_for_another_layout_is_refused(pristine, tmp_path):
    root = checkout_of(pristine, "L2", tmp_path)
    before = digest(root)
    with pytest.raises(WiringError, match=r"rendered for Prompture layout L4 .* now layout L2 'infra'"):
        wire(root, Answers.from_mapping({**BASE, "prompture_layout": "L4"}))
    assert digest(root) == before


# ── setup.py (Prompture 0.0.x up to 0.0.33) ────────────────────────────────────


@pytest.fixture(scope="module")
def setup_py_era(tmp_path_factory) -> Path:
    return extract_checkout(SETUP_PY_ERA, tmp_path_factory.mktemp("setup-py"))


def test_the_setup_py_era_is_no_layout_the_template_wires(setup_py_era):
    with pytest.raises(LayoutError) as error:
        detect_layout(setup_py_era)
    assert "prompture/drivers/async_registry.py is missing" in str(error.value)


@pytest.mark.parametrize("lazy", [True, False], ids=["extras_require", "install_requires"])
def test_a_custom_sdk_goes_into_setup_py(setup_py_era, tmp_path, lazy):
    root = Path(shutil.copytree(setup_py_era, tmp_path / "checkout"))
    sdk = {"api_style": "custom_sdk", "sdk_package": "acme-sdk", "sdk_min_version": "1.2", "lazy_import": lazy}
    for run in (1, 2):
        tx = Transaction(root)
        result = step_pyproject(Context(root, layout_named("L1"), answers(**sdk), tx))
        tx.commit()
        assert (result.status, result.file) == ("changed" if run == 1 else "same", "setup.py")
    added = added_lines(setup_py_era, root, "setup.py")
    assert added == (['        "acme": ["acme-sdk>=1.2"],'] if lazy else ['        "acme-sdk>=1.2",'])
    ast.parse((root / "setup.py").read_text(encoding="utf-8"))

"""The rendered driver tests (``with_tests``), run inside real Prompture checkouts.

For each variant (an ``api_style`` x ``auth``, x ``lazy_import`` for custom_sdk), one real
``copier copy`` into its own extract of a Prompture sdist; then, in that checkout:

* ``ruff check`` and ``ruff format --check`` (the checkout's own configuration)
  pass on every Python file the copy created;
* the rendered ``tests/test_acme_driver.py`` (at most ``MAX_TEST_LINES`` lines) and the
  fake server it imports, ``tests/fake_provider_server.py`` (the same for every answer), pass
  under the checkout's own pytest configuration, run by the release's own dependencies, offline (proxies
  point nowhere; only 127.0.0.1 is reachable), without an API key and without a
  models.dev cache (it brings the recorded facts); its tests are grouped in
  ``Test*`` classes and resolve drivers with ``get_driver_for_model``;
* the capability contract holds for both driver classes: each ``supports_*``
  flag is the answer, its method exists exactly when the flag is yes, and
  Prompture's ``validate_driver_capabilities`` agrees where the release has it;
* a test of each capability is rendered exactly when the flag is yes.

Used by tests/test_rendered_tests_l4.py and tests/test_rendered_tests_l4_sdk.py (the whole
matrix on 1.15.1, in two parts) and tests/test_rendered_tests_older.py (the older pins): three
files, so pytest-xdist runs them on different workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import yaml
from scaffolding import layouts

from .copier_cli import TEMPLATE_DIR, run_copier
from .models_dev_server import FIXTURE, ModelsDevServer
from .prompture_runtime import checkout_env, runtime_python, seed_models_dev_cache
from .sdists import extract_checkout

L4_PIN = layouts.L4.pin  # 1.15.1
MAX_TEST_LINES = 400  # issue 17: a rendered test file a maintainer reads through (tests/test_rendered_test_size.py)
SHARED_SERVER = "tests/fake_provider_server.py"
SHARED_SERVER_SOURCE = TEMPLATE_DIR / "template" / "tests" / "{% if with_tests %}fake_provider_server.py{% endif %}"
STYLES = ("openai_compatible", "anthropic_compatible", "http", "custom_sdk")
AUTHS = ("api_key", "endpoint", "api_key_and_endpoint")
SDK = ["sdk_package=openai"]  # the real SDK from PyPI: the rendered tests run it against their fake provider
# The models.dev facts (what any acme model has) give JSON mode with a strict schema, tool use
# and vision (acme-vision-1). Each auth also varies one flag, so every capability test runs in every style.
AUTH_EXTRAS = {
    "api_key": ["supports_vision=false"],
    "endpoint": ["supports_json_schema=false"],  # JSON mode with the schema in the prompt
    "api_key_and_endpoint": [],
}
NO_CAPABILITIES = [
    "supports_messages=false",
    "supports_json_mode=false",
    "supports_tool_use=false",
    "supports_streaming=false",
    "supports_vision=false",
]
# A test function of the rendered file whose name holds the marker exists exactly when the flag is yes.
CAPABILITY_TESTS = {
    "supports_messages": "generate_messages",
    "supports_json_mode": "json",
    "supports_json_schema": "structured_output",
    "supports_tool_use": "tool",
    "supports_streaming": "stream",
    "supports_vision": "image",
}
METHODS = {
    "supports_messages": "generate_messages",
    "supports_tool_use": "generate_messages_with_tools",
    "supports_streaming": "generate_messages_stream",
}


def _matrix() -> dict[str, list[str]]:
    variants = {}
    for style in STYLES:
        for auth in AUTHS:
            data = [f"api_style={style}", f"auth={auth}", *AUTH_EXTRAS[auth]]
            if style == "custom_sdk":
                variants[f"{style}-{auth}-lazy"] = [*data, *SDK, "lazy_import=true"]
                variants[f"{style}-{auth}-eager"] = [*data, *SDK, "lazy_import=false"]
            else:
                variants[f"{style}-{auth}"] = data
    return variants


MATRIX = _matrix()
# The older pins run a covering sample, not the whole matrix: the variants differ in style and
# auth, which do not depend on the layout, while a layout changes which of the release's helpers
# the drivers use. So each pin gets every style and every auth at least once (L2, the largest
# older range), or the variant with the most local fallbacks (L1: schema in the prompt, own
# tool-argument parser, no list_models) and one wired through descriptors as on L4 (L3).
OLDER_SAMPLES = {
    "L2": [
        "openai_compatible-api_key",
        "anthropic_compatible-endpoint",
        "http-endpoint",
        "custom_sdk-api_key_and_endpoint-lazy",
        "custom_sdk-api_key-eager",
    ],
    "L1": ["http-endpoint"],
    "L3": ["openai_compatible-api_key_and_endpoint"],
}
EXTRA = {
    **{
        f"{style}-no-capabilities": [f"api_style={style}", "auth=api_key", *NO_CAPABILITIES]
        + (SDK if style == "custom_sdk" else [])
        for style in STYLES
    },
    "openai_compatible-without-tests": ["api_style=openai_compatible", "auth=api_key", "with_tests=false"],
}


def l4_variants(*, sdk: bool) -> dict[str, list[str]]:
    """The 1.15.1 variants of the custom_sdk style (``sdk=True``) or of the others, split so that
    two test files, on two pytest-xdist workers, share the matrix."""
    every = {**MATRIX, **EXTRA}
    return {name: data for name, data in every.items() if ("api_style=custom_sdk" in data) is sdk}


# Run in the checkout beside the rendered tests: the contract, checked independently of them.
HARNESS_CHECK = textwrap.dedent(
    """
    import json
    import os

    import pytest

    from prompture.drivers.acme_driver import AcmeDriver
    from prompture.drivers.async_acme_driver import AsyncAcmeDriver

    FLAGS = json.loads(os.environ["HARNESS_FLAGS"])
    METHODS = json.loads(os.environ["HARNESS_METHODS"])


    @pytest.mark.parametrize("driver_class", [AcmeDriver, AsyncAcmeDriver])
    def test_harness_capability_contract(driver_class):
        for flag, answer in FLAGS.items():
            assert getattr(driver_class, flag) is answer, flag
        for flag, method in METHODS.items():
            assert (method in vars(driver_class)) is FLAGS[flag], method
        try:
            from prompture.testing import validate_driver_capabilities
        except ImportError:
            return  # this release has no prompture.testing
        assert validate_driver_capabilities(driver_class) == []
    """
)


def render_and_test(version: str, name: str, data: list[str], root: Path, models_dev_url: str) -> SimpleNamespace:
    tmp = root / name
    checkout = extract_checkout(version, tmp / "src")
    before = _files(checkout)
    home = tmp / "home"
    seed_models_dev_cache(home, FIXTURE)
    env = checkout_env(tmp, home)
    env.pop("PYTHONPATH")
    env.update(MODELS_DEV_URL=models_dev_url, MODELS_DEV_CACHE_DIR=str(tmp / "models-dev-cache"))
    args = ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "provider=acme"]
    args += ["--data", "models_dev_provider=acme-ai"]
    for item in data:
        args += ["--data", item]
    result = SimpleNamespace(
        name=name, checkout=checkout, copy=run_copier(*args, TEMPLATE_DIR, checkout, cwd=tmp, env=env)
    )
    if result.copy.returncode != 0:
        return result
    result.answers = yaml.safe_load((checkout / ".copier-answers.acme.yml").read_text())
    # ruff judges the files the render created; the files the wiring edits are the wiring tests' business
    # (some sdists ship them with ruff complaints of their own).
    result.created = sorted(_files(checkout) - before)
    python_files = [path for path in result.created if path.endswith(".py")]
    result.ruff = [
        subprocess.run(
            [sys.executable, "-m", "ruff", *command, *python_files], cwd=checkout, capture_output=True, text=True
        )
        for command in (["check"], ["format", "--check"])
    ]

    flags = {flag: bool(result.answers.get(flag)) for flag in CAPABILITY_TESTS}
    flags["supports_json_schema"] = flags["supports_json_schema"] and flags["supports_json_mode"]
    result.flags = flags
    (checkout / "tests").mkdir(exist_ok=True)
    (checkout / "tests" / "test_zz_harness_contract.py").write_text(HARNESS_CHECK)
    # Offline: proxies that lead nowhere for anything but 127.0.0.1; no API key in the environment, and a
    # HOME without the models.dev cache (the rendered tests give Prompture the recorded facts themselves).
    (tmp / "test-home").mkdir()
    run_env = checkout_env(
        checkout, tmp / "test-home", HARNESS_FLAGS=json.dumps(flags), HARNESS_METHODS=json.dumps(METHODS)
    )
    dead_proxy = "http://127.0.0.1:9"
    run_env.update(HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, ALL_PROXY=dead_proxy, NO_PROXY="127.0.0.1,localhost")
    junit = tmp / "junit.xml"
    test_files = ["tests/test_zz_harness_contract.py"]
    if (checkout / "tests" / "test_acme_driver.py").exists():
        test_files.insert(0, "tests/test_acme_driver.py")
    python = runtime_python(version, *_packages(data))
    result.pytest = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junit-xml={junit}"] + test_files,
        cwd=checkout,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result.outcomes = _outcomes(junit) if junit.exists() else {}
    return result


def _packages(data: list[str]) -> tuple[str, ...]:
    """The PyPI packages a variant's runtime adds to the release's dependencies: its SDK, if any."""
    return ("openai",) if "api_style=custom_sdk" in data else ()


def _files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def _outcomes(junit: Path) -> dict[str, str]:
    """``{"<file stem>::<test name>": "passed" | "failed" | "error" | "skipped"}`` from a JUnit report.

    A test in a ``Test*`` class has ``tests.<file stem>.<class>`` as its JUnit class name.
    """
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        parts = case.get("classname", "").split(".")
        module = next((part for part in reversed(parts) if part.startswith("test_")), parts[-1])
        outcomes[f"{module}::{case.get('name')}"] = {"failure": "failed"}.get(kinds[0], kinds[0]) if kinds else "passed"
    return outcomes


def run_all(jobs: dict[tuple[str, str], list[str]], root: Path) -> dict[tuple[str, str], SimpleNamespace]:
    """Run ``{(pin, variant): data}`` concurrently; results by the same keys."""
    for version, packages in {(version, _packages(data)) for (version, _), data in jobs.items()}:
        runtime_python(version, *packages)  # build each venv once, before the workers need it
    workers = min(4, (os.cpu_count() or 1) + 1)
    with ModelsDevServer(FIXTURE) as server, ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            (version, name): pool.submit(render_and_test, version, name, data, root / version, server.url)
            for (version, name), data in jobs.items()
        }
        return {key: future.result() for key, future in futures.items()}


def assert_variant_holds(result: SimpleNamespace) -> None:
    assert result.copy.returncode == 0, result.copy.stdout + result.copy.stderr
    # Read as hand-written Prompture code: one line at most says where a file came from, and no block of
    # answers or formatter switches is left in it.
    for rel in (path for path in result.created if path.endswith(".py")):
        source = (result.checkout / rel).read_text(encoding="utf-8")
        provenance = [line for line in source.splitlines() if "prompture-driver-template" in line]
        assert len(provenance) <= 1, (rel, provenance)
        assert "# fmt: off" not in source and ".copier-answers" not in source, rel
    for ruff in result.ruff:
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    assert result.pytest.returncode == 0, result.pytest.stdout[-6000:] + result.pytest.stderr[-3000:]
    not_passed = {test: outcome for test, outcome in result.outcomes.items() if outcome != "passed"}
    assert not not_passed, not_passed
    harness = [test for test in result.outcomes if test.startswith("test_zz_harness_contract::")]
    assert len(harness) == 2, result.outcomes
    rendered = {test.split("::")[1].split("[")[0] for test in result.outcomes if test.startswith("test_acme_driver::")}
    if not result.answers.get("with_tests", True):
        assert "tests/test_acme_driver.py" not in result.created and SHARED_SERVER not in result.created
        assert not rendered
        return
    assert "tests/test_acme_driver.py" in result.created
    assert len(rendered) > 10, rendered
    # The fake server is the template's file as it is: no answer in it, so every provider renders the same.
    assert (result.checkout / SHARED_SERVER).read_bytes() == SHARED_SERVER_SOURCE.read_bytes()
    # Through Prompture's public API, with the recorded models (tests/fixtures/models-dev.json's acme-ai).
    source = (result.checkout / "tests" / "test_acme_driver.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_TEST_LINES, len(source.splitlines())
    assert "import fake_provider_server as fake\n" in source
    for used in ("get_driver_for_model(model_id(", "Conversation(model_name=model_id(", 'CHAT_MODEL = "acme-chat-1"'):
        assert used in source, used
    assert "\ndef test_" not in source and "\nclass Test" in source  # grouped in documented Test* classes
    for flag, marker in CAPABILITY_TESTS.items():
        tests = sorted(test for test in rendered if marker in test)
        if result.flags[flag]:
            assert tests, f"{flag} is yes but no rendered test names {marker!r}"
        else:
            assert not tests, f"{flag} is no but these tests were rendered: {tests}"
    lazy_sdk = result.answers["api_style"] == "custom_sdk" and result.answers.get("lazy_import")
    assert ("test_a_missing_sdk_names_the_extra_to_install" in rendered) == bool(lazy_sdk)

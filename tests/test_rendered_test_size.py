"""No rendered test file is longer than ``MAX_TEST_LINES``, on any layout's pin, for any answers.

A "no" to a capability only removes tests, and so does a model trait the recorded facts lack
(``supports_json_schema=false`` swaps the strict-schema test for a shorter one); an API key and a
``${NAME}`` part in the endpoint add tests. So an API style's longest file is the one rendered with
every capability yes, the acme-ai facts (tests/fixtures/models-dev.json: a model for each trait the
tests use), an API key and an endpoint with a ``${NAME}`` part. Each style (custom_sdk with a known
and an unknown SDK, each imported lazily or not) is rendered so on each layout's pin, by real
``copier copy`` runs with ``--skip-tasks``: Copier renders the files before the wiring task, which
is left out so that every style can go into one checkout per pin. The other answers' files are
checked in the rendered matrix (tests/support/rendered_matrix.py), which runs them.

Every rendered file imports the one ``tests/fake_provider_server.py``: the first copy into a
checkout creates it, each later one finds it identical (whatever the style), it is the template's
file byte for byte on every pin, and ruff (the checkout's configuration) passes on ``tests/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from scaffolding.layouts import LAYOUTS
from support.copier_cli import TEMPLATE_DIR, copier_env, run_copier
from support.models_dev_server import FIXTURE, ModelsDevServer
from support.rendered_matrix import MAX_TEST_LINES, SHARED_SERVER, SHARED_SERVER_SOURCE
from support.sdists import extract_checkout
from support.terminal import plain

pytestmark = pytest.mark.e2e  # needs Prompture sdists (python3 dev.py test -m 'not e2e' skips it)

#: provider name -> its style's answers, each rendered with everything that adds a test.
LONGEST = {
    "wide_openai": ["api_style=openai_compatible"],
    "wide_anthropic": ["api_style=anthropic_compatible"],
    "wide_http": ["api_style=http"],
    "wide_sdk": ["api_style=custom_sdk", "sdk_package=openai", "lazy_import=true"],
    "wide_sdk_eager": ["api_style=custom_sdk", "sdk_package=openai", "lazy_import=false"],
    "wide_own_sdk": ["api_style=custom_sdk", "sdk_package=acme-sdk", "lazy_import=true"],
    "wide_own_sdk_eager": ["api_style=custom_sdk", "sdk_package=acme-sdk", "lazy_import=false"],
}
EVERYTHING = [
    "models_dev_provider=acme-ai",
    "auth=api_key_and_endpoint",
    "endpoint=https://api.acme.example/accounts/${ACME_ACCOUNT_ID}/v1",
    *(f"supports_{flag}=true" for flag in ("messages", "json_mode", "json_schema", "tool_use", "streaming", "vision")),
]
PINS = [layout.pin for layout in LAYOUTS]


def _render_all(version: str, root: Path, models_dev_url: str) -> dict:
    """Copy every LONGEST style into one fresh ``version`` checkout; its file sizes, shared servers and ruff runs."""
    checkout = extract_checkout(version, root / version)
    env = copier_env(root, models_dev_url, name=version)
    rendered = {}
    for provider, style in LONGEST.items():
        args = ["copy", "--trust", "--defaults", "--skip-tasks", "--vcs-ref", "HEAD"]
        for item in [f"provider={provider}", *EVERYTHING, *style]:
            args += ["--data", item]
        copied = run_copier(*args, TEMPLATE_DIR, checkout, cwd=root, env=env)
        test_file = checkout / "tests" / f"test_{provider}_driver.py"
        lines = len(test_file.read_text(encoding="utf-8").splitlines()) if test_file.is_file() else None
        rendered[provider] = {"copy": copied, "lines": lines}
    ruff = [
        subprocess.run([sys.executable, "-m", "ruff", *command, "tests"], cwd=checkout, capture_output=True, text=True)
        for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"])
    ]
    server = (checkout / SHARED_SERVER).read_bytes() if (checkout / SHARED_SERVER).is_file() else None
    return {"rendered": rendered, "server": server, "ruff": ruff}


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    root = tmp_path_factory.mktemp("rendered-test-size")
    with ModelsDevServer(FIXTURE) as server, ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(PINS, pool.map(lambda pin: _render_all(pin, root, server.url), PINS), strict=True))


@pytest.mark.parametrize("pin", PINS)
@pytest.mark.parametrize("provider", sorted(LONGEST))
def test_the_longest_rendered_test_file_of_each_style_fits(renders, pin, provider):
    rendered = renders[pin]["rendered"][provider]
    assert rendered["copy"].returncode == 0, rendered["copy"].stdout + rendered["copy"].stderr
    assert rendered["lines"] is not None
    assert rendered["lines"] <= MAX_TEST_LINES, f"tests/test_{provider}_driver.py has {rendered['lines']} lines"


@pytest.mark.parametrize("pin", PINS)
def test_every_style_renders_the_same_shared_fake_server_and_ruff_passes(renders, pin):
    assert renders[pin]["server"] == SHARED_SERVER_SOURCE.read_bytes()
    first, *later = (plain(rendered["copy"].stderr) for rendered in renders[pin]["rendered"].values())
    assert re.search(rf"^\s*create\s+{SHARED_SERVER}$", first, re.MULTILINE), first
    for stderr in later:
        assert re.search(rf"^\s*identical\s+{SHARED_SERVER}$", stderr, re.MULTILINE), stderr
    for ruff in renders[pin]["ruff"]:
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr

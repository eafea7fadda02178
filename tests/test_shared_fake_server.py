"""Two providers in one checkout share one ``tests/fake_provider_server.py``, and updates keep it clean.

One scenario (real Copier, real git, a real Prompture 1.15.1 sdist): this template becomes a git
repo with two tags, v1.0.0 (a snapshot of this working tree) and v2.0.0, where the shared fake
server changes (as a template release may change it). ``acme`` (openai_compatible, models.dev's
acme-ai) and ``freemodel`` (anthropic_compatible, as models.dev gives it) are copied from v1: the
second copy finds the fake server identical. The user edits it by hand and commits. Then each
provider is updated to v2 in turn, committed in between: the first update brings v2's change
next to the user's edit, the second finds nothing left to change; no conflict either time. Both
providers' rendered tests pass in one pytest run after the copies and after the updates.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.copier_cli import copier_env, run_copier
from support.models_dev_server import FIXTURE, ModelsDevServer, refused_url
from support.prompture_runtime import checkout_env, runtime_python
from support.rendered_matrix import SHARED_SERVER
from support.sdists import extract_checkout
from support.template_repo import git, snapshot_template
from support.terminal import plain

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

VERSION = "1.15.1"
PROVIDERS = {"acme": ["models_dev_provider=acme-ai"], "freemodel": []}
SOURCE = "template/tests/{% if with_tests %}fake_provider_server.py{% endif %}"
V2_TAIL = '''

def template_revision() -> int:
    """The revision of prompture-driver-template that rendered this module."""
    return 2
'''
HAND_NOTE = "# Our own note: kept across template updates.\n"
CONFLICT = re.compile(r"^(<<<<<<<|=======|>>>>>>>)", re.MULTILINE)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def status(checkout: Path) -> set[str]:
    return {line[3:] for line in git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()}


def rendered_tests(checkout: Path, home: Path) -> subprocess.CompletedProcess:
    """Both providers' rendered tests in one pytest run, offline, under the checkout's pytest configuration."""
    home.mkdir(exist_ok=True)
    env = checkout_env(checkout, home, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    env["NO_PROXY"] = "127.0.0.1,localhost"
    files = [f"tests/test_{provider}_driver.py" for provider in PROVIDERS]
    command = [str(runtime_python(VERSION)), "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shared-fake-server")
    template = snapshot_template(tmp / "template")
    git(template, "tag", "v1.0.0")
    source = template / SOURCE
    source.write_text(source.read_text(encoding="utf-8") + V2_TAIL, encoding="utf-8")
    commit(template, "v2: the shared fake server changes")
    git(template, "tag", "v2.0.0")

    checkout = extract_checkout(VERSION, tmp / "src")
    git(checkout, "init", "-q")
    commit(checkout, "Prompture sdist")
    rec = SimpleNamespace(checkout=checkout, copies={}, updates={}, status={}, servers={})
    with ModelsDevServer(FIXTURE) as server:
        env = copier_env(tmp, server.url, name="online")
        for provider, data in PROVIDERS.items():
            answers = [arg for item in (f"provider={provider}", *data) for arg in ("--data", item)]
            args = ["copy", "--trust", "--defaults", "--vcs-ref", "v1.0.0", *answers, str(template), str(checkout)]
            rec.copies[provider] = run_copier(*args, cwd=tmp, env=env)
    rec.v1_server = (checkout / SHARED_SERVER).read_text(encoding="utf-8")
    commit(checkout, "acme and freemodel drivers (template v1)")
    rec.tests_after_copies = rendered_tests(checkout, tmp / "test-home")

    shared = checkout / SHARED_SERVER
    rec.hand_edited = rec.v1_server.replace("\nREPLY_TEXT = ", f"\n{HAND_NOTE}REPLY_TEXT = ", 1)
    shared.write_text(rec.hand_edited, encoding="utf-8")
    commit(checkout, "our own note in the shared fake server")

    offline = copier_env(tmp, refused_url(), name="offline", MODELS_DEV_OFFLINE="1")
    for provider in PROVIDERS:
        args = ["update", "--trust", "--defaults", "-a", f".copier-answers.{provider}.yml"]
        rec.updates[provider] = run_copier(*args, cwd=checkout, env=offline)
        rec.status[provider] = status(checkout)
        rec.servers[provider] = shared.read_text(encoding="utf-8")
        commit(checkout, f"{provider}: template v2")
    rec.tests_after_updates = rendered_tests(checkout, tmp / "test-home")
    rec.ruff = [
        subprocess.run([sys.executable, "-m", "ruff", *command, "tests"], cwd=checkout, capture_output=True, text=True)
        for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"])
    ]
    return rec


def test_the_second_provider_finds_the_shared_server_identical(scenario):
    for result in scenario.copies.values():
        assert result.returncode == 0, result.stdout + result.stderr
    acme, freemodel = (plain(scenario.copies[provider].stderr) for provider in PROVIDERS)
    assert re.search(rf"^\s*create\s+{SHARED_SERVER}$", acme, re.MULTILINE), acme
    assert re.search(rf"^\s*identical\s+{SHARED_SERVER}$", freemodel, re.MULTILINE), freemodel
    template_file = Path(__file__).resolve().parents[1] / SOURCE
    assert scenario.v1_server == template_file.read_text(encoding="utf-8")


def test_both_providers_tests_pass_on_the_one_server(scenario):
    for run in (scenario.tests_after_copies, scenario.tests_after_updates):
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        assert re.search(r"\b\d{2,} passed\b", run.stdout) and " skipped" not in run.stdout, run.stdout[-2000:]


def test_updates_merge_the_shared_server_cleanly(scenario):
    for provider, result in scenario.updates.items():
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Updating to template version 2.0.0" in result.stderr
        assert not CONFLICT.search(scenario.servers[provider]), scenario.servers[provider]
        assert not any(path.endswith(".rej") for path in scenario.status[provider]), scenario.status[provider]
    # The first update brings v2's change next to the user's note; the second has nothing left to do there.
    assert scenario.servers["acme"] == scenario.hand_edited + V2_TAIL
    assert SHARED_SERVER in scenario.status["acme"]
    assert scenario.servers["freemodel"] == scenario.servers["acme"]
    assert SHARED_SERVER not in scenario.status["freemodel"]
    assert git(scenario.checkout, "ls-files", "--unmerged") == ""


def test_the_tests_folder_stays_ruff_clean(scenario):
    for ruff in scenario.ruff:
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr

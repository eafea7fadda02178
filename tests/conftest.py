"""Shared pytest fixtures. Each block below belongs to one part of the template; keep them separate."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# ── models.dev: the catalogue client and a local models.dev ────────────────────
# `extensions/` on sys.path makes the template's logic importable as `scaffolding`.

sys.path.insert(0, str(ROOT / "extensions"))

from scaffolding import models_dev as models_dev_client  # noqa: E402
from support import differential, hostile, sdists  # noqa: E402
from support.models_dev_server import ModelsDevServer  # noqa: E402

MODELS_DEV_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "models-dev.json"


@pytest.fixture
def models_dev_server():
    """A local models.dev serving tests/fixtures/models-dev.json at ``server.url``."""
    with ModelsDevServer(MODELS_DEV_FIXTURE) as server:
        yield server


@pytest.fixture(scope="module")
def models_dev():
    """One local models.dev for a whole test module (its real `copier` runs only read from it)."""
    with ModelsDevServer(MODELS_DEV_FIXTURE) as server:
        yield server


@pytest.fixture
def models_dev_env(models_dev_server, tmp_path, monkeypatch):
    """Point the catalogue client at ``models_dev_server`` with an empty cache dir and HOME.

    Also clears the other MODELS_DEV_* knobs and the per-process memo, so each test
    starts from nothing. Returns the server.
    """
    monkeypatch.setenv("MODELS_DEV_URL", models_dev_server.url)
    monkeypatch.setenv("MODELS_DEV_CACHE_DIR", str(tmp_path / "models-dev-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for knob in ("MODELS_DEV_OFFLINE", "MODELS_DEV_TTL", "MODELS_DEV_TIMEOUT"):
        monkeypatch.delenv(knob, raising=False)
    (tmp_path / "home").mkdir()
    models_dev_client.forget()
    yield models_dev_server
    models_dev_client.forget()


# ── end of the models.dev block ────────────────────────────────────────────────


# ── end-to-end tests: real Prompture sdists and runtimes ───────────────────────


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """Prompture 1.15.1's sdist, extracted once per module: copy it (``hostile.fresh_checkout``) before changing it."""
    return sdists.extract_checkout(hostile.VERSION, tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The template's working tree as a plain folder, which Copier uses in place (``hostile.plain_template``)."""
    return hostile.plain_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory) -> Path:
    """The template as a git repository with a tag, for runs that record ``_commit`` (``copier update``)."""
    from support.template_repo import snapshot_template

    return snapshot_template(tmp_path_factory.mktemp("template") / "template")


# ── the differential suite (tests/test_differential_*.py) ──────────────────────


@pytest.fixture(scope="module", params=differential.RELEASES, ids=differential.RELEASE_IDS)
def release(request, tmp_path_factory, template_repo):
    """Each pin's sdist with ``basalt`` added by ``copier copy --defaults`` (1.15.1 also in the custom_sdk
    style, with the real ``openai`` SDK), once per pin, style and session."""
    version, style = request.param
    shared = differential.shared_folder(tmp_path_factory)
    return differential.scaffold_release(version, shared, template_repo, style)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of ``item`` is set up: only e2e tests may fetch sdists or build runtimes."""
    sdists.e2e_allowed = item.get_closest_marker("e2e") is not None


# ── markers ────────────────────────────────────────────────────────────────────


def pytest_configure(config):
    _share_bytecode(config)
    config.addinivalue_line(
        "markers",
        "e2e: a slow end-to-end run of what a person does, with real Prompture sdists or per-release runtimes "
        "(downloaded once, cached); `python3 dev.py test -m 'not e2e'` is the quick loop without them",
    )
    config.addinivalue_line(
        "markers",
        "hostile(area, outcome): a hostile-input or fault case (tests/test_hostile_*.py); the figures in "
        "docs/hostile-input.md are counted from these (scripts/hostile_figures.py)",
    )


# ── end of the markers block ───────────────────────────────────────────────────


def _share_bytecode(config) -> None:
    """One PYTHONPYCACHEPREFIX folder for the session (made by the controller, which xdist's workers
    inherit it from): the many child Pythons that import a checkout's Prompture compile it once,
    and no ``__pycache__`` lands in a checkout. Removed at the end (``pytest_unconfigure``)."""
    if hasattr(config, "workerinput") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    folder = tempfile.mkdtemp(prefix="ptd-pycache-")
    config.stash[_PYCACHE] = folder
    os.environ["PYTHONPYCACHEPREFIX"] = folder


def pytest_unconfigure(config):
    folder = config.stash.get(_PYCACHE, None)
    if folder:
        os.environ.pop("PYTHONPYCACHEPREFIX", None)
        shutil.rmtree(folder, ignore_errors=True)


_PYCACHE = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter):
    """The test files that took longest (setup, call and teardown, summed over their tests).

    With pytest-xdist each file runs on one worker (``--dist loadfile``), so the longest file
    bounds the suite's wall time: this shows where splitting a file would pay.
    """
    per_file: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) in ("setup", "call", "teardown"):
                path = report.nodeid.split("::")[0]
                per_file[path] = per_file.get(path, 0.0) + report.duration
    if len(per_file) < 2:
        return
    terminalreporter.write_sep("-", "slowest test files (seconds, summed over their tests)")
    for path, seconds in sorted(per_file.items(), key=lambda item: -item[1])[:8]:
        terminalreporter.write_line(f"{seconds:8.1f}  {path}")

"""A generated driver against the release's own, as the differential suites run them.

    checkout = scaffold_provider(tmp, "1.15.1", "basalt", runtime_python("1.15.1"))
    out = run_scenario(checkout, SIDE_ENV, PRELUDE + code)  # what the code passed to out()

One real ``copier copy --defaults`` (only the provider key given) into a committed Prompture
sdist; each scenario then runs there in a child Python with the release's dependencies.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .copier_cli import copier_env, run_copier
from .models_dev_server import FIXTURE, ModelsDevServer
from .prompture_runtime import checkout_env, run_python, seed_models_dev_cache
from .sdists import extract_checkout
from .template_repo import git, snapshot_template

#: The top of every scenario: ``model(name)`` is "<provider>/<name>" for the side's provider,
#: ``REASON`` and ``VISION`` its models with those traits, ``out(value)`` the scenario's result.
PRELUDE = """
import asyncio, json, os, sys
from prompture.drivers import get_driver_for_model
P, REASON, VISION = os.environ["SIDE_PROVIDER"], os.environ["SIDE_REASON"], os.environ["SIDE_VISION"]
def model(name):
    return f"{P}/{name}"
def out(value):
    print("RESULT " + json.dumps(value, default=str))
"""


def scaffold_provider(tmp: Path, version: str, provider: str, python: Path) -> dict:
    """``version`` with ``provider`` added by ``copier copy --defaults``; what :func:`run_scenario` needs,
    and the answers file's text (``answers``)."""
    template = snapshot_template(tmp / "template")
    root = extract_checkout(version, tmp / "src")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sdist")
    seed_models_dev_cache(tmp / "home", FIXTURE)
    with ModelsDevServer(FIXTURE) as server:
        args = ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", f"provider={provider}"]
        result = run_copier(*args, str(template), str(root), cwd=tmp, env=copier_env(tmp, server.url))
    assert result.returncode == 0, result.stdout + result.stderr
    answers = (root / f".copier-answers.{provider}.yml").read_text()
    return {"root": root, "home": tmp / "home", "python": python, "answers": answers}


def side_env(provider: str, reason: str, vision: str, **env: str) -> dict[str, str]:
    """The environment of one side's scenario: its provider and models for the prelude, and ``env``
    (the key and where the side's driver finds the fake server)."""
    return {"SIDE_PROVIDER": provider, "SIDE_REASON": reason, "SIDE_VISION": vision, **env}


def run_scenario(checkout: dict, env: dict[str, str], code: str, python: Path | None = None) -> dict:
    """Run ``PRELUDE`` + ``code`` in the checkout with ``env`` (see :func:`side_env`) added; what it
    passed to ``out()`` last. ``python`` overrides the checkout's (e.g. one with an SDK extra)."""
    environment = checkout_env(checkout["root"], checkout["home"])
    environment.update(env)
    program = PRELUDE + textwrap.dedent(code)
    result = run_python(python or checkout["python"], checkout["root"], program, environment)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1][len("RESULT ") :])

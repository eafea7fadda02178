"""The three ways (docs/copier.md) to install and run the template (uvx, pipx, pip), each run as written.

The commands come from the "## Install and run" section of docs/copier.md (its indented blocks), so
the page and the test cannot drift apart. Each method gets a fresh virtual environment in
``tmp_path`` (``python -m venv``; uv or pipx are pip-installed into it), its own HOME, tool and
bin folders, and a fresh Prompture 1.15.1 sdist. The copy line runs as documented, with the
template and checkout placeholders replaced and the non-interactive answers added after
``--trust``. Only the download caches are shared (under ``~/.cache/prompture-driver-template``).
A tool that fails to install fails the test with its output.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from importlib.metadata import requires
from pathlib import Path

import pytest
import tomlkit
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from scaffolding.layouts import L4
from support.copier_cli import TEMPLATE_DIR, copier_env
from support.models_dev_server import ModelsDevServer
from support.scaffold import MODELS_DEV_ID, PROVIDER
from support.sdists import PIP_CACHE_DIR, UV_CACHE_DIR, extract_checkout

PAGE = TEMPLATE_DIR / "docs" / "copier.md"
SECTION = "## Install and run"
TEMPLATE_PLACEHOLDER = "path/to/prompture-driver-template"
CHECKOUT_PLACEHOLDER = "path/to/prompture"
COPY = "copier copy --trust"
ANSWERS = f"--defaults --vcs-ref HEAD --data provider={PROVIDER} --data models_dev_provider={MODELS_DEV_ID}"
TOOLS = {"uvx": "uv", "pipx": "pipx", "pip": None}  # method -> what `pip install` puts in the fresh venv first

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name == "nt", reason="the documented commands need a POSIX shell")]


# ── the documented section ────────────────────────────────────────────────────────


def readme_blocks() -> dict[str, list[str]]:
    """The section's indented blocks as command lines (``\\`` continuations joined), keyed by method."""
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(f"\n{SECTION}\n") == 1, f"docs/copier.md has no single {SECTION!r} section"
    section = text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in section.splitlines():
        if line.startswith("    "):
            if current is None:
                current = []
                blocks.append(current)
            current.append(line[4:])
        else:
            current = None
    commands: dict[str, list[str]] = {}
    for block in blocks:
        joined = re.sub(r" *\\\n *", " ", "\n".join(block)).splitlines()
        method = {"uvx": "uvx", "pipx": "pipx", "python3": "pip"}.get(joined[0].split()[0])
        assert method and method not in commands, f"unexpected block in {SECTION}: {joined}"
        commands[method] = joined
    assert set(commands) == set(TOOLS), f"{SECTION} must have one uvx, one pipx and one pip block: {commands}"
    return commands


def documented_requirements(lines: list[str]) -> list[str]:
    """The quoted requirement specifiers of a block, in order (``'httpx>=0.27'`` -> ``httpx>=0.27``)."""
    return [word for line in lines for word in shlex.split(line) if re.match(r"^[A-Za-z][\w.-]*[<>=!~]", word)]


def specifiers(requirements) -> dict[str, str]:
    """``{"httpx": ">=0.27", ...}`` from requirement strings."""
    return {canonicalize_name(Requirement(r).name): str(Requirement(r).specifier) for r in requirements}


def test_the_three_methods_install_the_same_packages_the_template_needs():
    """Each block names Copier and what pyproject.toml lists beyond Copier's own requirements, with its floors."""
    project = tomlkit.parse((TEMPLATE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    from_copier = {canonicalize_name(Requirement(r).name) for r in requires("copier") or []}
    needed = specifiers(r for r in project["dependencies"] if canonicalize_name(Requirement(r).name) not in from_copier)
    assert {"copier", "copier-template-extensions", "httpx"} <= set(needed), needed
    for method, lines in readme_blocks().items():
        documented = specifiers(documented_requirements(lines))
        assert documented == needed, f"{method}: docs/copier.md installs {documented}, the template needs {needed}"


# ── running a method ──────────────────────────────────────────────────────────


def run(
    command: str | list[str], *, cwd: Path, env: dict[str, str], shell: bool = False
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        shell=shell,
        executable="/bin/bash" if shell else None,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def method_env(tmp: Path, server: ModelsDevServer, host: Path) -> dict[str, str]:
    """Copier's test environment, with the fresh venv first on PATH and every tool folder under ``tmp``."""
    env = copier_env(tmp, server.url)
    env.pop("VIRTUAL_ENV", None)
    (tmp / "home").mkdir(exist_ok=True)
    env.update(
        PATH=os.pathsep.join([str(host / "bin"), str(tmp / "pipx-bin"), env.get("PATH", "")]),
        NO_PROXY=",".join(filter(None, ["127.0.0.1", "localhost", env.get("NO_PROXY", "")])),
        PIP_CACHE_DIR=str(PIP_CACHE_DIR),
        UV_CACHE_DIR=str(UV_CACHE_DIR),
        UV_TOOL_DIR=str(tmp / "uv-tools"),
        UV_TOOL_BIN_DIR=str(tmp / "uv-bin"),
        UV_PYTHON=str(host / "bin" / "python"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_CONFIG="1",
        PIPX_HOME=str(tmp / "pipx-home"),
        PIPX_BIN_DIR=str(tmp / "pipx-bin"),
        PIPX_MAN_DIR=str(tmp / "pipx-man"),
        PIPX_DEFAULT_PYTHON=str(host / "bin" / "python"),
    )
    env["no_proxy"] = env["NO_PROXY"]
    return env


def as_run(line: str, template: Path, checkout: Path) -> str:
    """The documented line with the placeholders replaced and, on the copy line, the answers added."""
    if COPY in line:
        assert line.count(COPY) == line.count(TEMPLATE_PLACEHOLDER) == 1, line
        line = line.replace(COPY, f"{COPY} {ANSWERS}")
        line = line.replace(TEMPLATE_PLACEHOLDER, shlex.quote(str(template)))  # first: it starts like the other
        assert line.count(CHECKOUT_PLACEHOLDER) == 1, line
        line = line.replace(CHECKOUT_PLACEHOLDER, shlex.quote(str(checkout)))
    return line


@pytest.mark.e2e
@pytest.mark.parametrize("method", list(TOOLS))
def test_install_method_copies_and_wires_a_driver(method, tmp_path, template_repo, models_dev):
    lines = readme_blocks()[method]
    assert sum(COPY in line for line in lines) == 1 and COPY in lines[-1], f"{method}: one copy line, last: {lines}"
    checkout = extract_checkout(L4.pin, tmp_path / "src")
    host = tmp_path / "host-venv"
    env = method_env(tmp_path, models_dev, host)
    work = tmp_path / "work"  # where the commands run (the pip method's .venv lands here)
    work.mkdir()
    log: list[str] = []

    started = time.monotonic()
    made = run([sys.executable, "-m", "venv", str(host)], cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    if TOOLS[method]:
        tool = run([str(host / "bin" / "python"), "-m", "pip", "install", TOOLS[method]], cwd=tmp_path, env=env)
        assert tool.returncode == 0, f"pip install {TOOLS[method]} failed:\n{tool.stdout}{tool.stderr}"
        log.append(f"pip install {TOOLS[method]}: {time.monotonic() - started:.1f} s")

    result = None
    for line in lines:
        command = as_run(line, template_repo, checkout)
        result = run(command, cwd=work, env=env, shell=True)
        log.append(f"{line[:60]}...: {time.monotonic() - started:.1f} s")
        assert result.returncode == 0, (
            f"{method}: `{command}` exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    print(f"{method}: " + "; ".join(log))

    output = result.stdout + result.stderr
    # The wiring task ran with the Python of the environment this method made (`_copier_python`), not another.
    task_python = re.search(r"Running task 1 of 1: \['([^']+)'", result.stderr)
    assert task_python, output
    expected_home = {"uvx": UV_CACHE_DIR, "pipx": tmp_path / "pipx-home", "pip": work / ".venv"}[method]
    assert Path(task_python[1]).is_relative_to(expected_home), f"{task_python[1]} is not under {expected_home}"
    assert f"Prompture layout: {L4.label}" in result.stdout, output
    wiring = [line for line in result.stdout.splitlines() if line[:2] in ("✓ ", "= ", "– ", "✗ ")]
    assert len(wiring) == len(L4.steps), output
    assert not [line for line in wiring if line.startswith(("✗", "="))], output
    registry = L4.path("openai_compatible_family")
    assert f"✓ plugin family: {registry}" in wiring, output
    for kind in L4.rendered:
        assert (checkout / L4.rendered_path(kind, PROVIDER)).is_file(), f"{L4.rendered_path(kind, PROVIDER)}\n{output}"
    assert (checkout / f".copier-answers.{PROVIDER}.yml").is_file(), output
    registry_text = (checkout / registry).read_text(encoding="utf-8")
    assert (
        f'        descs.append(\n            ProviderDescriptor(\n                name="{PROVIDER}",' in registry_text
    )

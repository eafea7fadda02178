#!/usr/bin/env python3
"""Set-up and entry points; needs only Python 3.10+ and git.

    python3 dev.py copy [PROMPTURE_CHECKOUT] [copier options...]
        Adds a provider driver to the checkout (interactive questionnaire).
        Without a checkout, scaffolds into a fresh Prompture sdist extracted
        under ./prompture-checkout/ (the embedded default, see PROMPTURE_VERSION).
    python3 dev.py update [PROMPTURE_CHECKOUT] [copier options...]
        Runs `copier update --trust` in the checkout (default: that same fresh one)
        with this clone's Copier, e.g. `--defaults -a .copier-answers.<provider>.yml`.
    python3 dev.py test [pytest options...]
        Runs the whole test suite.
    python3 dev.py bench [--scaffold-reps N] [--driver-reps N]
        Runs benchmarks/run.py and prints its table (see docs/benchmarks.md).

Each command first creates ./.venv and installs what it needs (again only
when pyproject.toml changed).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PROMPTURE_VERSION = "1.15.1"
DEFAULT_CHECKOUT = ROOT / "prompture-checkout" / f"prompture-{PROMPTURE_VERSION}"

# What running Prompture, its tests and `pip install -e ".[dev]"` leaves in the default checkout, kept out of
# `git status` so that `copier update` does not refuse a "dirty" tree. The last two are build outputs that the
# editable install rewrites (setuptools_scm's version file, the egg-info): the first commit leaves them untracked.
IGNORED_IN_CHECKOUT = [
    "__pycache__/",
    "*.py[cod]",
    ".venv/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".mypy_cache/",
    "/build/",
    "*.egg-info/",
    "/prompture/_version.py",
]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extra: str) -> Path:
    """Create .venv and install this project's dependencies (with ``extra``) when pyproject.toml or the
    install command changed."""
    # The project has no module to import, so it is installed as a plain wheel for its dependencies: an
    # editable install would add an import hook that every Python started in .venv (Copier, its task) loads.
    project = f"{ROOT}[{extra}]" if extra else str(ROOT)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + f"\0pip install {project}".encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'base'}"  # one per extra: `copy` after `test` reinstalls nothing
    if not (stamp.exists() and stamp.read_text() == wanted):
        print(f"Setting up {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
        pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, project], check=True)
        stamp.write_text(wanted)
    return venv_python()


def default_checkout() -> Path:
    """Download and extract the Prompture sdist once, under ./prompture-checkout/, as a git repository."""
    checkout = DEFAULT_CHECKOUT
    folder = checkout.parent
    if not checkout.exists():
        folder.mkdir(exist_ok=True)
        python = venv_python()
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"prompture=={PROMPTURE_VERSION}",
                "--dest",
                str(folder),
            ],
            check=True,
        )
        with tarfile.open(folder / f"prompture-{PROMPTURE_VERSION}.tar.gz") as archive:
            # The "data" filter (Python 3.10.12+) also leaves the files owned by us, not by the archive's
            # uid (as root the latter makes git refuse the folder: "dubious ownership").
            archive.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        # A git repository, as a real checkout is: `git diff` shows the wiring, `copier update` can run.
        git = ["git", "-c", "user.name=prompture-driver-template", "-c", "user.email=template@localhost"]
        subprocess.run([*git, "init", "-q"], cwd=checkout, check=True)
        ignore_runtime_files(checkout)
        subprocess.run([*git, "add", "-A"], cwd=checkout, check=True)
        subprocess.run([*git, "commit", "-qm", f"Prompture {PROMPTURE_VERSION} sdist"], cwd=checkout, check=True)
        # The release's tag, so setuptools_scm gives an editable install the release's version.
        subprocess.run([*git, "tag", f"v{PROMPTURE_VERSION}"], cwd=checkout, check=True)
        print(f"Extracted a fresh Prompture {PROMPTURE_VERSION} checkout into {checkout} (a git repository)")
    ignore_runtime_files(checkout)  # a checkout made by an older dev.py gets them too
    return checkout


def ignore_runtime_files(checkout: Path) -> None:
    """Add IGNORED_IN_CHECKOUT to the checkout's .git/info/exclude (its own ignore list, not a tracked file)."""
    exclude = checkout / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
    missing = [pattern for pattern in IGNORED_IN_CHECKOUT if pattern not in text.splitlines()]
    if missing:
        header = "# Added by prompture-driver-template's dev.py: files that running Prompture leaves behind.\n"
        exclude.write_text(
            text + ("" if text.endswith("\n") or not text else "\n") + header + "\n".join(missing) + "\n"
        )


def checkout_and_options(args: list[str]) -> tuple[Path | None, list[str]]:
    """``[CHECKOUT] [copier options]``: the checkout given first, else None (the default one)."""
    if args and not args[0].startswith("-"):
        return Path(args[0]).resolve(), args[1:]
    return None, args


def copy(args: list[str]) -> int:
    python = ensure_venv("")
    target, options = checkout_and_options(args)
    if target in (None, DEFAULT_CHECKOUT):
        target = default_checkout()
    return subprocess.call([str(python), "-m", "copier", "copy", "--trust", *options, str(ROOT), str(target)])


def update(args: list[str]) -> int:
    python = ensure_venv("")
    target, options = checkout_and_options(args)
    if target is None:
        if not DEFAULT_CHECKOUT.exists():
            print(f"dev.py update: no checkout at {DEFAULT_CHECKOUT}; give the checkout's path.", file=sys.stderr)
            return 2
        target = DEFAULT_CHECKOUT
    if target == DEFAULT_CHECKOUT:
        ignore_runtime_files(target)  # a checkout made by an older dev.py gets them too
    # The template comes from the answers file's _src_path: this clone, for a checkout `dev.py copy` made.
    return subprocess.call([str(python), "-m", "copier", "update", "--trust", *options, str(target)])


def test(args: list[str]) -> int:
    python = ensure_venv("test")
    # One worker per core, a test file per worker: most tests wait on Copier, pip or a Prompture
    # subprocess, so the suite takes about half the time. `-n 0` (or `-p no:xdist`) runs it in one process.
    chosen = any(arg.startswith(("-n", "--numprocesses")) or arg.endswith("no:xdist") for arg in args)
    workers = [] if chosen else ["-n", "auto", "--dist", "loadfile"]
    code = subprocess.call([str(python), "-m", "pytest", *workers, *args], cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: that is a failure here.", file=sys.stderr)
        return 1
    return code


def bench(args: list[str]) -> int:
    python = ensure_venv("bench")
    return subprocess.call([str(python), str(ROOT / "benchmarks" / "run.py"), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    commands = {"copy": copy, "update": update, "test": test, "bench": bench}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

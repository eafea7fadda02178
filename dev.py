#!/usr/bin/env python3
"""Set-up and entry points; needs only Python 3.10+ and git.

    python3 dev.py copy [PROMPTURE_CHECKOUT] [copier options...]
        Adds a provider driver to the checkout (interactive questionnaire).
        Without a checkout, scaffolds into a fresh Prompture sdist extracted
        under ./prompture-checkout/ (the embedded default, see PROMPTURE_VERSION).
    python3 dev.py test [pytest options...]
        Runs the whole test suite.
    python3 dev.py bench [--scaffold-reps N] [--driver-reps N]
        Runs benchmarks/run.py and prints its table (see the README's Benchmarks).

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


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extra: str) -> Path:
    """Create .venv and install this project's dependencies (with ``extra``) when pyproject.toml changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'base'}"  # one per extra: `copy` after `test` reinstalls nothing
    if not (stamp.exists() and stamp.read_text() == wanted):
        print(f"Setting up {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
        pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[{extra}]" if extra else str(ROOT)], check=True)
        stamp.write_text(wanted)
    return venv_python()


def default_checkout() -> Path:
    """Download and extract the Prompture sdist once, under ./prompture-checkout/."""
    folder = ROOT / "prompture-checkout"
    checkout = folder / f"prompture-{PROMPTURE_VERSION}"
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
        subprocess.run([*git, "add", "-A"], cwd=checkout, check=True)
        subprocess.run([*git, "commit", "-qm", f"Prompture {PROMPTURE_VERSION} sdist"], cwd=checkout, check=True)
        print(f"Extracted a fresh Prompture {PROMPTURE_VERSION} checkout into {checkout} (a git repository)")
    return checkout


def copy(args: list[str]) -> int:
    python = ensure_venv("")
    if args and not args[0].startswith("-"):
        target, options = Path(args[0]), args[1:]
    else:
        target, options = default_checkout(), args
    return subprocess.call([str(python), "-m", "copier", "copy", "--trust", *options, str(ROOT), str(target)])


def test(args: list[str]) -> int:
    python = ensure_venv("test")
    code = subprocess.call([str(python), "-m", "pytest", *args], cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: that is a failure here.", file=sys.stderr)
        return 1
    return code


def bench(args: list[str]) -> int:
    python = ensure_venv("bench")
    return subprocess.call([str(python), str(ROOT / "benchmarks" / "run.py"), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    commands = {"copy": copy, "test": test, "bench": bench}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

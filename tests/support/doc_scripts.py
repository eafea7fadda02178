"""The scripts that write parts of the pages in docs/ (scripts/*.py), loaded and run as the tests need them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (its folder on sys.path, as when it runs as a script)."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_page(name: str) -> subprocess.CompletedProcess:
    """``python scripts/<name>.py --check``: exit 0 when the page it writes is current."""
    command = [sys.executable, str(SCRIPTS / f"{name}.py"), "--check"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)

"""The package's compiled Python code is kept in the user cache, and a fresh clone of the same sources
(what Copier makes for every run) loads it from there (extensions/scaffolding/module_cache.py); other
sources, or a damaged entry, are compiled again."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

from scaffolding.module_cache import CACHE_KIND, _digest
from scaffolding.user_cache import APP_NAME

EXTENSIONS = Path(__file__).resolve().parent.parent / "extensions"

# What a run of the template sees of the module: a probe only the planted cache entry defines,
# and the file its functions were compiled from (tracebacks name it).
REPORT = (
    "import scaffolding.names as names; "
    "print(getattr(names, 'CACHE_PROBE', 'compiled')); "
    "print(names.class_prefix_for.__code__.co_filename)"
)


def _clone(tmp_path: Path, name: str) -> Path:
    """``extensions/`` as a fresh Copier clone has it: a new folder, no ``__pycache__``."""
    target = tmp_path / name / "extensions"
    shutil.copytree(EXTENSIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _run(extensions: Path, cache: Path) -> list[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    result = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=extensions, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _entry(cache: Path, source: bytes) -> Path:
    return cache / APP_NAME / CACHE_KIND / f"{_digest(source)}.code"


def _plant_probe(entry: Path, source: bytes) -> None:
    """Replace the cached code of ``source`` with code that also defines CACHE_PROBE."""
    planted = compile(source + b"\nCACHE_PROBE = 'from the cache'\n", "/elsewhere/names.py", "exec")
    entry.write_bytes(marshal.dumps(planted))


def test_a_fresh_clone_of_the_same_sources_loads_the_cached_code_under_its_own_file_name(tmp_path):
    cache = tmp_path / "cache"
    first = _clone(tmp_path, "clone-1")
    source = (first / "scaffolding" / "names.py").read_bytes()
    assert _run(first, cache) == ["compiled", str(first / "scaffolding" / "names.py")]
    entry = _entry(cache, source)
    assert entry.is_file()
    _plant_probe(entry, source)

    second = _clone(tmp_path, "clone-2")
    assert _run(second, cache) == ["from the cache", str(second / "scaffolding" / "names.py")]


def test_changed_sources_and_damaged_entries_are_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    first = _clone(tmp_path, "clone-1")
    source = (first / "scaffolding" / "names.py").read_bytes()
    _run(first, cache)
    _plant_probe(_entry(cache, source), source)

    changed = _clone(tmp_path, "clone-2")
    (changed / "scaffolding" / "names.py").write_bytes(source + b"# changed\n")
    assert _run(changed, cache)[0] == "compiled"
    assert _entry(cache, source + b"# changed\n").is_file()

    _entry(cache, source).write_bytes(b"not marshalled code")
    damaged = _clone(tmp_path, "clone-3")
    assert _run(damaged, cache)[0] == "compiled"
    assert _run(_clone(tmp_path, "clone-4"), cache)[0] == "compiled"  # the damaged entry was written anew


def test_without_a_writable_cache_the_package_is_compiled_as_usual(tmp_path):
    cache = tmp_path / "not-a-folder"
    cache.write_text("a file where the cache folder would go\n")
    clone = _clone(tmp_path, "clone")
    assert _run(clone, cache) == ["compiled", str(clone / "scaffolding" / "names.py")]

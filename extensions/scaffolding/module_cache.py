"""This package's compiled Python code, kept in the user's cache between runs.

Copier runs the template from a fresh clone in a new temporary folder each time, so the
``__pycache__`` Python writes beside the sources goes away with the clone (and is never
written under ``PYTHONDONTWRITEBYTECODE``): without this, every copy compiled the whole
package twice, once for the questionnaire and once for the wiring task. Here the code is
kept under the user cache, keyed by a digest of the source and the interpreter's bytecode
version, like the compiled Jinja templates (``jinja_globals.CompiledTemplates``), and, like
those, also under ``PYTHONDONTWRITEBYTECODE``: that keeps ``.pyc`` files out of source trees,
and this cache is not in one.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import marshal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from .fileio import write_atomically
from .user_cache import user_cache_folder

#: The user cache folder's part for this code (``user_cache.user_cache_path(CACHE_KIND)``).
CACHE_KIND = "python"


def keep_compiled_submodules(package: str) -> None:
    """Load ``package``'s submodules through the cache (once per package name and process)."""
    if not any(isinstance(finder, _CachedSubmodules) and finder.prefix == package + "." for finder in sys.meta_path):
        folder = user_cache_folder(CACHE_KIND)
        if folder is not None:
            sys.meta_path.insert(0, _CachedSubmodules(package + ".", folder))


class _CachedSubmodules:
    """Finds ``<package>.*`` where Python would, and loads it with ``_CachedSourceLoader``."""

    def __init__(self, prefix: str, folder: Path) -> None:
        self.prefix = prefix
        self.folder = folder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.origin is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec
        spec.loader = _CachedSourceLoader(fullname, spec.origin, self.folder)
        return spec


class _CachedSourceLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, folder: Path) -> None:
        super().__init__(fullname, path)
        self.folder = folder

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        entry = self.folder / (_digest(source) + ".code")
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            cached: Any = marshal.loads(entry.read_bytes())
            if isinstance(cached, CodeType):
                return _relocated(cached, path)
        code = self.source_to_code(source, path)
        with contextlib.suppress(OSError):
            write_atomically(entry, marshal.dumps(code))
        return code


def _digest(source: bytes) -> str:
    interpreter = importlib.util.MAGIC_NUMBER + bytes([sys.flags.optimize])
    return hashlib.sha256(interpreter + b"\0" + source).hexdigest()


def _relocated(code: CodeType, filename: str) -> CodeType:
    """``code`` as compiled from ``filename`` (tracebacks name this clone's file, not the first one's)."""
    if code.co_filename == filename:
        return code
    constants = tuple(_relocated(value, filename) if isinstance(value, CodeType) else value for value in code.co_consts)
    return code.replace(co_filename=filename, co_consts=constants)

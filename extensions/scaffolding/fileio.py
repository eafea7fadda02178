"""Writing files so readers see the old or the new one, never a part; reading TOML on any Python."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def writable_by_mode(path: Path) -> bool:
    """Writable by us *and* not marked read-only (root may write anything: respect the mode bits).

    A file that does not exist yet is writable when its folder is.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return os.access(path.parent, os.W_OK)
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def write_atomically(path: Path, data: bytes, *, keep_mode: bool = False, fail_message: str = "") -> None:
    """Replace ``path`` with ``data`` through a temporary file beside it and ``os.replace``.

    ``keep_mode`` gives the new file the old one's permission bits. ``fail_message`` (tests only)
    breaks off after half the bytes with that EIO error, as a full disk or an I/O error would.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if fail_message:
                handle.write(data[: len(data) // 2])
                handle.flush()
                raise OSError(errno.EIO, fail_message, str(path))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if keep_mode:
            with contextlib.suppress(OSError):
                os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML: ``tomllib`` on Python 3.11+ (~20x faster), tomlkit's parser on 3.10."""
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomlkit

        return tomlkit.parse(text).unwrap()
    return tomllib.loads(text)

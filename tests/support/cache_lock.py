"""One builder at a time for each cached artifact, across threads and processes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: the thread lock still serialises one test run
    fcntl = None  # type: ignore[assignment]

_thread_locks: dict[Path, threading.Lock] = {}
_guard = threading.Lock()


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold ``lock_file`` exclusively: other threads of this process and other processes wait."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with _guard:
        thread_lock = _thread_locks.setdefault(lock_file, threading.Lock())
    with thread_lock, open(lock_file, "a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield

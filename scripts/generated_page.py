"""The one rule of the scripts that write part of a page in docs/: write it, or check it is current."""

from __future__ import annotations

from pathlib import Path


def write_or_check(page: Path, fresh: str, *, check: bool, what: str, command: str) -> int:
    """Write ``fresh`` to ``page``; with ``check``, write nothing and exit 1 when ``page`` differs,
    saying that ``what`` is stale and which ``command`` brings it up to date."""
    if not check:
        page.write_text(fresh, encoding="utf-8")
        return 0
    if fresh != page.read_text(encoding="utf-8"):
        print(f"{what} is stale: run {command}")
        return 1
    return 0

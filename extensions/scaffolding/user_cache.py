"""Where the template keeps what it can reuse between runs: the user cache folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "prompture-driver-template"


def user_cache_path(kind: str) -> Path:
    """``<user cache>/prompture-driver-template/<kind>`` (``$XDG_CACHE_HOME`` on Linux), not created."""
    return Path(platformdirs.user_cache_dir(APP_NAME)) / kind


def user_cache_folder(kind: str) -> Path | None:
    """``user_cache_path(kind)``, created; None when it cannot be (the caller then works without a cache)."""
    folder = user_cache_path(kind)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder

"""A provider's models.dev facts, read through the catalogue client.

The questionnaire of a first copy reads them for its defaults, and the wiring's rate-file
step for the rate file it writes (``wiring/catalogue.py``); both go through here, so the
catalogue the copy read moments before (the client's cache) gives both the same facts.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile

from . import facts, models_dev
from .facts import facts_problem


class CatalogueUnavailable(Exception):
    """No catalogue to read the facts from, or no such provider in it (the message says what to do)."""


def fetch_facts(provider_id: str, refresh: bool = False) -> dict:
    """The facts for ``provider_id`` ({} for none); ``refresh`` revalidates the client's cache first."""
    if not provider_id:
        return {}
    catalogue = models_dev.load_catalogue(revalidate=bool(refresh))
    if catalogue is None:
        raise CatalogueUnavailable(
            f'No models.dev data to look up "{provider_id}": {models_dev.unreachable_reason()}. '
            f"To use it, connect or {models_dev.REACH_HINT}; or leave models_dev_provider empty "
            "and give the endpoint, default model and prices."
        )
    try:
        return facts.provider_facts(catalogue, provider_id)
    except facts.FactsError as error:
        raise CatalogueUnavailable(str(error)) from error


# ── Handing the questionnaire's facts to the wiring task ─────────────────────
# The task runs in another process: it gets the very facts the questions used, through a
# temporary file it reads once and deletes, instead of reading models.dev a second time
# (which could warn twice, wait twice for a slow server, or see a newer catalogue).


def write_handoff(facts: dict) -> str:
    """Save ``facts`` for the wiring task; the path to give it ("" for no facts)."""
    if not facts:
        return ""
    descriptor, path = tempfile.mkstemp(prefix="prompture-driver-template-facts-", suffix=".json")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(facts, handle)
    return path


def read_handoff(path: str) -> dict | None:
    """The facts saved at ``path``, deleting the file; None when there is none to read."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            facts = json.load(handle)
    except (OSError, ValueError):
        return None
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
    return facts if isinstance(facts, dict) and not facts_problem(facts) else None

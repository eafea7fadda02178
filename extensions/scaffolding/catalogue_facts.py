"""A provider's models.dev facts, read through the catalogue client.

The questionnaire of a first copy reads them for its defaults, and the wiring's rate-file
step for the rate file it writes (``wiring/catalogue.py``); both go through here, so the
catalogue the copy read moments before (the client's cache) gives both the same facts.
"""

from __future__ import annotations

from . import facts, models_dev


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

"""The Python SDKs a ``custom_sdk`` driver can use with no edit: how to build their clients and call them.

Each is OpenAI-shaped (``client.<completions>.create(...)``, ``.with_raw_response`` for the
reply's headers, ``extra_body``), as the SDKs that Stainless generates are.

A driver for a known SDK takes its client classes, the constructor keyword of the base URL
and its error type from here; it always builds the client for the provider's endpoint, never
the SDK's own default host. A driver for an SDK not listed here refuses at first use, before
any request, naming the constants to fill in. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class KnownSdk:
    package: str  # the distribution on PyPI
    module: str  # what the driver imports
    client_class: str  # the sync client, a class of ``module``
    async_client_class: str  # the async client
    base_url_keyword: str  # the client constructor's keyword for the API's base URL
    completions: str  # the client attribute whose ``create(...)`` makes a chat completion
    error_class: str  # the base class of the SDK's request errors (``status_code`` on HTTP errors)
    min_version: str  # the first release with all of the above
    no_key: str  # the key a server that needs none gets: the client refuses to start without one
    # Constructor options the driver always passes: Prompture's resilience decides about retries,
    # so the SDK's own retries would only hide a 429 and its Retry-After from it.
    client_options: dict[str, Any] = field(default_factory=dict)


KNOWN_SDKS: dict[str, KnownSdk] = {
    "openai": KnownSdk(
        package="openai",
        module="openai",
        client_class="OpenAI",
        async_client_class="AsyncOpenAI",
        base_url_keyword="base_url",
        completions="chat.completions",
        error_class="APIError",
        min_version="1.0",
        no_key="no-key",
        client_options={"max_retries": 0},
    ),
}


def known_sdk(package: object, module: object = None) -> dict[str, Any]:
    """The table's entry for the distribution ``package`` imported as ``module`` (its own module
    when None), as a dict for the templates; {} when the template does not know that SDK."""
    if not isinstance(package, str):
        return {}
    sdk = KNOWN_SDKS.get(canonicalize_name(package))
    if sdk is None or (module is not None and module != sdk.module):
        return {}
    return asdict(sdk)


def default_min_version(package: object) -> str:
    """The ``sdk_min_version`` default: the known SDK's first usable release, else "0.1.0"."""
    return known_sdk(package).get("min_version", "0.1.0")

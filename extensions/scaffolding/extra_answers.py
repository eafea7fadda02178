"""Answers for the optional places only later Prompture layouts have: defaults and validators.

Those places (wired by ``wiring/extras.py``) are the provider's ``ProviderEnvironment`` fields,
its ``PROVIDER_NAME_MAP`` entry, its live API-key check in ``provider_keys._KEY_CHECKS`` and its
``PROVIDER_BRANDS`` entry. Each validator returns "" when the answer is fine, else what is wrong
and what to do.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlsplit

from publicsuffixlist import PSLFILE, PublicSuffixList

from .validators import ENDPOINT_PLACEHOLDER, http_url_parts, is_ip_address, is_local_host

#: Auth styles of ``provider_keys._auth_headers`` in Prompture 1.15: how the key is sent.
KEY_CHECK_STYLES = ("bearer", "anthropic", "goog", "xi", "token")
_CANONICAL = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_COLOR = re.compile(r"[0-9A-Fa-f]{6}")
_DOMAIN = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
#: Query parameter names that would carry a secret in a URL written into the source.
_SECRET_PARAMS = re.compile(r"(key|token|secret|password|auth|signature)", re.IGNORECASE)


def default_key_check_url(endpoint: str, api_style: str) -> str:
    """``{endpoint}/models`` for OpenAI-compatible APIs (their cheapest authenticated read), else "".

    Also "" for an endpoint with ``${VAR}`` parts: ``prompture setup`` calls the URL as written.
    """
    if api_style != "openai_compatible" or not endpoint or "${" in endpoint:
        return ""
    return endpoint.rstrip("/") + "/models"


def default_brand_domain(endpoint: str, doc_url: str = "") -> str:
    """The brand's registrable domain from the endpoint's host (else the docs URL's), by the Public Suffix
    List: ``inference.baseten.co`` -> ``baseten.co``, ``api.acme.co.uk`` -> ``acme.co.uk``.

    "" for a local or numeric host, where a favicon lookup would find nothing.
    """
    for url in (endpoint, doc_url):
        try:
            parts = urlsplit(url or "")
        except ValueError:
            continue
        host = (parts.hostname or "").lower().rstrip(".")
        if not host or "${" in parts.netloc:
            continue  # a ${VAR} part in the path leaves the host alone; one in the host hides it
        if is_local_host(host) or is_ip_address(host):
            return ""  # no public domain: no favicon
        domain = _public_suffixes(host.rsplit(".", 1)[-1]).privatesuffix(host)
        return domain if domain and _DOMAIN.fullmatch(domain) else ""
    return ""


@functools.cache
def _public_suffixes(top_label: str) -> PublicSuffixList:
    """The Public Suffix List bundled with the package (no network), cut to the rules under
    ``top_label``: only those can match a host ending in it, and parsing the whole list costs
    more than the rest of a copy's questionnaire."""
    with open(PSLFILE, encoding="utf-8") as lines:
        rules = [rule for rule in (line.strip().lower() for line in lines) if _rule_under(rule, top_label)]
    return PublicSuffixList(rules)


def _rule_under(rule: str, top_label: str) -> bool:
    if not rule or rule.startswith("//"):
        return False  # a blank line or a comment
    if rule == top_label or rule.endswith("." + top_label):
        return True
    # The rules of an internationalised top label are written in Unicode.
    return top_label.startswith("xn--") and not rule.isascii() and _idna_top(rule) == top_label


def _idna_top(rule: str) -> str:
    """The ASCII form of a rule's last label (``xn--...`` for an internationalised one)."""
    try:
        return rule.rsplit(".", 1)[-1].encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def canonical_name_problem(name: str) -> str:
    if not name:
        return ""  # leave PROVIDER_NAME_MAP alone
    if len(name) > 40 or not _CANONICAL.fullmatch(name):
        return (
            f"{name!r} is not a provider name: use at most 40 lowercase letters, digits, '_', '-' or '.' "
            '(the name APIs use, e.g. "anthropic" for claude), or leave it empty to skip PROVIDER_NAME_MAP.'
        )
    return ""


def key_check_url_problem(url: str) -> str:
    if not url:
        return ""  # no live key check: `prompture setup` saves the key unchecked
    if ENDPOINT_PLACEHOLDER.search(url):
        return (
            f"{url!r} has ${{...}} parts: `prompture setup` calls the key-check URL as written and cannot fill "
            "them in. Give a URL without them, or leave it empty for no live check."
        )
    parts = http_url_parts(url)
    if parts is None:
        return (
            f"{url!r} is not a usable key-check URL: give the http:// or https:// URL of the provider's "
            'cheapest authenticated read, e.g. "https://api.acme.example/v1/models", or leave it empty.'
        )
    secret = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True) if _SECRET_PARAMS.search(name)]
    if parts.username is not None or parts.password is not None or secret:
        return (
            f"{url!r} carries a credential ({'user:password@' if not secret else secret[0] + '='}): it would "
            "be written into the source. The key is sent in a header (key_check_auth); give the URL without it."
        )
    if parts.fragment or url.endswith("#"):
        return f"{url!r} has a fragment (#): give the URL without it."
    return ""


def brand_domain_problem(domain: str) -> str:
    if not domain:
        return ""  # no favicon fallback for the logo
    if not _DOMAIN.fullmatch(domain) or is_local_host(domain) or is_ip_address(domain):
        return (
            f'{domain!r} is not a bare public domain: give it without scheme or path, e.g. "acme.com" '
            "(used for the logo's favicon), or leave it empty."
        )
    return ""


def brand_color_problem(color: str) -> str:
    if not color:
        return ""
    if not _COLOR.fullmatch(color.removeprefix("#")):
        return f'{color!r} is not a hex color: give six hex digits, e.g. "1E40AF", or leave it empty.'
    return ""


def brand_color(color: str) -> str:
    """The color as ``provider_branding`` writes it: six upper-case hex digits, no ``#``."""
    return color.removeprefix("#").upper()

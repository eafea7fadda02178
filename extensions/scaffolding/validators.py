"""Answer validators that need nothing but the answer: each returns "" when it is fine, else what is wrong
and what to do. The checks against the checkout are in ``questionnaire.py``."""

from __future__ import annotations

import ipaddress
import keyword
import math
import re
from urllib.parse import SplitResult, urlsplit

from packaging.version import InvalidVersion, Version

# Longer names make ruff format re-wrap generated lines such as `class AsyncXDriver(CostMixin, AsyncDriver):`.
MAX_NAME_LENGTH = 40
PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]*")
CLASS_PREFIX = re.compile(r"[A-Z][A-Za-z0-9]*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DISTRIBUTION = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_MODEL_ID = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._:/@+-]*")
#: A ``${NAME}`` part of an endpoint: the driver fills it in from the variable NAME when it starts.
ENDPOINT_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")


def _shown(value: object) -> str:
    """``value`` quoted for a one-line message: "as typed", or a repr when it holds quotes or control characters."""
    text = str(value)
    return f'"{text}"' if text.isprintable() and '"' not in text else repr(text)


def provider_name_problem(provider: str) -> str:
    if not provider:
        return 'A provider name is required, e.g. "acme".'
    if not PROVIDER_NAME.fullmatch(provider):
        return (
            f"{_shown(provider)} is not a valid provider name: use lowercase letters, digits and "
            'underscores, starting with a letter (e.g. "acme" or "acme_ai").'
        )
    if len(provider) > MAX_NAME_LENGTH:
        return f'"{provider}" is {len(provider)} characters long: keep provider names to {MAX_NAME_LENGTH} at most.'
    if keyword.iskeyword(provider) or keyword.issoftkeyword(provider):
        return f'"{provider}" is a Python keyword and cannot name a module: pick another name, e.g. "{provider}_ai".'
    return ""


def class_prefix_name_problem(prefix: str) -> str:
    if not CLASS_PREFIX.fullmatch(prefix or ""):
        return (
            f"{_shown(prefix)} is not a valid class prefix: use letters and digits starting with an "
            'uppercase letter, e.g. "Acme" (gives AcmeDriver).'
        )
    if len(prefix) > MAX_NAME_LENGTH:
        return f'"{prefix}" is {len(prefix)} characters long: keep class prefixes to {MAX_NAME_LENGTH} at most.'
    return ""


def text_problem(value: str, field: str) -> str:
    if not value or not value.strip():
        return f"{field} must not be empty."
    if any(not char.isprintable() for char in value):
        return f"{field} must be one line of printable text (no newlines, tabs or control characters)."
    if len(value) > 80:
        return f"{field} is {len(value)} characters long: keep it to 80 at most."
    return ""


def distribution_problem(name: str) -> str:
    if not _DISTRIBUTION.fullmatch(name or ""):
        return (
            f'{_shown(name)} is not a valid PyPI distribution name: use letters, digits, ".", "_" and "-", '
            'starting and ending with a letter or digit (e.g. "acme-ai").'
        )
    return ""


def version_problem(version: str) -> str:
    try:
        # packaging accepts surrounding blanks (even a newline); they would land in pyproject.toml.
        if version != version.strip():
            raise InvalidVersion(version)
        Version(version)
    except (InvalidVersion, TypeError, AttributeError):
        return f'{_shown(version)} is not a PEP 440 version: use something like "1.2" or "0.4.1".'
    return ""


def import_problem(module: str) -> str:
    parts = (module or "").split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return f'{_shown(module)} is not an importable module path: use dotted Python identifiers, e.g. "acme_ai".'
    return ""


def env_name_problem(name: str, provider: str = "", other: str = "") -> str:
    """Check an environment variable name; with ``provider``, also that it is not the model's variable
    (``<PROVIDER>_MODEL``) nor ``other``, the provider's other variable (two settings cannot share one)."""
    if not _ENV_NAME.fullmatch(name or ""):
        return (
            f"{_shown(name)} is not a valid environment variable name here: use uppercase letters, digits "
            'and underscores, starting with a letter (e.g. "ACME_API_KEY").'
        )
    if not provider:
        return ""
    if name == f"{provider.upper()}_MODEL":
        return f"{name} is the variable for the default model: pick another name, e.g. {provider.upper()}_API_KEY."
    if other and name == other:
        return f"{name} is already the API key variable: pick another name, e.g. {provider.upper()}_ENDPOINT."
    return ""


def http_url_parts(url: str) -> SplitResult | None:
    """``urlsplit(url)`` of an http:// or https:// URL with a host, a valid port and no spaces, quotes,
    backslashes, braces or control characters; None for anything else."""
    if any(char.isspace() or char in "\"'\\<>{}`" or not char.isprintable() for char in url or ""):
        return None
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in 0-65535)
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


def is_local_host(host: str) -> bool:
    """A host on this machine or its private network (``localhost``, ``*.local``, ``*.internal``, a loopback,
    private or unspecified address), where a self-hosted server runs and no public site is."""
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost" or host.endswith((".local", ".localhost", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_unspecified or address.is_link_local


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def endpoint_vars(url: str) -> list[str]:
    """The environment variables the endpoint's ``${NAME}`` parts name, each once, in order."""
    return list(dict.fromkeys(ENDPOINT_PLACEHOLDER.findall(url or "")))


def endpoint_problem(url: str, provider: str = "", key_env: str = "") -> str:
    """Check an endpoint; ``${NAME}`` parts (filled in from the environment at run time) are allowed when
    NAME is a variable of its own: not the API key's ``key_env``, nor one of ``provider``'s own settings."""
    placeholder_problem = _placeholder_problem(url or "", provider, key_env)
    if placeholder_problem:
        return placeholder_problem
    # Checked with each ${NAME} as "x"; one that starts the URL stands for its scheme and host (models.dev's neon).
    sample = ENDPOINT_PLACEHOLDER.sub("x", url or "")
    parts = http_url_parts("https://" + sample if (url or "").startswith("${") else sample)
    if parts is None:
        return (
            f"{url!r} is not a usable endpoint: give an http:// or https:// URL with a host and no "
            'spaces, quotes or backslashes, e.g. "https://api.acme.example/v1".'
        )
    if parts.username is not None or parts.password is not None:
        return (
            f"{url!r} holds credentials (user:password@): they would be written into the source and the "
            "answers file. Give the URL without them; the API key comes from its environment variable."
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return (
            f"{url!r} has a query or fragment (? or #): give the base URL only; the driver appends paths "
            'such as /chat/completions to it, e.g. "https://api.acme.example/v1".'
        )
    return ""


_OWN_SETTINGS = {
    "api_key": "the variable of the API key",
    "endpoint": "the variable of the endpoint",
    "model": "the variable of the default model",
}


def _placeholder_problem(url: str, provider: str, key_env: str) -> str:
    names = ENDPOINT_PLACEHOLDER.findall(url)
    bad = next((name for name in names if not _ENV_NAME.fullmatch(name) or keyword.iskeyword(name.lower())), None)
    if bad is not None:
        return (
            f"{url!r} has ${{{bad}}}: a ${{...}} part names the environment variable that fills it in, in "
            "uppercase letters, digits and underscores, starting with a letter (no Python keyword), "
            'e.g. "${ACME_ACCOUNT_ID}".'
        )
    if "${" in ENDPOINT_PLACEHOLDER.sub("", url):
        return f"{url!r} has a ${{ without its closing }}: write each part to fill in as ${{NAME}}."
    own = {f"{provider}_{suffix}".upper(): what for suffix, what in _OWN_SETTINGS.items()} if provider else {}
    taken = next((name for name in names if name == key_env or name in own), None)
    if taken is not None:
        what = "the API key variable: the key would go into the URL" if taken == key_env else own[taken]
        example = f"${{{(provider or 'acme').upper()}_ACCOUNT_ID}}"
        return f"{url!r} has ${{{taken}}}, {what}. Name a variable of its own, e.g. {example}."
    return ""


def model_id_problem(model: str) -> str:
    if not model:
        return 'A default model id is required, e.g. "acme-chat-1": the model used when a call names none.'
    if not isinstance(model, str) or not _MODEL_ID.fullmatch(model):
        return (
            f"{model!r} is not a usable model id: use letters, digits and . _ : / @ + - "
            '(no spaces, quotes, backslashes or braces), e.g. "acme-chat-1".'
        )
    return ""


def price_problem(price: float) -> str:
    try:
        value = float(price)
    except (TypeError, ValueError):
        return f"{price!r} is not a number: give the USD price per 1M tokens, e.g. 0.5."
    if not math.isfinite(value) or value < 0:
        return f"{price!r} is not a usable price: give a finite USD amount per 1M tokens, 0 or more."
    return ""

"""Questionnaire validators: each returns "" when the answer is fine, else what is wrong and what to do."""

from __future__ import annotations

import keyword
import math
import re
from pathlib import Path
from urllib.parse import urlsplit

from packaging.version import InvalidVersion, Version

from .layouts import LayoutError, detect_layout, existing_driver_classes, existing_providers

# Longer names make ruff format re-wrap generated lines such as `class XPlugin(ProviderPlugin):`.
MAX_NAME_LENGTH = 40
_PROVIDER = re.compile(r"[a-z][a-z0-9_]*")
_CLASS_PREFIX = re.compile(r"[A-Z][A-Za-z0-9]*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DISTRIBUTION = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_MODEL_ID = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._:/@+-]*")


def answers_file_for(provider: str) -> str:
    return f".copier-answers.{provider}.yml"


def is_own_provider(checkout: Path, provider: str) -> bool:
    """True when this template already added ``provider`` here (a re-run or an update)."""
    return (checkout / answers_file_for(provider)).is_file()


def provider_problem(provider: str, checkout: Path) -> str:
    if not provider:
        return 'A provider name is required, e.g. "acme".'
    if not _PROVIDER.fullmatch(provider):
        return (
            f'"{provider}" is not a valid provider name: use lowercase letters, digits and '
            'underscores, starting with a letter (e.g. "acme" or "acme_ai").'
        )
    if len(provider) > MAX_NAME_LENGTH:
        return f'"{provider}" is {len(provider)} characters long: keep provider names to {MAX_NAME_LENGTH} at most.'
    if keyword.iskeyword(provider) or keyword.issoftkeyword(provider):
        return f'"{provider}" is a Python keyword and cannot name a module: pick another name, e.g. "{provider}_ai".'
    checkout = Path(checkout)
    try:
        layout = detect_layout(checkout)
    except LayoutError as error:
        return str(error)
    if not layout.wired:
        return (
            f"{checkout} is a Prompture {layout.versions} checkout (layout {layout.name} '{layout.title}'), "
            "which this version of the template cannot wire yet: use it on Prompture 1.1.1 or newer."
        )
    if provider in existing_providers(checkout) and not is_own_provider(checkout, provider):
        return (
            f'Prompture already has a provider "{provider}": pick a new name, or edit the '
            f"existing driver by hand instead."
        )
    return ""


def class_prefix_problem(prefix: str, provider: str, checkout: Path) -> str:
    if not _CLASS_PREFIX.fullmatch(prefix or ""):
        return (
            f'"{prefix}" is not a valid class prefix: use letters and digits starting with an '
            'uppercase letter, e.g. "Acme" (gives AcmeDriver).'
        )
    if len(prefix) > MAX_NAME_LENGTH:
        return f'"{prefix}" is {len(prefix)} characters long: keep class prefixes to {MAX_NAME_LENGTH} at most.'
    if is_own_provider(Path(checkout), provider):
        return ""
    taken = {f"{prefix}Driver", f"Async{prefix}Driver"} & existing_driver_classes(Path(checkout))
    if taken:
        return f"{', '.join(sorted(taken))} already exists in prompture/drivers: pick another class prefix."
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
            f'"{name}" is not a valid PyPI distribution name: use letters, digits, ".", "_" and "-", '
            'starting and ending with a letter or digit (e.g. "acme-ai").'
        )
    return ""


def version_problem(version: str) -> str:
    try:
        Version(version)
    except InvalidVersion:
        return f'"{version}" is not a PEP 440 version: use something like "1.2" or "0.4.1".'
    return ""


def import_problem(module: str) -> str:
    parts = (module or "").split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return f'"{module}" is not an importable module path: use dotted Python identifiers, e.g. "acme_ai".'
    return ""


def env_name_problem(name: str) -> str:
    if not _ENV_NAME.fullmatch(name or ""):
        return (
            f'"{name}" is not a valid environment variable name here: use uppercase letters, digits '
            'and underscores, starting with a letter (e.g. "ACME_API_KEY").'
        )
    return ""


def endpoint_problem(url: str) -> str:
    bad = [char for char in url or "" if char.isspace() or char in "\"'\\<>{}`" or not char.isprintable()]
    parts = urlsplit(url or "")
    if bad or parts.scheme not in ("http", "https") or not parts.netloc:
        return (
            f"{url!r} is not a usable endpoint: give an http:// or https:// URL with a host and no "
            'spaces, quotes or backslashes, e.g. "https://api.acme.example/v1".'
        )
    return ""


def model_id_problem(model: str) -> str:
    if not _MODEL_ID.fullmatch(model or ""):
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

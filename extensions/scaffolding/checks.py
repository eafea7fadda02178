"""Questionnaire validators: each returns "" when the answer is fine, else what is wrong and what to do."""

from __future__ import annotations

import keyword
import math
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from packaging.version import InvalidVersion, Version

from .layouts import LayoutError, detect_layout, existing_driver_classes, existing_providers
from .replay import is_replayed_questionnaire

# Longer names make ruff format re-wrap generated lines such as `class AsyncXDriver(CostMixin, AsyncDriver):`.
MAX_NAME_LENGTH = 40
_PROVIDER = re.compile(r"[a-z][a-z0-9_]*")
_CLASS_PREFIX = re.compile(r"[A-Z][A-Za-z0-9]*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DISTRIBUTION = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_MODEL_ID = re.compile(r"[A-Za-z0-9@][A-Za-z0-9._:/@+-]*")


def _shown(value: object) -> str:
    """``value`` quoted for a one-line message: "as typed", or a repr when it holds quotes or control characters."""
    text = str(value)
    return f'"{text}"' if text.isprintable() and '"' not in text else repr(text)


def answers_file_for(provider: str) -> str:
    return f".copier-answers.{provider}.yml"


def is_own_provider(checkout: Path, provider: str) -> bool:
    """True when this template already added ``provider`` here (a re-run or an update)."""
    return (checkout / answers_file_for(provider)).is_file()


def provider_problem(provider: str, checkout: Path, recorded_layout: str = "") -> str:
    if not provider:
        return 'A provider name is required, e.g. "acme".'
    if not _PROVIDER.fullmatch(provider):
        return (
            f"{_shown(provider)} is not a valid provider name: use lowercase letters, digits and "
            'underscores, starting with a letter (e.g. "acme" or "acme_ai").'
        )
    if len(provider) > MAX_NAME_LENGTH:
        return f'"{provider}" is {len(provider)} characters long: keep provider names to {MAX_NAME_LENGTH} at most.'
    if keyword.iskeyword(provider) or keyword.issoftkeyword(provider):
        return f'"{provider}" is a Python keyword and cannot name a module: pick another name, e.g. "{provider}_ai".'
    checkout = Path(checkout)
    if is_replayed_questionnaire(checkout, recorded_layout):
        return ""  # `copier update` replaying recorded answers into a scratch folder: no checkout to check
    try:
        layout = detect_layout(checkout)
    except LayoutError as error:
        return str(error)
    if not layout.wired:
        return (
            f"{checkout} is a Prompture {layout.versions} checkout (layout {layout.name} '{layout.title}'), "
            "which this version of the template cannot wire: use it on a Prompture release this README lists."
        )
    own = is_own_provider(checkout, provider)
    if provider in _scanned(existing_providers, checkout) and not own:
        return (
            f'Prompture already has a provider "{provider}": pick a new name, or edit the '
            f"existing driver by hand instead."
        )
    if not own and (problem := _rendered_paths_problem(checkout, layout, provider)):
        return problem
    if own:  # an update or re-copy: provisional answers would clash with the real wiring (e.g. no endpoint)
        return ""
    return _dry_run_problem(checkout, _provisional_answers(provider))


def class_prefix_problem(prefix: str, provider: str, checkout: Path) -> str:
    if not _CLASS_PREFIX.fullmatch(prefix or ""):
        return (
            f"{_shown(prefix)} is not a valid class prefix: use letters and digits starting with an "
            'uppercase letter, e.g. "Acme" (gives AcmeDriver).'
        )
    if len(prefix) > MAX_NAME_LENGTH:
        return f'"{prefix}" is {len(prefix)} characters long: keep class prefixes to {MAX_NAME_LENGTH} at most.'
    if is_own_provider(Path(checkout), provider):
        return ""
    taken = {f"{prefix}Driver", f"Async{prefix}Driver"} & _scanned(existing_driver_classes, Path(checkout))
    if taken:
        return f"{', '.join(sorted(taken))} already exists in prompture/drivers: pick another class prefix."
    clash = _bound_name_clash(Path(checkout), prefix)
    if clash:
        name, rel = clash
        return f"{name} already exists in {rel}: pick another class prefix."
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


def env_name_problem(
    name: str, provider: str = "", checkout: Path | str | None = None, other: str = "", shared: Any = ()
) -> str:
    """Check an environment variable name; with ``provider`` and ``checkout``, also that it is free.

    ``other`` is the provider's other variable (the API key one, when checking the endpoint
    one): two settings cannot share one variable, and ``<PROVIDER>_MODEL`` is the model's.
    ``shared`` are the names models.dev gives for the provider's key: one of them may already be
    another provider's (a regional variant reads its vendor's ``..._API_KEY``), and then both read it.
    """
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
    if checkout is None or is_own_provider(Path(checkout), provider):
        return ""
    used = _env_names_in_use(Path(checkout))
    if name in used and name not in (shared or ()):
        return (
            f"{name} is already used in {used[name]}: pick a name of {provider}'s own, e.g. "
            f"{provider.upper()}_API_KEY or {provider.upper()}_ENDPOINT."
        )
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


def endpoint_problem(url: str) -> str:
    parts = http_url_parts(url)
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


def example_problem(with_example: Any, provider: str, checkout: Path | str) -> str:
    """The example file must not overwrite a file the checkout already has."""
    checkout = Path(checkout)
    if not with_example or not provider or is_own_provider(checkout, provider):
        return ""
    rel = f"examples/{provider}_example.py"
    if (checkout / rel).exists() or (checkout / rel).is_symlink():
        return f"{rel} already exists and the example would overwrite it: answer no, or pick another provider name."
    return ""


# ── Checks against the checkout: what the render and the wiring would touch ──


def _rendered_paths_problem(checkout: Path, layout: Any, provider: str) -> str:
    """The files Copier renders must be new, and their folders writable."""
    paths = [layout.rendered_path(kind, provider) for kind in layout.rendered]
    taken = [rel for rel in paths if (checkout / rel).exists() or (checkout / rel).is_symlink()]
    if taken:
        return (
            f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''} in {checkout}: a provider named "
            f'"{provider}" would overwrite {"it" if len(taken) == 1 else "them"}. Pick another name.'
        )
    for rel in paths:
        folder = (checkout / rel).parent
        while not folder.exists() and folder != checkout:
            folder = folder.parent
        if not _writable_by_mode(folder):
            where = folder.relative_to(checkout).as_posix() if folder != checkout else "."
            return (
                f"{where}/ is read-only, but {rel} must be created there. Make it writable "
                f"(chmod u+w {where}) and run again; nothing was written."
            )
    return ""


def _writable_by_mode(path: Path) -> bool:
    """Writable by us *and* not marked read-only (root may write anything: respect the mode bits)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _bound_name_clash(checkout: Path, prefix: str) -> tuple[str, str] | None:
    """A class name the render adds (``<prefix>Driver``, ``Async<prefix>Driver``) that a module the wiring
    imports it into already binds, as (name, file)."""
    import ast

    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return None
    new = {f"{prefix}Driver", f"Async{prefix}Driver"}
    # The packages the wiring imports the classes into.
    files = [layout.files[step] for step in ("drivers",) if step in layout.files]
    files.append("prompture/__init__.py")
    for rel in dict.fromkeys(files):
        try:
            tree = ast.parse((checkout / rel).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            bound: list[str] = []
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                bound = [node.name]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound = [alias.asname or alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound = [target.id for target in targets if isinstance(target, ast.Name)]
            for name in bound:
                if name in new:
                    return name, rel
    return None


def _env_names_in_use(checkout: Path) -> dict[str, str]:
    """Variables the checkout's env template sets, and Settings fields' upper-cased names -> file."""
    import ast

    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return {}
    used: dict[str, str] = {}
    env = layout.files.get("env")
    if env:
        try:
            lines = (checkout / env).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        for line in lines:
            match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line)
            if match:
                used.setdefault(match.group(1), env)
    settings = layout.files.get("settings")
    if settings:
        try:
            tree = ast.parse((checkout / settings).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            tree = None
        for node in tree.body if tree is not None else ():
            if isinstance(node, ast.ClassDef) and node.name == "Settings":
                for field in node.body:
                    if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name):
                        used.setdefault(field.target.id.upper(), settings)
            if _assigns(node, "KEY_ALIASES"):
                # Vendor names another provider's key is also read from (e.g. ANTHROPIC_API_KEY).
                for item in ast.walk(node.value):
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        used.setdefault(item.value, settings)
    return used


def _assigns(node: Any, name: str) -> bool:
    """True for a module-level ``name = ...`` or ``name: T = ...``."""
    import ast

    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return getattr(node, "value", None) is not None and any(
        isinstance(target, ast.Name) and target.id == name for target in targets
    )


def _provisional_answers(provider: str) -> dict[str, Any]:
    """Answers for a dry run before the others are known: the defaults' shape, OpenAI-compatible."""
    upper = provider.upper()
    prefix = "".join(part.capitalize() for part in provider.split("_"))
    return {
        "provider": provider,
        "class_prefix": prefix,
        "display_name": prefix,
        "api_style": "openai_compatible",
        "auth": "api_key_and_endpoint",
        "api_key_env": f"{upper}_API_KEY",
        "endpoint": "https://api.example.com/v1",
        "endpoint_env": f"{upper}_ENDPOINT",
        "default_model": "model",
    }


#: Answer keys the wiring reads (everything else in the answers does not change what it edits).
WIRING_KEYS = (
    "provider",
    "class_prefix",
    "display_name",
    "api_style",
    "auth",
    "api_key_env",
    "endpoint",
    "endpoint_env",
    "default_model",
    "sdk_package",
    "sdk_min_version",
    "lazy_import",
    "models_dev_provider",
    "provider_env_fields",
    "canonical_name",
    "key_check_url",
    "key_check_auth",
    "brand",
    "brand_domain",
    "brand_color",
)

_dry_runs: dict[tuple, str] = {}


def wiring_problem(checkout: Path | str, answers: Mapping[str, Any]) -> str:
    """Run the wiring on ``answers`` without writing anything; "" when it would succeed.

    Finds, before Copier renders a file, what would otherwise only fail in the wiring task
    after the render: a missing anchor, a file that is not UTF-8 or does not parse, an edit
    that would not parse, a block half there already, and a file to edit that is read-only.
    Not a checkout this template knows, or answers the wiring refuses: "" (the questions
    that own those answers say what is wrong).
    """
    return _dry_run_problem(Path(checkout), wiring_answers(answers))


def has_endpoint(auth: Any, api_style: Any) -> bool:
    """Whether the driver has an endpoint answer (copier.yml's ``when`` of ``endpoint``): all but an SDK
    reached with an API key alone, which uses the SDK's own URL."""
    return auth != "api_key" or api_style != "custom_sdk"


def wiring_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the wiring reads, as the answers file will hold them (None: not recorded)."""
    data = {key: answers.get(key) for key in WIRING_KEYS}
    # copier.yml's `when`: Copier still puts the defaults of skipped questions in the context,
    # the answers file omits them.
    if data.get("auth") == "endpoint":
        data["api_key_env"] = None
    if data.get("api_style") != "custom_sdk":
        data.update(sdk_package=None, sdk_min_version=None, lazy_import=None)
    if not has_endpoint(data.get("auth"), data.get("api_style")):
        data.update(endpoint=None, endpoint_env=None)
    return data


def _dry_run_problem(checkout: Path, data: dict[str, Any]) -> str:
    from .edits import WiringError
    from .wiring import STEPS, Answers
    from .wiring.runner import stage

    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return ""
    if not layout.wired or any(step not in STEPS for step in layout.steps):
        return ""
    key = (str(checkout), tuple(sorted(data.items(), key=lambda item: item[0])), _stamp(checkout, layout))
    if key in _dry_runs:
        return _dry_runs[key]
    try:
        answers = Answers.from_mapping({k: v for k, v in data.items() if v is not None})
    except WiringError:
        return ""
    try:
        tx, _ = stage(checkout, layout, answers)
        tx.check()
    except WiringError as error:
        problem = f"{error} (Found before anything was written.)"
    else:
        read_only = [rel for rel in tx.changed_files() if not _writable_by_mode(checkout / rel)]
        problem = (
            f"{', '.join(read_only)}: read-only, but the wiring must edit {'it' if len(read_only) == 1 else 'them'}. "
            f"Make {'it' if len(read_only) == 1 else 'them'} writable (e.g. chmod u+w {' '.join(read_only)}) "
            "and run again; nothing was written."
            if read_only
            else ""
        )
    if len(_dry_runs) > 64:
        _dry_runs.clear()
    _dry_runs[key] = problem
    return problem


_scans: dict[tuple, Any] = {}


def _scanned(scan: Any, checkout: Path) -> Any:
    """``scan(checkout)``, remembered while the Python files of the checkout's package folders are unchanged.

    Validators run on every keystroke of an interactive answer; parsing every driver module
    each time would make typing lag.
    """
    stamp = []
    folders = {path.parent for depth in ("*", "*/*", "*/*/*") for path in checkout.glob(f"prompture/{depth}.py")}
    for folder in sorted(folders):
        for path in [folder, *sorted(folder.glob("*.py"))]:
            try:
                info = path.stat()
            except OSError:
                continue
            stamp.append((str(path), info.st_mtime_ns, info.st_size))
    key = (scan.__name__, str(checkout), tuple(stamp))
    if key not in _scans:
        if len(_scans) > 16:
            _scans.clear()
        _scans[key] = scan(checkout)
    return _scans[key]


def _stamp(checkout: Path, layout: Any) -> tuple:
    """What identifies the state of the files the wiring reads (paths, sizes, times, modes)."""
    stamp = []
    for rel in sorted(set(layout.files.values())):
        try:
            info = (checkout / rel).stat()
        except OSError:
            stamp.append((rel, None))
            continue
        stamp.append((rel, info.st_size, info.st_mtime_ns, info.st_mode))
    return tuple(stamp)

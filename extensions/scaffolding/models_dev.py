"""The models.dev catalogue: fetched at most once per process, cached on disk between runs.

``load_catalogue()`` returns the whole catalogue in the shape of https://models.dev/api.json
(``{provider_id: {id, env, npm, api?, name, doc, models: {model_id: {...}}}}``), or ``None``
when no data exists anywhere; callers turn ``None`` into their own error.

Where the data comes from, in order:

1. the on-disk cache, when it holds the same URL and is younger than the TTL (no request);
2. the network: a conditional request (ETag / Last-Modified) when a stale cache exists, a
   304 only refreshes the cache's timestamp;
3. on any failure, the stale cache, then Prompture's own cache
   (``~/.prompture/cache/models_dev.json``), each announced by one warning line on stderr.

Environment:

- ``MODELS_DEV_URL``: catalogue URL (default https://models.dev/api.json).
- ``MODELS_DEV_CACHE_DIR``: cache directory (default: the user cache dir of
  ``prompture-driver-template``, sub-directory ``models-dev``).
- ``MODELS_DEV_OFFLINE=1``: never touch the network.
- ``MODELS_DEV_TTL``: seconds a cached copy stays fresh (default 86400).
- ``MODELS_DEV_TIMEOUT``: seconds the whole request may take, redirects and body included
  (default 10).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fileio import write_atomically
from .user_cache import user_cache_path

if TYPE_CHECKING:  # imported where a request is made: most runs read the cache and never need it
    import httpx

DEFAULT_URL = "https://models.dev/api.json"
DEFAULT_TTL_SECONDS = 86400.0
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5
BODY_FILE = "api.json"
META_FILE = "api.meta.json"
USER_AGENT = "prompture-driver-template (models.dev catalogue client)"
WARNING_PREFIX = "prompture-driver-template: warning: "
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class FetchError(Exception):
    """The catalogue could not be fetched; the message is a one-line reason."""


# ── Settings ────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Settings:
    url: str
    cache_dir: Path
    offline: bool
    ttl_seconds: float
    timeout_seconds: float

    @classmethod
    def from_env(cls) -> Settings:
        cache_dir = os.environ.get("MODELS_DEV_CACHE_DIR") or str(user_cache_path("models-dev"))
        return cls(
            url=os.environ.get("MODELS_DEV_URL") or DEFAULT_URL,
            cache_dir=Path(cache_dir).expanduser(),
            offline=os.environ.get("MODELS_DEV_OFFLINE", "").strip().lower() in _TRUE_WORDS,
            ttl_seconds=_seconds_from_env("MODELS_DEV_TTL", DEFAULT_TTL_SECONDS),
            timeout_seconds=_seconds_from_env("MODELS_DEV_TIMEOUT", DEFAULT_TIMEOUT_SECONDS),
        )


def _seconds_from_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


# ── Public API ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Loaded:
    catalogue: dict[str, Any] | None
    source: str
    unreachable: str = ""  # with no catalogue: what failed, for messages


#: What to do when models.dev cannot be reached (said in the warning and the refusals).
REACH_HINT = "set MODELS_DEV_URL to a reachable copy of its api.json, or MODELS_DEV_OFFLINE=1 to skip the network"


_memo: dict[Settings, Loaded] = {}
_revalidated: set[Settings] = set()
_memo_lock = threading.Lock()


def load_catalogue(revalidate: bool = False) -> dict[str, Any] | None:
    """Return the models.dev catalogue, or ``None`` when neither the network nor a cache has it.

    ``revalidate=True`` (an explicit refresh) asks models.dev even when the cache is fresh,
    conditionally when a cache exists, once per process; the answer replaces the memo.
    """
    return _load_memoized(revalidate).catalogue


def catalogue_source() -> str:
    """Describe where ``load_catalogue()``'s data came from (for messages), loading it if needed."""
    return _load_memoized().source


def unreachable_reason() -> str:
    """Why ``load_catalogue()`` has no data, e.g. "models.dev unreachable (HTTP 503) and no cached copy
    exists"; "" when it has data."""
    return _load_memoized().unreachable


def forget() -> None:
    """Drop this process's memo so the next load reads the cache / network again (for tests)."""
    with _memo_lock:
        _memo.clear()
        _revalidated.clear()


def _load_memoized(revalidate: bool = False) -> Loaded:
    settings = Settings.from_env()
    with _memo_lock:
        if revalidate and settings not in _revalidated:
            _memo[settings] = _load(settings, revalidate=True)
            _revalidated.add(settings)
        elif settings not in _memo:
            _memo[settings] = _load(settings)
        return _memo[settings]


def _load(settings: Settings, revalidate: bool = False) -> Loaded:
    cache = DiskCache(settings.cache_dir)
    stored = cache.read()
    same_url = stored is not None and stored.url == settings.url
    if same_url and not revalidate and 0 <= stored.age_seconds() < settings.ttl_seconds:
        return Loaded(stored.catalogue, f"models.dev cache for {settings.url}, {stored.age_text()}")
    validators = stored.validators() if same_url else {}
    try:
        if settings.offline:
            raise FetchError("offline: MODELS_DEV_OFFLINE is set")
        result = fetch(settings.url, validators, settings.timeout_seconds)
    except FetchError as error:
        return _fall_back(str(error), stored, settings.url)
    if result.not_modified:
        if not validators:
            return _fall_back("HTTP 304 to an unconditional request", stored, settings.url)
        _write_or_warn(cache.refresh, stored, result)
        return Loaded(stored.catalogue, f"{settings.url} (cached copy confirmed unchanged)")
    _write_or_warn(cache.store, settings.url, result)
    return Loaded(result.catalogue, f"{settings.url} (fetched just now)")


def _fall_back(reason: str, stored: StoredCatalogue | None, url: str) -> Loaded:
    if stored is not None:
        which = (
            "cached models.dev data"
            if stored.url == url
            else f"cached models.dev data for {stored.url or 'an unknown URL'}"
        )
        return _warn_and_use(reason, stored.catalogue, f"{which}, {stored.age_text()}")
    prompture = read_prompture_cache()
    if prompture is not None:
        return _warn_and_use(
            reason, prompture.catalogue, f"Prompture's cache {_short_path(prompture.path)}, {prompture.age_text()}"
        )
    # The reason is cut, not the advice after it.
    unreachable = f"models.dev unreachable ({_one_line(reason, 120)}) and no cached copy exists"
    _warn(
        f"{unreachable}: going on without it, so the endpoint, default model and prices are asked "
        f"(with --defaults, give them with --data). To use models.dev, {REACH_HINT}."
    )
    return Loaded(None, f"nowhere: {unreachable}", unreachable)


def _warn_and_use(reason: str, catalogue: dict[str, Any], which: str) -> Loaded:
    _warn(f"models.dev unreachable ({reason}); using {which}")
    return Loaded(catalogue, which)


def _warn(message: str) -> None:
    print(WARNING_PREFIX + _one_line(message), file=sys.stderr)


def _write_or_warn(write, *args: Any) -> None:
    try:
        write(*args)
    except OSError as error:
        _warn(f"could not write the models.dev cache ({error})")


# ── Catalogue shape ─────────────────────────────────────────────────────────


def catalogue_problem(data: Any) -> str:
    """Return why ``data`` is not a models.dev catalogue, or "" when it is one."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if not data:
        return "no providers"
    for provider_id, provider in data.items():
        if not isinstance(provider, dict):
            return f"provider {provider_id!r} is not an object"
        if not isinstance(provider.get("models"), dict):
            return f"provider {provider_id!r} has no models object"
    return ""


def parse_catalogue(body: bytes) -> dict[str, Any]:
    """Decode and validate a catalogue body; raise ``FetchError`` saying what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise FetchError(f"malformed JSON: {error}") from None
    problem = catalogue_problem(data)
    if problem:
        raise FetchError(f"unexpected catalogue shape: {problem}")
    return data


# ── Network ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class FetchResult:
    not_modified: bool
    body: bytes = b""
    catalogue: dict[str, Any] | None = None
    etag: str | None = None
    last_modified: str | None = None


def fetch(url: str, validators: dict[str, str], timeout_seconds: float) -> FetchResult:
    """GET ``url`` (with conditional ``validators`` headers) within ``timeout_seconds`` in total.

    The request runs in a worker thread so the deadline holds even when a server
    trickles its body slower than any per-read timeout would notice; the worker also
    checks the deadline between chunks and stops soon after the caller gives up.
    """
    deadline = time.monotonic() + timeout_seconds
    outcome: dict[str, Any] = {}
    gave_up = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = _fetch_following_redirects(url, validators, deadline, gave_up)
        except Exception as error:  # handed to the caller's thread below
            outcome["error"] = error

    worker = threading.Thread(target=work, name="models-dev-fetch", daemon=True)
    worker.start()
    worker.join(timeout_seconds)
    if worker.is_alive():
        gave_up.set()
        raise FetchError(_timed_out(timeout_seconds))
    error = outcome.get("error")
    if isinstance(error, FetchError):
        raise error
    import httpx

    if isinstance(error, httpx.TimeoutException):
        raise FetchError(_timed_out(timeout_seconds))
    if error is not None:
        raise FetchError(f"{type(error).__name__}: {error}")
    return outcome["result"]


def _timed_out(timeout_seconds: float) -> str:
    return f"timed out after {timeout_seconds:g} s"


def _fetch_following_redirects(
    url: str, validators: dict[str, str], deadline: float, gave_up: threading.Event
) -> FetchResult:
    import httpx

    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **validators}
    with httpx.Client(headers=headers, follow_redirects=False) as client:
        target: httpx.URL | str = url
        for _hop in range(MAX_REDIRECTS + 1):
            request = client.build_request("GET", target, timeout=_remaining(deadline))
            response = client.send(request, stream=True)
            try:
                if response.has_redirect_location and response.next_request is not None:
                    target = response.next_request.url
                    continue
                return _read_response(response, deadline, gave_up)
            finally:
                response.close()
    raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        import httpx

        raise httpx.TimeoutException("deadline reached")
    return left


def _read_response(response: httpx.Response, deadline: float, gave_up: threading.Event) -> FetchResult:
    etag = response.headers.get("ETag")
    last_modified = response.headers.get("Last-Modified")
    if response.status_code == 304:
        return FetchResult(not_modified=True, etag=etag, last_modified=last_modified)
    if response.status_code != 200:
        raise FetchError(f"HTTP {response.status_code}")
    body = _read_capped_body(response, deadline, gave_up)
    return FetchResult(False, body, parse_catalogue(body), etag, last_modified)


def _read_capped_body(response: httpx.Response, deadline: float, gave_up: threading.Event) -> bytes:
    too_large = FetchError(f"response larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    with contextlib.suppress(ValueError):
        if int(response.headers.get("Content-Length", "0")) > MAX_BODY_BYTES:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # decoded, so a compressed bomb is capped too
        if gave_up.is_set():
            raise FetchError("abandoned after the deadline")
        _remaining(deadline)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


# ── Disk cache ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class StoredCatalogue:
    catalogue: dict[str, Any]
    url: str | None
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    sha256: str = ""

    def age_seconds(self) -> float:
        return (datetime.now(timezone.utc) - self.fetched_at).total_seconds()

    def age_text(self) -> str:
        return describe_age(self.age_seconds())

    def validators(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class DiskCache:
    """The body file as served plus a small meta file (url, fetched_at, etag, last_modified, sha256).

    Each file is replaced atomically. The two are not replaced together, so the meta
    records the body's hash: a meta that does not match the body (two processes
    writing at once) is ignored, and the body is then only a fallback of unknown origin.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.body_path = directory / BODY_FILE
        self.meta_path = directory / META_FILE

    def read(self) -> StoredCatalogue | None:
        meta = _read_json_object(self.meta_path)
        try:
            body = self.body_path.read_bytes()
            catalogue = parse_catalogue(body)
        except (OSError, FetchError):
            return None
        digest = hashlib.sha256(body).hexdigest()
        fetched_at = _parse_time(meta.get("fetched_at"))
        if meta.get("sha256") != digest or fetched_at is None:
            return StoredCatalogue(catalogue, url=None, fetched_at=_mtime(self.body_path), sha256=digest)
        return StoredCatalogue(
            catalogue,
            url=_str_or_none(meta.get("url")),
            fetched_at=fetched_at,
            etag=_str_or_none(meta.get("etag")),
            last_modified=_str_or_none(meta.get("last_modified")),
            sha256=digest,
        )

    def store(self, url: str, result: FetchResult) -> None:
        write_atomically(self.body_path, result.body)
        self._write_meta(url, hashlib.sha256(result.body).hexdigest(), result.etag, result.last_modified)

    def refresh(self, stored: StoredCatalogue, result: FetchResult) -> None:
        """Record a 304: the same body, fetched now, with any validators the server re-sent."""
        self._write_meta(
            stored.url or "", stored.sha256, result.etag or stored.etag, result.last_modified or stored.last_modified
        )

    def _write_meta(self, url: str, sha256: str, etag: str | None, last_modified: str | None) -> None:
        meta = {
            "url": url,
            "fetched_at": datetime.now(timezone.utc).isoformat(),
            "etag": etag,
            "last_modified": last_modified,
            "sha256": sha256,
        }
        write_atomically(self.meta_path, (json.dumps(meta, indent=2) + "\n").encode())


# ── Prompture's cache ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class PromptureCache:
    catalogue: dict[str, Any]
    path: Path
    fetched_at: datetime

    def age_text(self) -> str:
        return describe_age((datetime.now(timezone.utc) - self.fetched_at).total_seconds())


def read_prompture_cache() -> PromptureCache | None:
    """Read the models.dev copy Prompture keeps in ``~/.prompture/cache`` (same shape), if usable."""
    folder = Path.home() / ".prompture" / "cache"
    path = folder / "models_dev.json"
    try:
        catalogue = parse_catalogue(path.read_bytes())
    except (OSError, FetchError):
        return None
    fetched_at = _parse_time(_read_json_object(folder / "models_dev_meta.json").get("fetched_at"))
    return PromptureCache(catalogue, path, fetched_at or _mtime(path))


# ── Small helpers ───────────────────────────────────────────────────────────


def describe_age(seconds: float) -> str:
    """'fetched 3 days ago' style text for a cache age."""
    if seconds < 0:
        return "fetched at a time in the future (clock skew?)"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(seconds // size)
        if count:
            return f"fetched {count} {unit}{'s' if count > 1 else ''} ago"
    return "fetched less than a minute ago"


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _mtime(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except OSError:
        return datetime.now(timezone.utc)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _short_path(path: Path) -> str:
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def _one_line(text: str, limit: int = 480) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

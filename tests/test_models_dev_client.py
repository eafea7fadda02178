"""The models.dev client against a real local HTTP server: caching, revalidation, faults, fallbacks."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scaffolding import models_dev

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
WARNING = re.compile(
    r"^prompture-driver-template: warning: models\.dev unreachable \((?P<reason>.+)\); using (?P<which>.+)$"
)


@pytest.fixture
def cache_dir(models_dev_env, tmp_path) -> Path:
    return tmp_path / "models-dev-cache"


@pytest.fixture
def home(models_dev_env, tmp_path) -> Path:
    return tmp_path / "home"


def fixture_catalogue() -> dict:
    return json.loads(FIXTURE.read_text())


def load_in_a_new_run() -> dict | None:
    """What a fresh process would get: the memo is per process."""
    models_dev.forget()
    return models_dev.load_catalogue()


def make_cache_stale(cache_dir: Path, days: int = 3) -> None:
    meta_path = cache_dir / models_dev.META_FILE
    meta = json.loads(meta_path.read_text())
    meta["fetched_at"] = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
    meta_path.write_text(json.dumps(meta))


def seed_prompture_cache(home: Path, days: int = 2) -> dict:
    catalogue = {"moonshotai": fixture_catalogue()["moonshotai"]}
    folder = home / ".prompture" / "cache"
    folder.mkdir(parents=True)
    (folder / "models_dev.json").write_text(json.dumps(catalogue))
    fetched_at = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
    (folder / "models_dev_meta.json").write_text(json.dumps({"fetched_at": fetched_at, "ttl_days": 7}))
    return catalogue


def warning_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


# ── Caching ──────────────────────────────────────────────────────────────────


def test_first_load_fetches_the_catalogue_and_caches_it(models_dev_env, cache_dir):
    assert models_dev.load_catalogue() == fixture_catalogue()
    assert models_dev_env.request_count == 1
    assert (cache_dir / models_dev.BODY_FILE).read_bytes() == FIXTURE.read_bytes()
    meta = json.loads((cache_dir / models_dev.META_FILE).read_text())
    assert meta["url"] == models_dev_env.url
    assert meta["etag"] == models_dev_env.etag
    assert meta["last_modified"] == models_dev_env.last_modified
    assert "fetched just now" in models_dev.catalogue_source()


def test_a_run_fetches_at_most_once(models_dev_env, monkeypatch):
    monkeypatch.setenv("MODELS_DEV_TTL", "0")  # the cache is never fresh: only the memo can prevent a request
    first = models_dev.load_catalogue()
    assert models_dev.load_catalogue() is first
    models_dev.catalogue_source()
    assert models_dev_env.request_count == 1


def test_a_warm_cache_means_no_request(models_dev_env, cache_dir):
    models_dev.load_catalogue()
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 1
    assert models_dev.catalogue_source().startswith("models.dev cache for ")


def test_a_cache_for_another_url_is_not_fresh(models_dev_env, monkeypatch):
    models_dev.load_catalogue()
    monkeypatch.setenv("MODELS_DEV_URL", models_dev_env.url + "?mirror=2")
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 2
    assert models_dev_env.conditional_requests == []


def test_a_stale_cache_is_revalidated_and_a_304_refreshes_its_timestamp(models_dev_env, cache_dir):
    models_dev.load_catalogue()
    make_cache_stale(cache_dir)
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 2
    [conditional] = models_dev_env.conditional_requests
    assert conditional["headers"]["if-none-match"] == models_dev_env.etag
    assert conditional["headers"]["if-modified-since"] == models_dev_env.last_modified
    assert "confirmed unchanged" in models_dev.catalogue_source()
    meta = json.loads((cache_dir / models_dev.META_FILE).read_text())
    assert datetime.now(timezone.utc) - datetime.fromisoformat(meta["fetched_at"]) < timedelta(minutes=1)
    # ...so the next run needs no request at all.
    load_in_a_new_run()
    assert models_dev_env.request_count == 2


def test_a_changed_catalogue_replaces_the_stale_cache(models_dev_env, cache_dir):
    models_dev.load_catalogue()
    make_cache_stale(cache_dir)
    changed = {"acme-ai": fixture_catalogue()["acme-ai"]}
    models_dev_env.set_catalogue(json.dumps(changed).encode())
    assert load_in_a_new_run() == changed
    assert json.loads((cache_dir / models_dev.BODY_FILE).read_text()) == changed


def test_without_validators_a_stale_cache_is_fetched_again_in_full(models_dev_env, cache_dir):
    models_dev_env.send_validators = False
    models_dev.load_catalogue()
    make_cache_stale(cache_dir)
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 2
    assert models_dev_env.conditional_requests == []


def test_a_cache_whose_meta_does_not_match_its_body_is_not_trusted(models_dev_env, cache_dir, capsys):
    models_dev.load_catalogue()
    # Another process replaced the body but not (yet) the meta.
    (cache_dir / models_dev.BODY_FILE).write_text(json.dumps({"nimbus": fixture_catalogue()["nimbus"]}))
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 2
    assert models_dev_env.conditional_requests == []
    assert warning_lines(capsys) == []


def test_a_corrupted_cache_body_is_ignored(models_dev_env, cache_dir):
    models_dev.load_catalogue()
    (cache_dir / models_dev.BODY_FILE).write_text('{"acme-ai": {"mod')
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 2


def test_one_redirect_is_followed(models_dev_env, monkeypatch):
    monkeypatch.setenv("MODELS_DEV_URL", models_dev_env.url.replace("/api.json", "/moved.json"))
    assert models_dev.load_catalogue() == fixture_catalogue()
    assert [request["path"] for request in models_dev_env.requests] == ["/moved.json", "/api.json"]


# ── Offline ──────────────────────────────────────────────────────────────────


def test_offline_with_a_fresh_cache_is_silent(models_dev_env, monkeypatch, capsys):
    models_dev.load_catalogue()
    monkeypatch.setenv("MODELS_DEV_OFFLINE", "1")
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 1
    assert warning_lines(capsys) == []


def test_offline_with_a_stale_cache_uses_it_and_says_so(models_dev_env, cache_dir, monkeypatch, capsys):
    models_dev.load_catalogue()
    make_cache_stale(cache_dir, days=3)
    monkeypatch.setenv("MODELS_DEV_OFFLINE", "1")
    assert load_in_a_new_run() == fixture_catalogue()
    assert models_dev_env.request_count == 1
    [line] = warning_lines(capsys)
    match = WARNING.match(line)
    assert match and "MODELS_DEV_OFFLINE" in match["reason"]
    assert match["which"] == "cached models.dev data, fetched 3 days ago"


def test_offline_with_nothing_cached_returns_none_without_a_request(models_dev_env, monkeypatch):
    monkeypatch.setenv("MODELS_DEV_OFFLINE", "1")
    assert models_dev.load_catalogue() is None
    assert models_dev_env.request_count == 0
    assert models_dev.catalogue_source().startswith("nowhere")


# ── Faults and fallbacks ─────────────────────────────────────────────────────

TIMEOUT = 0.4


def _http_500(server):
    server.fail_with(500)


def _slow_answer(server):
    server.delay_by(TIMEOUT * 3)


def _dripped_body(server):
    server.drip(TIMEOUT / 2)  # each gap is shorter than the timeout; the whole body takes 5 timeouts


def _malformed_body(server):
    server.serve_malformed()


def _truncated_body(server):
    server.serve_truncated()


def _redirect_loop(server):
    server.loop_redirects()


def _wrong_shape(server):
    server.set_catalogue(b'{"acme-ai": {"name": "Acme AI"}}')


def _http_404(server):
    server.fail_with(404)


def _body_of_50_mb(server):
    server.set_catalogue(b'{"acme-ai": {"models": {}, "pad": "' + b"x" * (50 * 1024 * 1024) + b'"}}')


def _body_of_50_mb_unannounced(server):
    _body_of_50_mb(server)  # no Content-Length: only counting the bytes read can stop it
    server.hide_length()


def _connection_refused(server):
    server.refuse_connections()


# fault -> (switch it on, what the reason in the warning says)
FAULTS = {
    "http-500": (_http_500, "HTTP 500"),
    "slow-answer": (_slow_answer, f"timed out after {TIMEOUT:g} s"),
    "dripped-body": (_dripped_body, f"timed out after {TIMEOUT:g} s"),
    "malformed-body": (_malformed_body, "malformed JSON: "),
    "truncated-body": (_truncated_body, "RemoteProtocolError: "),
    "redirect-loop": (_redirect_loop, "too many redirects (more than 5)"),
    "wrong-shape": (_wrong_shape, "unexpected catalogue shape: provider 'acme-ai' has no models object"),
    "http-404": (_http_404, "HTTP 404"),
    "body-50-mb": (_body_of_50_mb, "response larger than 32 MiB"),
    "body-50-mb-unannounced": (_body_of_50_mb_unannounced, "response larger than 32 MiB"),
    "connection-refused": (_connection_refused, "ConnectError: "),
}


# Sending 32 MiB over loopback can take longer than TIMEOUT on a busy machine; the size cap must
# stop these bodies, not the clock, so they get time enough.
SIZE_FAULT_TIMEOUT = 30.0


def timeout_for(fault) -> float:
    return SIZE_FAULT_TIMEOUT if fault[1].startswith("response larger") else TIMEOUT


@pytest.fixture(params=sorted(FAULTS))
def fault(request, monkeypatch):
    monkeypatch.setenv("MODELS_DEV_TIMEOUT", str(timeout_for(FAULTS[request.param])))
    return FAULTS[request.param]


def load_with_fault(server, fault) -> tuple[dict | None, float]:
    switch_on, _ = fault
    switch_on(server)
    started = time.monotonic()
    catalogue = load_in_a_new_run()
    return catalogue, time.monotonic() - started


@pytest.mark.hostile("models.dev", "fallback")
def test_a_fault_falls_back_to_the_stale_cache(models_dev_env, cache_dir, fault, capsys):
    models_dev.load_catalogue()
    make_cache_stale(cache_dir, days=3)
    body_before = (cache_dir / models_dev.BODY_FILE).read_bytes()
    capsys.readouterr()

    catalogue, elapsed = load_with_fault(models_dev_env, fault)

    assert catalogue == fixture_catalogue()
    [line] = warning_lines(capsys)
    match = WARNING.match(line)
    assert match, line
    assert match["reason"].startswith(fault[1]), match["reason"]
    assert match["which"] == "cached models.dev data, fetched 3 days ago"
    assert elapsed < timeout_for(fault) + 1.0
    assert (cache_dir / models_dev.BODY_FILE).read_bytes() == body_before
    assert sorted(path.name for path in cache_dir.iterdir()) == [models_dev.BODY_FILE, models_dev.META_FILE]


@pytest.mark.hostile("models.dev", "fallback")
def test_a_fault_without_a_cache_falls_back_to_promptures_cache(models_dev_env, home, cache_dir, fault, capsys):
    prompture_catalogue = seed_prompture_cache(home, days=2)

    catalogue, _ = load_with_fault(models_dev_env, fault)

    assert catalogue == prompture_catalogue
    [line] = warning_lines(capsys)
    match = WARNING.match(line)
    assert match, line
    assert match["reason"].startswith(fault[1]), match["reason"]
    assert match["which"] == "Prompture's cache ~/.prompture/cache/models_dev.json, fetched 2 days ago"
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []  # nothing partial was left behind


@pytest.mark.hostile("models.dev", "refused")
def test_a_fault_with_no_data_anywhere_returns_none(models_dev_env, cache_dir, fault, capsys):
    catalogue, elapsed = load_with_fault(models_dev_env, fault)

    assert catalogue is None
    assert f"unreachable ({fault[1]}" in models_dev.catalogue_source()
    # Said once, so an empty models.dev answer is not mistaken for "models.dev does not list it".
    [line] = warning_lines(capsys)
    assert line.startswith(f"prompture-driver-template: warning: models.dev unreachable ({fault[1]}")
    assert "and no cached copy exists: going on without it, so the endpoint, default model and prices are asked" in line
    assert line.endswith(f"To use models.dev, {models_dev.REACH_HINT}.")
    assert models_dev.unreachable_reason().startswith(f"models.dev unreachable ({fault[1]}")
    assert elapsed < timeout_for(fault) + 1.0
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_an_oversized_body_is_refused(models_dev_env, monkeypatch, capsys):
    monkeypatch.setattr(models_dev, "MAX_BODY_BYTES", 1024)
    assert models_dev.load_catalogue() is None
    assert "larger than" in models_dev.catalogue_source()


def test_an_unreachable_server_is_a_fault_too(models_dev_env, monkeypatch, home, capsys):
    seed_prompture_cache(home)
    monkeypatch.setenv("MODELS_DEV_URL", "http://127.0.0.1:9/api.json")  # discard port: nothing listens
    assert models_dev.load_catalogue() is not None
    [line] = warning_lines(capsys)
    assert WARNING.match(line)["reason"].startswith("ConnectError")


# ── Atomic writes ────────────────────────────────────────────────────────────


def test_readers_never_see_a_partly_written_cache_file(tmp_path):
    path = tmp_path / "cache" / "api.json"
    versions = [b"a" * 2_000_000, b"b" * 1_000_000]
    models_dev.write_atomically(path, versions[0])
    stop = threading.Event()
    seen: set[int] = set()

    def read_until_stopped() -> None:
        while not stop.is_set():
            seen.add(len(path.read_bytes()))

    reader = threading.Thread(target=read_until_stopped)
    reader.start()
    try:
        for round_ in range(40):
            models_dev.write_atomically(path, versions[round_ % 2])
    finally:
        stop.set()
        reader.join()
    assert seen <= {len(version) for version in versions}
    assert [p.name for p in path.parent.iterdir()] == ["api.json"]


def test_an_unwritable_cache_still_gives_the_catalogue_with_one_warning(models_dev_env, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MODELS_DEV_CACHE_DIR", str(blocker / "cache"))
    assert models_dev.load_catalogue() == fixture_catalogue()
    [line] = warning_lines(capsys)
    assert line.startswith("prompture-driver-template: warning: could not write the models.dev cache (")

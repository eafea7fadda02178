"""A hostile models.dev, seen from real ``copier copy`` runs and from concurrent processes.

The client's fault table (HTTP 500/404, timeouts, malformed, truncated and 50 MB bodies, a
redirect loop, a refused connection, a record without models) is in
tests/test_models_dev_client.py, run in-process against the local server. Here:

* the same faults under a real ``copier copy``: one warning line and the cache used, or one
  warning line and the answers used (no provider id), or a clear error naming what to do when
  an id was given and nothing usable exists; never longer than the timeout; the checkout is
  unchanged when it fails;
* a provider record missing fields and prices given as strings: what is usable is used, what
  is not is dropped, and the copy works from the answers;
* several processes (and two whole copies) loading at once share one cache directory: every
  process gets a whole catalogue and the cache is never a corrupted file.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from scaffolding import models_dev
from support.copier_cli import copier_env, file_digests
from support.hostile import copy, fresh_checkout, tree_changes, validation_line
from support.models_dev_server import ModelsDevServer

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
WARNING = "prompture-driver-template: warning: "
NOTHING = {"added": [], "removed": [], "modified": []}


@pytest.fixture
def server():
    with ModelsDevServer(FIXTURE) as running:
        yield running


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(WARNING)]


def seed_stale_cache(cache_dir: Path, url: str, body: bytes, days: int = 3) -> None:
    """A cache as a run ``days`` ago left it (body + meta whose hash matches)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / models_dev.BODY_FILE).write_bytes(body)
    meta = {
        "url": url,
        "fetched_at": (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(),
        "etag": '"old"',
        "last_modified": None,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    (cache_dir / models_dev.META_FILE).write_text(json.dumps(meta))


TIMEOUT = "1"


def _http_500(server):
    server.fail_with(500)


def _http_404(server):
    server.fail_with(404)


def _hang(server):
    server.delay_by(30)  # far longer than MODELS_DEV_TIMEOUT


def _malformed(server):
    server.serve_malformed()


def _truncated(server):
    server.serve_truncated()


def _redirect_loop(server):
    server.loop_redirects()


def _body_of_50_mb(server):
    server.set_catalogue(b'{"acme-ai": {"models": {}, "pad": "' + b"x" * (50 * 1024 * 1024) + b'"}}')
    server.hide_length()


def _refused(server):
    server.refuse_connections()


# fault -> (switch it on, what the warning's reason says)
FAULTS = {
    "http-500": (_http_500, "HTTP 500"),
    "http-404": (_http_404, "HTTP 404"),
    "hang": (_hang, f"timed out after {TIMEOUT} s"),
    "malformed-json": (_malformed, "malformed JSON"),
    "truncated-body": (_truncated, "RemoteProtocolError"),
    "redirect-loop": (_redirect_loop, "too many redirects"),
    "body-50-mb": (_body_of_50_mb, "response larger than 32 MiB"),
    "connection-refused": (_refused, "ConnectError"),
}
# Every fault runs in-process through all three fallbacks in test_models_dev_client.py; under
# real copier runs each fault is shown once, half with a stale cache, half with none.
WITH_CACHE = ["connection-refused", "hang", "http-500", "malformed-json"]
WITHOUT_CACHE = ["body-50-mb", "http-404", "redirect-loop", "truncated-body"]
assert sorted(WITH_CACHE + WITHOUT_CACHE) == sorted(FAULTS)


def run_copy(template, checkout, tmp_path, server, data):
    env = copier_env(tmp_path, server.url, MODELS_DEV_TIMEOUT=TIMEOUT)
    started = time.monotonic()
    result = copy(template, checkout, data, env)
    return result, time.monotonic() - started


@pytest.mark.hostile("models.dev", "fallback")
@pytest.mark.parametrize("fault", WITH_CACHE)
def test_a_fault_with_a_stale_cache_copies_from_the_cache_with_one_warning(pristine, template, server, tmp_path, fault):
    cached = json.loads(FIXTURE.read_text())
    cached["acme-ai"]["name"] = "Acme AI (as cached)"
    seed_stale_cache(tmp_path / "models-dev-cache", server.url, json.dumps(cached).encode())
    FAULTS[fault][0](server)
    checkout = fresh_checkout(pristine, tmp_path / "checkout")

    result, elapsed = run_copy(
        template, checkout, tmp_path, server, {"provider": "acme", "models_dev_provider": "acme-ai"}
    )

    assert result.returncode == 0, result.stderr
    [line] = warnings_in(result.stderr)
    assert line.startswith(f"{WARNING}models.dev unreachable ({FAULTS[fault][1]}"), line
    assert line.endswith("using cached models.dev data, fetched 3 days ago"), line
    answers = yaml.safe_load((checkout / ".copier-answers.acme.yml").read_text())
    assert answers["display_name"] == "Acme AI (as cached)"
    assert elapsed < 20


@pytest.mark.hostile("models.dev", "refused")
@pytest.mark.parametrize("fault", WITHOUT_CACHE)
def test_a_fault_with_nothing_cached_and_an_id_given_is_a_clear_error(pristine, template, server, tmp_path, fault):
    FAULTS[fault][0](server)
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = file_digests(checkout)

    result, elapsed = run_copy(
        template, checkout, tmp_path, server, {"provider": "acme", "models_dev_provider": "acme-ai"}
    )

    assert result.returncode != 0
    [line] = warnings_in(result.stderr)
    assert line.startswith(f"{WARNING}models.dev unreachable ({FAULTS[fault][1]}"), line
    assert validation_line(result.stderr).startswith(
        "ValueError: Validation error for question 'models_dev_provider': "
        f'No models.dev data to look up "acme-ai": models.dev unreachable ({FAULTS[fault][1]}'
    )
    assert validation_line(result.stderr).endswith(
        "and no cached copy exists. To use it, connect or set MODELS_DEV_URL to a reachable copy of its api.json, "
        "or MODELS_DEV_OFFLINE=1 to skip the network; or leave models_dev_provider empty and give the endpoint, "
        "default model and prices."
    )
    assert tree_changes(before, file_digests(checkout)) == NOTHING
    assert not (tmp_path / "models-dev-cache").exists() or not list((tmp_path / "models-dev-cache").iterdir())
    assert elapsed < 20


@pytest.mark.hostile("models.dev", "fallback")
@pytest.mark.parametrize("fault", ["hang"])
def test_a_fault_with_nothing_cached_copies_from_the_answers_with_one_warning(
    pristine, template, server, tmp_path, fault
):
    FAULTS[fault][0](server)
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    data = {
        "provider": "acme",
        "endpoint": "https://api.acme.example/v1",
        "default_model": "acme-chat-1",
        "price_input": "0.25",
        "price_output": "1.5",
    }

    result, elapsed = run_copy(template, checkout, tmp_path, server, data)

    assert result.returncode == 0, result.stderr
    [line] = warnings_in(result.stderr)
    assert "and no cached copy exists: going on without it" in line, line
    rates = json.loads((checkout / "prompture/infra/rates/acme.json").read_text())
    assert rates["acme-chat-1"]["cost"] == {"input": 0.25, "output": 1.5}
    assert "models_dev_facts" not in yaml.safe_load((checkout / ".copier-answers.acme.yml").read_text())
    # The whole copy, not just the fetch, stays within a small multiple of the timeout even when
    # models.dev hangs for 30 s: the catalogue is fetched once per run, not once per question.
    assert elapsed < 20


@pytest.mark.hostile("models.dev", "kept")
def test_a_record_missing_fields_with_prices_as_strings_uses_what_is_usable(pristine, template, server, tmp_path):
    record = {
        "acme-ai": {
            "id": "acme-ai",  # no name, env, api, npm, doc
            "models": {
                "acme-chat-1": {
                    "cost": {"input": "0.5", "output": " 1.5 ", "cache_read": "free"},
                    "limit": {"context": "128000", "output": "-1"},
                    "tool_call": "yes",
                    "release_date": "2025-01-01",
                },
                "acme-chat-2": {"cost": {"input": "$2", "output": "NaN"}, "modalities": "text"},
                "acme-bare": {},
            },
        },
        "other": {"models": {}},
    }
    server.set_catalogue(json.dumps(record).encode())
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    # models.dev gives no `api` here: the endpoint has no default, so it is given (never a placeholder).
    data = {
        "provider": "acme",
        "models_dev_provider": "acme-ai",
        "api_style": "openai_compatible",
        "endpoint": "https://api.acme.example/v1",
    }

    result, _ = run_copy(template, checkout, tmp_path, server, data)

    assert result.returncode == 0, result.stderr
    assert warnings_in(result.stderr) == []
    answers = yaml.safe_load((checkout / ".copier-answers.acme.yml").read_text())
    rates = json.loads((checkout / "prompture/infra/rates/acme.json").read_text())
    assert sorted(rates) == ["acme-bare", "acme-chat-1", "acme-chat-2"]
    assert rates["acme-chat-1"]["context_window"] == 128000  # a numeric string becomes a number
    assert rates["acme-chat-1"]["max_output_tokens"] is None  # "-1" is dropped: Prompture's "unknown"
    assert rates["acme-chat-1"]["supports_tool_use"] is None  # "yes" is not true/false
    assert rates["acme-chat-2"]["modalities_input"] == []  # a non-list modality is dropped
    assert all("cost" not in entry for entry in rates.values())  # prices stay models.dev's
    # What models.dev does not say comes from the answers' own defaults.
    assert answers["display_name"] == "Acme"
    assert answers["api_key_env"] == "ACME_API_KEY"
    assert answers["default_model"] == "acme-chat-1"
    rates = json.loads((checkout / "prompture/infra/rates/acme.json").read_text())
    assert sorted(rates) == ["acme-bare", "acme-chat-1", "acme-chat-2"]
    assert rates["acme-chat-1"]["context_window"] == 128000
    assert all("cost" not in entry for entry in rates.values())  # prices stay with models.dev


# ── several processes at once, one cache directory ─────────────────────────────

LOADER = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from scaffolding import models_dev
catalogue = models_dev.load_catalogue()
print(hashlib.sha256(json.dumps(catalogue, sort_keys=True).encode()).hexdigest() if catalogue else "none")
"""


def catalogue_digest(body: bytes) -> str:
    return hashlib.sha256(json.dumps(json.loads(body), sort_keys=True).encode()).hexdigest()


@pytest.mark.hostile("models.dev", "kept")
def test_processes_loading_at_once_never_see_or_leave_a_corrupted_cache(server, tmp_path):
    """16 processes fetch and write one cache directory while the served catalogue changes under them."""
    versions = [FIXTURE.read_bytes()]
    base = json.loads(versions[0])
    for n in range(1, 4):
        versions.append(json.dumps({**base, f"extra-{n}": {"models": {f"m{n}": {}}}}, indent=n).encode())
    cache_dir = tmp_path / "cache"
    env = {
        **copier_env(tmp_path, server.url),
        "MODELS_DEV_CACHE_DIR": str(cache_dir),
        "MODELS_DEV_TTL": "0",  # never fresh: every process fetches, then writes body and meta
    }
    server.drip(0.02)  # each body takes ~0.2 s, so fetches and writes overlap
    processes = []
    for body in versions:
        server.set_catalogue(body)  # processes still reading get the old body, new ones this one
        processes += [
            subprocess.Popen(
                [sys.executable, "-c", LOADER, str(ROOT / "extensions")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for _ in range(4)
        ]
        time.sleep(0.1)
    # Generous: each load is bounded by MODELS_DEV_TIMEOUT, but starting 16 interpreters and their
    # fsyncs can crawl on a busy machine.
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    digests = {catalogue_digest(body) for body in versions}
    got_none = [err for out, err in outputs if out.strip() not in digests]
    assert got_none == []  # every process got one whole catalogue
    # The cache is one whole served catalogue; a meta written for another body is not trusted.
    stored = (cache_dir / models_dev.BODY_FILE).read_bytes()
    assert stored in versions
    meta = json.loads((cache_dir / models_dev.META_FILE).read_text())
    if meta["sha256"] != hashlib.sha256(stored).hexdigest():
        assert models_dev.DiskCache(cache_dir).read().url is None
    assert sorted(p.name for p in cache_dir.iterdir()) == [models_dev.BODY_FILE, models_dev.META_FILE]
    # And the next run reads it without complaint.
    again = subprocess.run(
        [sys.executable, "-c", LOADER, str(ROOT / "extensions")],
        env={**env, "MODELS_DEV_OFFLINE": "1"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.stdout.strip() == catalogue_digest(stored)


@pytest.mark.hostile("models.dev", "kept")
def test_two_copies_at_once_share_the_cache(pristine, template, server, tmp_path):
    server.drip(0.05)
    runs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        checkout = fresh_checkout(pristine, tmp_path / name / "checkout")
        env = {**copier_env(tmp_path / name, server.url), "MODELS_DEV_CACHE_DIR": str(tmp_path / "shared-cache")}
        args = ["copy", "--trust", "--defaults", "--data", "provider=acme"]
        args += ["--data", "models_dev_provider=acme-ai"]
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "copier", *args, str(template), str(checkout)],
                cwd=tmp_path / name,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        )
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    for name in ("first", "second"):
        answers = yaml.safe_load((tmp_path / name / "checkout" / ".copier-answers.acme.yml").read_text())
        assert answers["models_dev_provider"] == "acme-ai"
        assert (tmp_path / name / "checkout" / "prompture/infra/rates/acme.json").is_file()
    cache = tmp_path / "shared-cache"
    assert (cache / models_dev.BODY_FILE).read_bytes() == FIXTURE.read_bytes()
    meta = json.loads((cache / models_dev.META_FILE).read_text())
    assert meta["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert sorted(p.name for p in cache.iterdir()) == [models_dev.BODY_FILE, models_dev.META_FILE]

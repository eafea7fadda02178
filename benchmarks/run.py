#!/usr/bin/env python3
"""Benchmarks: how fast the template scaffolds, and how efficient the drivers it generates are.

    python3 dev.py bench [--scaffold-reps N] [--driver-reps N]
    (or, in an environment with `pip install -e .[bench]`: python benchmarks/run.py ...)

One run measures, side by side, and prints a table of medians and ratios:

1. Scaffold time: `copier copy --defaults` of the template (provider acme, models.dev id
   acme-ai) into a fresh Prompture 1.15.1 sdist checkout, with a warm, a cold and a stale
   models.dev cache, and `copier update` with no change; against the floor, Copier copying a
   trivial three-file template built in the same run. All from local, packed git repositories
   with `--vcs-ref HEAD`, so the floor pays Copier's clone of the template too.
2. Network: models.dev requests, conditional requests, 304s and bytes per run, counted by
   the local models.dev server (tests/support/models_dev_server.py) on 127.0.0.1.
3. Driver throughput: 300 sequential `generate` calls (sync) and 300 calls with 20 in
   flight (async) against a local HTTPS OpenAI-compatible server (trustme certificate),
   the generated AcmeDriver / AsyncAcmeDriver against Prompture's MoonshotDriver /
   AsyncMoonshotDriver, both in the Prompture 1.15.1 runtime venv, and against the transport
   floor: the same requests sent by a bare httpx client loop with no driver (the generated
   drivers' share of the floor's calls/s is what the driver itself costs).
4. Streaming: one 20,000-chunk SSE stream parsed by the generated sync driver and by
   MoonshotDriver.

Every measured run is its own child process, timed from spawn to exit (drivers: the
timed part only, see driver_child.py); its peak RSS comes from os.wait4 (the largest
process of the run's tree). Compared variants are interleaved, their order rotated per
repetition. POSIX only (os.wait4). Nothing here asserts: targets are reported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from servers import CountingModelsDevServer, HttpsFakeOpenAI, TlsCertificates  # noqa: E402
from support.prompture_runtime import checkout_env, runtime_python, seed_models_dev_cache  # noqa: E402
from support.sdists import extract_checkout  # noqa: E402
from support.template_repo import git, snapshot_template  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "models-dev.json"
VERSION = "1.15.1"
PROVIDER, MODELS_DEV_ID = "acme", "acme-ai"
CALLS, CONCURRENCY, STREAM_CHUNKS = 300, 20, 20_000
SCAFFOLD_TARGET = 1.8  # vs Copier doing the same job on a trivial template
SYNC_TARGET, ASYNC_TARGET, STREAM_TARGET = 3.0, 2.0, 1.0  # vs Prompture's MoonshotDriver
FLOOR_TARGET = 0.85  # the generated drivers' calls/s as a share of the transport floor's


# ── Measured child processes ───────────────────────────────────────────────────


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    returncode: int
    maxrss_mib: float
    stdout: str
    stderr: str
    extra: dict[str, Any] = field(default_factory=dict)

    def last_error_line(self) -> str:
        lines = [line.strip() for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.returncode}"


def measured(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300) -> Run:
    """Run ``command``; wall time from spawn to exit, the tree's CPU time and peak RSS (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,  # the child and the descendants it waited for
            returncode=process.returncode,
            maxrss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def check(run: Run, what: str) -> Run:
    if run.returncode != 0:
        raise SystemExit(f"benchmark setup failed: {what}:\n{run.stdout}\n{run.stderr}")
    return run


def rotated(items: list[Any], rep: int) -> list[Any]:
    shift = rep % len(items)
    return items[shift:] + items[:shift]


# ── 1 + 2: scaffolding ─────────────────────────────────────────────────────────


def snapshot_ref(ref: str, destination: Path) -> Path:
    """The template as committed at ``ref``, in a fresh one-commit repository."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(destination)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", f"template at {ref}")
    return destination


def template_label(ref: str | None) -> str:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    if ref is not None:
        return f"template: {ref} = commit {run('rev-parse', '--short', ref)} (committed files only)"
    dirty = run("status", "--porcelain", "--untracked-files=all").splitlines()
    state = f"plus uncommitted changes in {len(dirty)} files" if dirty else "clean"
    return f"template: working tree at commit {run('rev-parse', '--short', 'HEAD')}, {state}"


def make_trivial_template(folder: Path) -> Path:
    """A three-file Copier template (copier.yml, one rendered file, the answers file) in its own git repo."""
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text("name:\n  type: str\n  default: demo\n")
    (folder / "README.md.jinja").write_text("# {{ name }}\n")
    # The answers file is what `copier update` reads the template's commit from.
    (folder / "{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers | to_nice_yaml -}}\n")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "trivial template")
    return folder


class Scaffolding:
    VARIANTS = ["floor", "copy warm", "copy cold", "copy stale", "floor update", "update"]
    # Each run is compared with Copier doing the same job on the trivial template.
    FLOOR_OF = {name: "floor update" if "update" in name else "floor" for name in VARIANTS}
    LABELS = {
        "floor": "floor: copier copy, trivial 3-file template",
        "floor update": "floor: copier update, trivial template",
        "copy warm": "copy --defaults, warm models.dev cache",
        "copy cold": "copy --defaults, cold cache (127.0.0.1)",
        "copy stale": "copy --defaults, stale cache (TTL=0)",
        "update": "update --defaults, no change",
    }

    def __init__(self, tmp: Path, server: CountingModelsDevServer, template_ref: str | None) -> None:
        self.tmp = tmp
        self.server = server
        if template_ref is None:
            self.template = snapshot_template(tmp / "template")
        else:
            self.template = snapshot_ref(template_ref, tmp / "template")
        self.trivial = make_trivial_template(tmp / "trivial")
        for repository in (self.template, self.trivial):
            # A template is copied from a packed repository (a clone, or GitHub): serving the loose
            # objects of a fresh commit would add a compression pass that no user's copy pays.
            git(repository, "gc", "--quiet")
        pristine = extract_checkout(VERSION, tmp / "pristine")
        git(pristine, "init", "-q")
        git(pristine, "add", "-A")
        git(pristine, "commit", "-qm", "sdist")
        self.pristine = pristine
        self.home = tmp / "home"
        self.home.mkdir()
        self.warm_cache = tmp / "warm-cache"
        self.count = 0
        self.results: dict[str, list[Run]] = {name: [] for name in self.VARIANTS}

    # helpers

    def _slot(self, name: str) -> Path:
        self.count += 1
        return self.tmp / "runs" / f"{self.count:03d}-{name.replace(' ', '-')}"

    def env(self, cache_dir: Path, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.endswith(("_API_KEY", "_ENDPOINT")) and not key.startswith("MODELS_DEV_")
        }
        env.update(
            HOME=str(self.home),
            MODELS_DEV_URL=self.server.url,
            MODELS_DEV_CACHE_DIR=str(cache_dir),
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            **extra,
        )
        return env

    def fresh_checkout(self, slot: Path) -> Path:
        shutil.copytree(self.pristine, slot / "checkout", symlinks=True)
        return slot / "checkout"

    def copy_command(self, checkout: Path) -> list[str]:
        return [
            sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
            "--data", f"provider={PROVIDER}", "--data", f"models_dev_provider={MODELS_DEV_ID}",
            str(self.template), str(checkout),
        ]  # fmt: skip

    def _traffic(self, command: list[str], *, cwd: Path, env: dict[str, str]) -> Run:
        before = self.server.snapshot()
        run = measured(command, cwd=cwd, env=env)
        after = self.server.snapshot()
        run.extra["net"] = {key: after[key] - before[key] for key in after}
        return run

    # set-up

    def prime(self) -> Path:
        """Untimed: a floor run and a cold copy that fills the warm cache; returns that checkout."""
        slot = self._slot("prime-floor")
        check(measured(self.floor_command(slot), cwd=self.tmp, env=self.env(self.warm_cache)), "trivial copy")
        slot = self._slot("prime")
        checkout = self.fresh_checkout(slot)
        check(measured(self.copy_command(checkout), cwd=self.tmp, env=self.env(self.warm_cache)), "first copy")
        if not (self.warm_cache / "api.json").is_file():
            raise SystemExit(f"benchmark setup failed: no models.dev cache in {self.warm_cache}")
        return checkout

    def floor_command(self, slot: Path) -> list[str]:
        return [
            sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
            str(self.trivial), str(slot / "out"),
        ]  # fmt: skip

    # variants

    def run_variant(self, name: str) -> None:
        slot = self._slot(name)
        slot.mkdir(parents=True)
        if name == "floor":
            run = check(self._traffic(self.floor_command(slot), cwd=self.tmp, env=self.env(slot / "cache")), name)
        elif name == "floor update":
            run = self._floor_update(slot)
        elif name == "update":
            run = self._update(slot)
        else:
            checkout = self.fresh_checkout(slot)
            cache = slot / "cache"
            extra: dict[str, str] = {}
            if name != "copy cold":
                shutil.copytree(self.warm_cache, cache)
            if name == "copy stale":
                extra["MODELS_DEV_TTL"] = "0"
            run = check(self._traffic(self.copy_command(checkout), cwd=self.tmp, env=self.env(cache, **extra)), name)
            if not (checkout / "prompture" / "drivers" / f"{PROVIDER}_driver.py").is_file():
                raise SystemExit(f"benchmark: {name} exited 0 but rendered no driver")
        self.results[name].append(run)
        shutil.rmtree(slot, ignore_errors=True)

    def _floor_update(self, slot: Path) -> Run:
        env = self.env(slot / "cache")
        check(measured(self.floor_command(slot), cwd=self.tmp, env=env), "trivial copy before update")
        out = slot / "out"
        git(out, "init", "-q")
        git(out, "add", "-A")
        git(out, "commit", "-qm", "copied")
        command = [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref", "HEAD", str(out)]
        return check(self._traffic(command, cwd=self.tmp, env=env), "trivial update")

    def _update(self, slot: Path) -> Run:
        checkout = self.fresh_checkout(slot)
        cache = slot / "cache"
        shutil.copytree(self.warm_cache, cache)
        env = self.env(cache)
        check(measured(self.copy_command(checkout), cwd=self.tmp, env=env), "copy before update")
        git(checkout, "add", "-A")
        git(checkout, "commit", "-qm", "scaffolded")
        command = [
            sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref", "HEAD",
            "--answers-file", f".copier-answers.{PROVIDER}.yml", str(checkout),
        ]  # fmt: skip
        run = self._traffic(command, cwd=self.tmp, env=env)
        if run.returncode == 0:
            status = git(checkout, "status", "--porcelain", "--untracked-files=all")
            run.extra["changed"] = len(status.splitlines())
        return run


# ── 3 + 4: drivers ─────────────────────────────────────────────────────────────


def sse_body(chunks: int, model: str) -> str:
    """An OpenAI-style stream: a comment, ``chunks`` content deltas, finish, usage, [DONE]."""
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": model}

    def event(value: dict[str, Any]) -> str:
        return f"data: {json.dumps(value, separators=(',', ':'))}\n\n"

    parts = [": keep-alive\n\n", event({**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]})]
    for i in range(chunks):
        delta = {"content": f"w{i % 10} "}
        parts.append(event({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
    parts.append(event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    usage = {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks}
    parts.append(event({**base, "choices": [], "usage": usage}))
    parts.append("data: [DONE]\n\n")
    return "".join(parts)


class Drivers:
    MODES = ["sync", "async", "stream"]
    # The floor (a bare httpx loop, no driver) bounds what a driver can reach on sync and async calls.
    VARIANTS = {"sync": ["generated", "moonshot", "floor"], "async": ["generated", "moonshot", "floor"], "stream": []}
    VARIANTS["stream"] = ["generated", "moonshot"]  # no floor: a stream's cost is the parsing the driver adds

    def __init__(self, tmp: Path, checkout: Path) -> None:
        self.tmp = tmp
        self.checkout = checkout
        self.python = runtime_python(VERSION)
        self.home = tmp / "runtime-home"
        seed_models_dev_cache(self.home, FIXTURE)  # Prompture prices and lists models offline
        self.certs = TlsCertificates(tmp)
        self.results: dict[tuple[str, str], list[Run]] = {(m, v): [] for m in self.MODES for v in self.VARIANTS[m]}
        self.short_stream = sse_body(20, "bench")
        self.long_stream = sse_body(STREAM_CHUNKS, "bench")

    def run(self, reps: int) -> None:
        with HttpsFakeOpenAI(self.certs.server_context()) as server:
            ca = str(self.certs.ca_file)
            env = checkout_env(
                self.checkout, self.home,
                SSL_CERT_FILE=ca, REQUESTS_CA_BUNDLE=ca, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
                BENCH_EXPECTED_TEXT=server.reply_text,
            )  # fmt: skip
            for rep in range(reps):
                for mode in self.MODES:
                    for variant in rotated(self.VARIANTS[mode], rep):
                        self._one(server, env, mode, variant)

    def _one(self, server: HttpsFakeOpenAI, env: dict[str, str], mode: str, variant: str) -> None:
        server.clear()
        if mode == "stream":
            server.queue_raw(self.short_stream, content_type="text/event-stream")
            server.queue_raw(self.long_stream, content_type="text/event-stream")
        command = [str(self.python), str(HERE / "driver_child.py"), mode, variant, server.url, str(CALLS)]
        run = check(measured([*command, str(CONCURRENCY)], cwd=self.checkout, env=env), f"{mode} {variant}")
        result = json.loads(run.stdout.strip().splitlines()[-1])
        if not result["texts_ok"]:
            raise SystemExit(f"benchmark: {variant} {mode} returned unexpected text: {result}")
        if mode == "stream" and result["deltas"] != STREAM_CHUNKS:
            raise SystemExit(f"benchmark: {variant} yielded {result['deltas']} deltas, not {STREAM_CHUNKS}")
        result["connections"] = server.connections()
        result["requests"] = len(server.requests)
        run.extra.update(result)
        self.results[(mode, variant)].append(run)


# ── Report ─────────────────────────────────────────────────────────────────────


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def table(rows: list[list[str]], indent: str = "  ") -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append(indent + "  ".join(cells).rstrip())
        if n == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict(value: float, target: float, *, at_most: bool = False) -> str:
    held = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    return f"target {sign} {target:g}x: {'MET' if held else 'NOT MET'}"


def med(values: list[float]) -> float:
    return statistics.median(values)


def report_scaffold(s: Scaffolding) -> list[str]:
    floors = {name: med([r.seconds for r in s.results[name]]) for name in set(s.FLOOR_OF.values())}
    floors_cpu = {name: med([r.cpu_seconds for r in s.results[name]]) for name in set(s.FLOOR_OF.values())}
    rows = [["run", "median", "min", "max", "x floor", "CPU", "CPU x floor", "peak RSS"]]
    notes = []
    for name in s.VARIANTS:
        runs = s.results[name]
        ok = [r for r in runs if r.returncode == 0]
        if not ok:
            rows.append([s.LABELS[name], "failed", "", "", "", "", "", ""])
            error = runs[-1].last_error_line()
            error = error if len(error) <= 240 else error[:237] + "..."
            notes.append(f"  {name}: all {len(runs)} runs failed; last error: {error}")
            continue
        times = [r.seconds for r in ok]
        cpu = med([r.cpu_seconds for r in ok])
        rows.append(
            [
                s.LABELS[name],
                f"{med(times):.2f} s",
                f"{min(times):.2f}",
                f"{max(times):.2f}",
                f"{med(times) / floors[s.FLOOR_OF[name]]:.2f}x",
                f"{cpu:.2f} s",
                f"{cpu / floors_cpu[s.FLOOR_OF[name]]:.2f}x",
                f"{med([r.maxrss_mib for r in ok]):.0f} MiB",
            ]
        )
        if len(ok) < len(runs):
            notes.append(f"  {name}: {len(runs) - len(ok)} of {len(runs)} runs failed")
        changed = {r.extra.get("changed") for r in ok} - {None}
        if changed:
            notes.append(f"  {name}: files changed by the update: {sorted(changed)} (0 expected)")
    warm = [r.seconds for r in s.results["copy warm"]]
    lines = [
        f"1. Scaffold time (wall clock, spawn to exit, {len(warm)} runs each; CPU: user+sys of the process tree)",
        table(rows),
    ]
    for name in ["copy warm", "update"]:
        floor = s.FLOOR_OF[name]
        ratio = med([r.seconds for r in s.results[name]]) / floors[floor]
        cpu_ratio = med([r.cpu_seconds for r in s.results[name]]) / floors_cpu[floor]
        for kind, value in (("wall:", ratio), ("CPU: ", cpu_ratio)):
            lines.append(f"  {name} vs {floor}, {kind} {value:.2f}x, {verdict(value, SCAFFOLD_TARGET, at_most=True)}")
    lines.extend(notes)
    return lines


def report_network(s: Scaffolding) -> list[str]:
    rows = [["run", "requests", "conditional", "304s", "bytes in", "bytes out", "expected", "holds"]]
    expected = {
        "copy cold": ((1, 0, 0), "1 request"),
        "copy warm": ((0, 0, 0), "0 requests"),
        "copy stale": ((1, 1, 1), "1 conditional -> 304"),
        "update": ((0, 0, 0), "0 requests (facts from the rate file)"),
        "floor": ((0, 0, 0), "0 requests"),
        "floor update": ((0, 0, 0), "0 requests"),
    }
    for name in ["copy cold", "copy warm", "copy stale", "update", "floor", "floor update"]:
        nets = [r.extra["net"] for r in s.results[name] if r.returncode == 0]
        if not nets:
            rows.append([name, "", "", "", "", "", expected[name][1], "failed run"])
            continue
        counts = {tuple(n[k] for k in ("requests", "conditional", "not_modified")) for n in nets}
        want, text = expected[name]
        holds = counts == {want}
        shown = " / ".join(",".join(map(str, c)) for c in sorted(counts))
        req, cond, nm = (shown, "", "") if len(counts) > 1 else (str(c) for c in next(iter(counts)))
        rows.append(
            [
                name,
                req,
                cond,
                nm,
                f"{med([n['bytes_in'] for n in nets]):,.0f}",
                f"{med([n['bytes_out'] for n in nets]):,.0f}",
                text,
                "yes" if holds else "NO",
            ]
        )
    size = FIXTURE.stat().st_size
    return [
        "2. Network: models.dev traffic per run, counted by the local models.dev server",
        table(rows),
        f"  (bytes: medians per run, HTTP headers included; the catalogue served is tests/fixtures/models-dev.json,"
        f" {size:,} bytes)",
    ]


def report_drivers(d: Drivers) -> list[str]:
    lines: list[str] = []
    titles = {
        "sync": f"3a. Sync driver: {CALLS} sequential generate() calls over HTTPS",
        "async": f"3b. Async driver: {CALLS} generate() calls, {CONCURRENCY} in flight, over HTTPS",
        "stream": f"4. Streaming: one {STREAM_CHUNKS:,}-chunk SSE stream (sync generate_messages_stream)",
    }
    names = {
        ("sync", "generated"): "generated AcmeDriver",
        ("sync", "moonshot"): "Prompture MoonshotDriver",
        ("async", "generated"): "generated AsyncAcmeDriver",
        ("async", "moonshot"): "Prompture AsyncMoonshotDriver",
        ("sync", "floor"): "floor: bare httpx.Client loop",
        ("async", "floor"): "floor: bare httpx.AsyncClient",
        ("stream", "generated"): "generated AcmeDriver",
        ("stream", "moonshot"): "Prompture MoonshotDriver",
    }
    targets = {"sync": SYNC_TARGET, "async": ASYNC_TARGET, "stream": STREAM_TARGET}
    for mode in d.MODES:
        unit = "chunks/s" if mode == "stream" else "calls/s"
        cpu_unit = "client CPU" if mode == "stream" else "client CPU/call"
        rows = [["driver", unit, "min", "max", cpu_unit, "TCP conns", "peak RSS"]]
        rates = {}
        for variant in d.VARIANTS[mode]:
            runs = d.results[(mode, variant)]
            per_run = [(STREAM_CHUNKS if mode == "stream" else r.extra["calls"]) / r.extra["seconds"] for r in runs]
            rates[variant] = med(per_run)
            conns = sorted({r.extra["connections"] for r in runs})
            cpu = med([r.extra["cpu_seconds"] / r.extra["calls"] for r in runs])
            rows.append(
                [
                    names[(mode, variant)],
                    f"{rates[variant]:,.0f}",
                    f"{min(per_run):,.0f}",
                    f"{max(per_run):,.0f}",
                    f"{cpu:.2f} s" if mode == "stream" else f"{cpu * 1000:.2f} ms",
                    "/".join(map(str, conns)),
                    f"{med([r.maxrss_mib for r in runs]):.0f} MiB",
                ]
            )
        ratio = rates["generated"] / rates["moonshot"]
        lines += [f"{titles[mode]}, {len(runs)} runs each", table(rows)]
        lines.append(f"  generated / Prompture: {ratio:.2f}x, {verdict(ratio, targets[mode])}")
        if "floor" in rates:
            share = rates["generated"] / rates["floor"]
            lines.append(f"  generated / transport floor: {share:.2f}x, {verdict(share, FLOOR_TARGET)}")
        lines.append("")
    lines.append(
        "  (client CPU: the driver process's CPU time in the timed part; TCP conns: connections the"
        " server accepted per run, the untimed warm-up call included; peak RSS: the driver process)"
    )
    return lines


def versions(python: Path | None) -> str:
    copier = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; print(m.version('copier'))"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    runtime = ""
    if python is not None:
        runtime = subprocess.run([str(python), "-VV"], capture_output=True, text=True).stdout.split()[1]
    return f"copier {copier}; Prompture {VERSION} runtime: Python {runtime}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scaffold-reps", type=int, default=7, help="runs of each scaffold variant (default 7)")
    parser.add_argument("--driver-reps", type=int, default=5, help="runs of each driver benchmark (default 5)")
    parser.add_argument(
        "--template-ref",
        metavar="REF",
        help="measure the template as committed at REF (default: the working tree, uncommitted files included)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.scaffold_reps < 1 or args.driver_reps < 1:
        parser.error("repetitions must be at least 1")

    started = time.perf_counter()
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="ptd-bench-"))
    try:
        print("Preparing (template snapshot, Prompture sdist, runtime venv) ...", file=sys.stderr, flush=True)
        with CountingModelsDevServer(FIXTURE) as server:
            scaffolding = Scaffolding(tmp, server, args.template_ref)
            driver_checkout = scaffolding.prime()
            print(f"Scaffolding: {args.scaffold_reps} x {len(scaffolding.VARIANTS)} runs ...", file=sys.stderr)
            for rep in range(args.scaffold_reps):
                for name in rotated(scaffolding.VARIANTS, rep):
                    scaffolding.run_variant(name)
        drivers = Drivers(tmp, driver_checkout)
        runs = sum(len(variants) for variants in Drivers.VARIANTS.values())
        print(f"Drivers: {args.driver_reps} x {runs} runs ...", file=sys.stderr, flush=True)
        drivers.run(args.driver_reps)

        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        out = [
            f"prompture-driver-template benchmarks, {now}",
            f"machine: nproc {nproc()}, CPU {cpu_model()}, Python {platform.python_version()}"
            f" ({platform.system()} {platform.machine()})",
            f"{versions(drivers.python)}",
            template_label(args.template_ref),
            f"load average (1 min) at start {load_before[0]:.2f}, at end {os.getloadavg()[0]:.2f}",
            "medians over interleaved runs; ratios are median / median",
            "",
            *report_scaffold(scaffolding),
            "",
            *report_network(scaffolding),
            "",
            *report_drivers(drivers),
            "",
            f"whole benchmark run: {time.perf_counter() - started:.0f} s",
        ]
        print("\n".join(out))
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

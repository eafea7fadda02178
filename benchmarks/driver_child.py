"""One timed driver run, in the Prompture runtime venv with the scaffolded checkout first on PYTHONPATH.

    python driver_child.py MODE VARIANT URL [CALLS] [CONCURRENCY]

MODE: ``sync`` (CALLS sequential ``generate``), ``async`` (CALLS ``generate`` with at most
CONCURRENCY in flight), ``stream`` (one ``generate_messages_stream``; the server has the
stream queued). VARIANT: ``generated`` (the scaffolded Acme drivers), ``moonshot``
(Prompture's own MoonshotDriver / AsyncMoonshotDriver) or ``floor`` (no driver: a bare
``httpx`` client loop posting the body the generated driver sends and reading the reply's
text; sync and async only). One untimed warm-up call comes first (imports, model-config
caches, the TLS handshake); it is the same for every variant.

Prints one JSON line: ``seconds`` (wall clock of the timed part), ``cpu_seconds`` (this
process's CPU time in it), ``calls``, ``texts_ok`` and for
streams ``deltas`` and ``chars``. Only the standard library and Prompture are used.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

MODE, VARIANT, URL = sys.argv[1], sys.argv[2], sys.argv[3]
CALLS = int(sys.argv[4]) if len(sys.argv) > 4 else 300
CONCURRENCY = int(sys.argv[5]) if len(sys.argv) > 5 else 20
EXPECTED_TEXT = os.environ.get("BENCH_EXPECTED_TEXT", "")
KEY = "bench-key"

if VARIANT == "generated":
    from prompture.drivers.acme_driver import AcmeDriver as SyncDriver
    from prompture.drivers.async_acme_driver import AsyncAcmeDriver as AsyncDriver

    MODEL = "acme-chat-1"
elif VARIANT == "moonshot":
    from prompture.drivers.async_moonshot_driver import AsyncMoonshotDriver as AsyncDriver
    from prompture.drivers.moonshot_driver import MoonshotDriver as SyncDriver

    MODEL = "kimi-k2-turbo-preview"
elif VARIANT == "floor":
    import httpx

    MODEL = "acme-chat-1"
else:
    raise SystemExit(f"unknown variant {VARIANT!r}")


class Floor:
    """The transport floor: the generated driver's request (same body and headers, one pooled client), no driver."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.url = URL.rstrip("/") + "/chat/completions"

    def body(self, prompt: str) -> dict:
        messages = [{"role": "user", "content": prompt}]
        return {"model": MODEL, "messages": messages, "max_tokens": 512, "temperature": 1.0}

    @staticmethod
    def reply(response: Any) -> dict:
        response.raise_for_status()
        return {"text": response.json()["choices"][0]["message"]["content"]}


class SyncFloor(Floor):
    def generate(self, prompt: str, options: dict) -> dict:
        return self.reply(self.client.post(self.url, json=self.body(prompt)))


class AsyncFloor(Floor):
    async def generate(self, prompt: str, options: dict) -> dict:
        return self.reply(await self.client.post(self.url, json=self.body(prompt)))

    async def aclose(self) -> None:
        await self.client.aclose()


def sync_driver() -> Any:
    if VARIANT == "floor":
        return SyncFloor(httpx.Client(headers={"Authorization": f"Bearer {KEY}"}))
    return SyncDriver(api_key=KEY, model=MODEL, endpoint=URL)


def async_driver() -> Any:
    if VARIANT == "floor":
        return AsyncFloor(httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}))
    return AsyncDriver(api_key=KEY, model=MODEL, endpoint=URL)


def run_sync() -> dict:
    driver = sync_driver()
    driver.generate("warm-up", {})
    start, cpu = time.perf_counter(), time.process_time()
    replies = [driver.generate(f"prompt {i}", {}) for i in range(CALLS)]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    texts_ok = all(r["text"] == EXPECTED_TEXT for r in replies)
    return {"seconds": seconds, "cpu_seconds": cpu, "calls": CALLS, "texts_ok": texts_ok}


async def run_async() -> dict:
    driver = async_driver()
    await driver.generate("warm-up", {})
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> dict:
        async with gate:
            return await driver.generate(f"prompt {i}", {})

    start, cpu = time.perf_counter(), time.process_time()
    replies = await asyncio.gather(*(one(i) for i in range(CALLS)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    close = getattr(driver, "aclose", None)
    if close is not None:
        await close()
    texts_ok = all(r["text"] == EXPECTED_TEXT for r in replies)
    return {"seconds": seconds, "cpu_seconds": cpu, "calls": CALLS, "texts_ok": texts_ok}


def run_stream() -> dict:
    driver = SyncDriver(api_key=KEY, model=MODEL, endpoint=URL)
    messages = [{"role": "user", "content": "stream please"}]
    for _ in driver.generate_messages_stream(messages, {}):  # warm-up: the short stream queued first
        pass
    deltas = chars = 0
    done = None
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in driver.generate_messages_stream(messages, {}):
        if chunk["type"] == "delta":
            deltas += 1
            chars += len(chunk["text"])
        elif chunk["type"] == "done":
            done = chunk
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    texts_ok = done is not None and len(done["text"]) == chars and done["meta"]["completion_tokens"] > 0
    return {"seconds": seconds, "cpu_seconds": cpu, "calls": 1, "deltas": deltas, "chars": chars, "texts_ok": texts_ok}


if __name__ == "__main__":
    if MODE == "sync":
        result = run_sync()
    elif MODE == "async":
        result = asyncio.run(run_async())
    elif MODE == "stream":
        result = run_stream()
    else:
        raise SystemExit(f"unknown mode {MODE!r}")
    print(json.dumps(result))

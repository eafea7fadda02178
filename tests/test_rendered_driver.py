"""The rendered drivers, used for real.

For each API style, one real `copier copy` into a real Prompture 1.15.1 sdist;
then the rendered sync and async drivers run in that checkout (with the
release's own dependencies) against ``FakeOpenAI``, a real HTTP server. The
custom_sdk render talks to the server through the real ``openai`` SDK from PyPI
(a known SDK: the driver needs no edit).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.copier_cli import TEMPLATE_DIR, run_copier
from support.fake_openai import FakeOpenAI
from support.models_dev_server import ModelsDevServer
from support.prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from support.sdists import extract_checkout

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

VERSION = "1.15.1"
FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
PRICES = {model: facts["cost"] for model, facts in json.loads(FIXTURE.read_text())["acme-ai"]["models"].items()}

STYLES = {
    "openai_compatible": ["api_style=openai_compatible", "auth=api_key_and_endpoint"],
    "http": ["api_style=http", "auth=api_key_and_endpoint"],
    "http_endpoint_only": ["api_style=http", "auth=endpoint"],
    "custom_sdk": [
        "api_style=custom_sdk",
        "auth=api_key_and_endpoint",
        "sdk_package=openai",
        "lazy_import=true",
    ],
}


def git(checkout: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=checkout, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module", params=sorted(STYLES))
def rendered(request, tmp_path_factory):
    style = request.param
    tmp = tmp_path_factory.mktemp(f"render-{style}")
    checkout = extract_checkout(VERSION, tmp / "src")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sdist")
    seed_models_dev_cache(tmp / "home", FIXTURE)
    data = ["provider=acme", "models_dev_provider=acme-ai", *STYLES[style]]
    with ModelsDevServer(FIXTURE) as server:
        env = checkout_env(tmp, tmp / "home")
        env.pop("PYTHONPATH")
        env.update(MODELS_DEV_URL=server.url, MODELS_DEV_CACHE_DIR=str(tmp / "models-dev-cache"))
        args = ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD"]
        for item in data:
            args += ["--data", item]
        result = run_copier(*args, str(TEMPLATE_DIR), str(checkout), cwd=tmp, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return SimpleNamespace(
        style=style,
        checkout=checkout,
        home=tmp / "home",
        python=runtime_python(VERSION, *(["openai"] if style == "custom_sdk" else [])),
        needs_key="auth=endpoint" not in STYLES[style],
    )


def run(rendered, code: str, **env: str) -> dict:
    """Run ``code`` in the checkout; it must print one JSON object on its last line."""
    environment = checkout_env(rendered.checkout, rendered.home, **env)
    prelude = "import asyncio, json, sys\nfrom prompture.drivers.acme_driver import AcmeDriver\n"
    prelude += "from prompture.drivers.async_acme_driver import AsyncAcmeDriver\n"
    result = run_python(rendered.python, rendered.checkout, prelude + textwrap.dedent(code), environment)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def expected_cost(model: str, prompt: int, completion: int, cached: int = 0) -> float:
    price = PRICES[model]
    cache_read = price.get("cache_read", price["input"])
    return round(((prompt - cached) * price["input"] + cached * cache_read + completion * price["output"]) / 1e6, 6)


def test_rendered_files_are_ruff_clean(rendered):
    files = [
        "prompture/drivers/acme_driver.py",
        "prompture/drivers/async_acme_driver.py",
        "examples/acme_example.py",
    ]
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *files], cwd=rendered.checkout, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_capability_contract_and_configuration(rendered):
    out = run(
        rendered,
        """
        from prompture.testing import validate_driver_capabilities
        report = {"contract": validate_driver_capabilities(AcmeDriver) + validate_driver_capabilities(AsyncAcmeDriver)}
        sync, asyn = AcmeDriver(), AsyncAcmeDriver()
        report["from_env"] = [sync.base_url, asyn.base_url, sync.api_key, asyn.api_key, sync.model]
        report["explicit"] = AcmeDriver(api_key="k2", endpoint="http://h:1/v9/", model="m").base_url
        import os
        os.environ.pop("ACME_API_KEY", None)
        try:
            AcmeDriver()
            report["missing_key"] = None
        except ValueError as exc:
            report["missing_key"] = str(exc)
        print(json.dumps(report))
        """,
        ACME_API_KEY="env-key",
        ACME_ENDPOINT="http://127.0.0.1:9/v1/",
    )
    assert out["contract"] == []
    assert out["from_env"][:2] == ["http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"]
    assert out["explicit"] == "http://h:1/v9"
    if rendered.needs_key:
        assert out["from_env"][2:4] == ["env-key", "env-key"]
        assert "ACME_API_KEY" in out["missing_key"]
    else:
        assert out["missing_key"] is None


def test_reply_meta_cost_and_request(rendered):
    with FakeOpenAI(prompt_tokens=1000, completion_tokens=500, cached_tokens=200) as server:
        out = run(
            rendered,
            """
            d = AcmeDriver(model="acme-chat-1")
            r = d.generate("hello", {})
            m = d.generate_messages([{"role": "user", "content": "hi"}], {"temperature": 0.25, "max_tokens": 99})
            a = asyncio.run(AsyncAcmeDriver(model="acme-chat-1").generate("hello", {}))
            print(json.dumps({"sync": r, "messages": m["meta"]["cost"], "async": a}))
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
        requests = server.chat_requests
    cost = expected_cost("acme-chat-1", 1000, 500, cached=200)
    for reply in (out["sync"], out["async"]):
        meta = reply["meta"]
        assert reply["text"] == "Hello from the fake OpenAI server."
        assert meta["prompt_tokens"] == 1000 and meta["completion_tokens"] == 500 and meta["total_tokens"] == 1500
        assert meta["cached_prompt_tokens"] == 200
        assert meta["cost"] == cost > 0
        assert meta["model_name"] == "acme-chat-1"
        assert meta["raw_response"]["choices"][0]["message"]["content"] == reply["text"]
    assert out["messages"] == cost
    first, second = requests[0]["json"], requests[1]["json"]
    assert first["temperature"] == 1.0 and first["max_tokens"] == 512 and "response_format" not in first
    assert second["temperature"] == 0.25 and second["max_tokens"] == 99
    if rendered.needs_key:
        assert {r["headers"].get("authorization") for r in requests} == {"Bearer test-key"}


def test_json_mode_and_reasoning_models(rendered):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    with FakeOpenAI(reasoning_models={"acme-think-1"}) as server:
        out = run(
            rendered,
            f"""
            schema = {schema!r}
            d = AcmeDriver()
            strict = d.generate("extract", {{"json_mode": True, "json_schema": schema, "model": "acme-chat-1"}})
            plain = d.generate("extract", {{"json_mode": True, "model": "acme-chat-1"}})
            think = d.generate("extract", {{"json_mode": True, "json_schema": schema, "model": "acme-think-1"}})
            print(json.dumps({{"strict": strict["text"], "plain": plain["text"], "think": think}}))
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
        strict, plain, think = (r["json"] for r in server.chat_requests)
    response_format = strict["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["additionalProperties"] is False
    assert response_format["json_schema"]["schema"]["required"] == ["name", "age"]
    assert json.loads(out["strict"]) == {"name": "fake", "age": 1}
    assert plain["response_format"] == {"type": "json_object"}
    # acme-think-1 is a reasoning model without temperature: no response_format, no temperature,
    # the schema goes into the prompt, and the reasoning comes back.
    assert "response_format" not in think and "temperature" not in think
    assert '"age"' in think["messages"][-1]["content"]
    assert out["think"]["reasoning_content"] == "Let me think about that."


def test_tool_calls(rendered):
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    with FakeOpenAI() as server:
        server.queue_tool_call("get_weather", {"city": "Paris"}, id="call_1")
        server.queue_tool_call("get_weather", "{not json")
        out = run(
            rendered,
            f"""
            tools = {tools!r}
            messages = [{{"role": "user", "content": "weather?"}}]
            d = AcmeDriver()
            first = d.generate_messages_with_tools(messages, tools, {{"tool_choice": "auto"}})
            broken = d.generate_messages_with_tools(messages, tools, {{}})
            after = messages + [
                {{"role": "assistant", "content": "", "tool_calls": first["meta"]["raw_response"]["choices"][0]
                  ["message"]["tool_calls"]}},
                {{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}},
            ]
            final = asyncio.run(AsyncAcmeDriver().generate_messages_with_tools(after, tools, {{}}))
            print(json.dumps({{"first": first, "broken": broken["tool_calls"], "final": final}}))
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
        requests = server.chat_requests
    assert out["first"]["tool_calls"] == [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]
    assert out["first"]["stop_reason"] == "tool_calls"
    assert out["broken"][0]["name"] == "get_weather" and out["broken"][0]["arguments"] == {}
    assert out["final"]["tool_calls"] == [] and out["final"]["text"] == "Hello from the fake OpenAI server."
    assert requests[0]["json"]["tools"] == tools and requests[0]["json"]["tool_choice"] == "auto"
    assert requests[0]["json"]["max_tokens"] == 4096


def test_streaming(rendered):
    with FakeOpenAI(
        prompt_tokens=40,
        completion_tokens=10,
        reasoning_models={"acme-think-1"},
        # Lines that are not JSON: the HTTP styles skip them; an SDK fails on them (its own parser).
        stream_noise=rendered.style != "custom_sdk",
    ) as server:
        out = run(
            rendered,
            """
            messages = [{"role": "user", "content": "hi"}]
            chat = list(AcmeDriver().generate_messages_stream(messages, {"model": "acme-chat-1"}))
            think = list(AcmeDriver().generate_messages_stream(messages, {"model": "acme-think-1"}))

            async def collect():
                return [c async for c in AsyncAcmeDriver().generate_messages_stream(messages, {"model": "acme-chat-1"})]

            print(json.dumps({"chat": chat, "think": think, "async": asyncio.run(collect())}))
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
        requests = server.chat_requests
    for chunks in (out["chat"], out["async"]):
        *deltas, done = chunks
        assert {c["type"] for c in deltas} == {"delta"} and len(deltas) > 1
        assert "".join(c["text"] for c in deltas) == done["text"] == "Hello from the fake OpenAI server."
        assert done["type"] == "done"
        assert done["meta"]["prompt_tokens"] == 40 and done["meta"]["total_tokens"] == 50
        assert done["meta"]["cost"] == expected_cost("acme-chat-1", 40, 10) > 0
    *deltas, done = out["think"]
    assert "".join(c["text"] for c in deltas if c["type"] == "thinking_delta") == "Let me think about that."
    assert "".join(c["text"] for c in deltas if c["type"] == "delta") == done["text"]
    assert done["reasoning_content"] == "Let me think about that."
    for request in requests:
        assert request["json"]["stream"] is True
        assert request["json"]["stream_options"] == {"include_usage": True}


def test_failures_become_clear_errors_and_a_reply_without_usage_is_kept(rendered):
    """HTTP failures raise 1.15.1's DriverHTTPError (a RuntimeError) with the status; a reply without usage is kept."""
    with FakeOpenAI() as server:
        server.queue_error(400, "model acme-nope does not exist")
        server.queue_raw("{this is not json")
        server.queue_raw({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
        server.queue_raw({"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]})
        server.queue_error(503, "overloaded")
        server.queue_error(429, "slow down")
        out = run(
            rendered,
            """
            def attempt(call):
                try:
                    reply = call()
                except Exception as exc:
                    status = getattr(exc, "status_code", None)
                    return [type(exc).__name__, str(exc), isinstance(exc, RuntimeError), status]
                meta = reply["meta"]
                return {"text": reply["text"], "meta": {k: meta.get(k) for k in ("total_tokens", "usage_complete")}}

            d = AcmeDriver()
            messages = [{"role": "user", "content": "hi"}]
            print(json.dumps([
                attempt(lambda: d.generate("x", {})),
                attempt(lambda: d.generate("x", {})),
                attempt(lambda: d.generate("x", {})),
                attempt(lambda: d.generate("x", {})),
                attempt(lambda: list(d.generate_messages_stream(messages, {}))),
                attempt(lambda: asyncio.run(AsyncAcmeDriver().generate("x", {}))),
            ]))
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
    http_error, malformed, no_choices, no_usage, stream_error, async_error = out
    assert no_usage == {"text": "hi", "meta": {"total_tokens": 0, "usage_complete": False}}
    for failure in (http_error, malformed, no_choices, stream_error, async_error):
        assert isinstance(failure, list) and failure[2] is True, failure  # a RuntimeError
        assert failure[1].startswith("Acme AI API")
    for failure, status in ((http_error, 400), (stream_error, 503), (async_error, 429)):
        assert failure[0] == "DriverHTTPError", failure
        assert failure[3] == status, failure
    assert "400" in http_error[1] and "model acme-nope does not exist" in http_error[1]
    assert "no choices" in no_choices[1]
    assert "503" in stream_error[1] and "overloaded" in stream_error[1]
    assert "429" in async_error[1] and "slow down" in async_error[1]
    if rendered.style != "custom_sdk":  # the SDK words it its own way
        assert "malformed JSON" in malformed[1]


def test_one_connection_per_driver_instance(rendered):
    with FakeOpenAI() as server:
        run(
            rendered,
            """
            d = AcmeDriver()
            for _ in range(3):
                d.generate("x", {})
            list(d.generate_messages_stream([{"role": "user", "content": "x"}], {}))
            d.generate("x", {})

            async def twice():
                a = AsyncAcmeDriver()
                await a.generate("y", {})
                await a.generate("y", {})
                await a.aclose()

            asyncio.run(twice())
            print("{}")
            """,
            ACME_API_KEY="test-key",
            ACME_ENDPOINT=server.url,
        )
        requests = server.chat_requests
    sync_requests = [r for r in requests if r["json"]["messages"][0]["content"] == "x"]
    if rendered.style == "custom_sdk":
        # The openai SDK closes a stream's response at [DONE], before the chunked body's last chunk,
        # so that connection is dropped, not pooled (the SDK's own way; Prompture's OpenAIDriver's too).
        sync_requests = sync_requests[:3]
    sync_ports = {r["client_port"] for r in sync_requests}
    async_ports = {r["client_port"] for r in requests if r["json"]["messages"][0]["content"] == "y"}
    assert len(sync_ports) == 1 and len(async_ports) == 1


def test_list_models(rendered):
    with FakeOpenAI(models=["acme-chat-1", "acme-think-1"]) as server:
        out = run(
            rendered,
            f"""
            listed = AcmeDriver.list_models(api_key="test-key", endpoint={server.url!r})
            via_async = AsyncAcmeDriver.list_models(api_key="test-key", endpoint={server.url!r})
            print(json.dumps({{"listed": listed, "async": via_async}}))
            """,
        )
        headers = [r["headers"].get("authorization") for r in server.requests if r["path"].endswith("/models")]
    assert out["listed"] == out["async"] == ["acme-chat-1", "acme-think-1"]
    assert headers == ["Bearer test-key", "Bearer test-key"]

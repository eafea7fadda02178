"""The generated driver against the release's own: the same scenarios, the same fake server, compared.

One real ``copier copy --defaults`` per API style (``openai_compatible``, and ``custom_sdk``
with the real ``openai`` SDK from PyPI) adds the ``basalt`` provider (recorded facts in
tests/fixtures/models-dev.json: a reasoning model with structured output whose id holds
a ``/`` and is the default, a reasoning model without structured output, and a vision
model that is not the default) to a Prompture 1.15.1 sdist. Each scenario then runs in
that checkout, with the release's own dependencies, through Prompture's public APIs
(``extract_and_jsonify``, ``extract_with_model``, ``Conversation``, ``AsyncConversation``,
``ask_stream``, ``ask_live``, ``Agent``, ``prompture.resilience``, the usage tracker),
resolved with ``get_driver_for_model("<provider>/<model>")`` -- once for the generated
driver and once for the release's ``MoonshotDriver`` (the control), each against its own
:class:`FakeOpenAI` scripted alike. The generated driver must do at least what the
control does, on the wire and in what the API returns; :data:`CONTROL_IS_WORSE` lists
where the control falls short (release bugs), and those differences are asserted too.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from support.fake_openai import FakeOpenAI
from support.prompture_runtime import checkout_env, run_python, runtime_python
from support.scaffold import copied_checkout

pytestmark = pytest.mark.e2e

VERSION = "1.15.1"
RATE_HEADERS = {
    "x-ratelimit-limit-requests": "100",
    "x-ratelimit-remaining-requests": "99",
    "x-ratelimit-reset-requests": "6s",
}

# The generated driver's models (recorded facts) and the control's models with the same traits.
SIDES = {
    "generated": {
        "provider": "basalt",
        "key_env": "BASALT_API_KEY",
        "endpoint_env": "BASALT_ENDPOINT",
        "reasoning_structured": "basalt-labs/reason-2",
        "vision": "basalt-vision-1",
    },
    "control": {
        "provider": "moonshot",
        "key_env": "MOONSHOT_API_KEY",
        "endpoint_env": "MOONSHOT_ENDPOINT",
        "reasoning_structured": "kimi-k2.5",
        "vision": "kimi-k2.5",
    },
}

#: Scenario -> why the release's Moonshot driver does less there (each is asserted below).
CONTROL_IS_WORSE = {
    "ask_live_streams_tool_calls": "MoonshotDriver.generate_messages_with_tools_stream reads self.api_base, "
    "which it never sets: ask_live fails with AttributeError",
    "stream_keeps_reasoning_apart": "MoonshotDriver's stream puts reasoning_content into the text deltas",
    "usage_recorded_under_the_provider": "MoonshotDriver has no _usage_model_name: a model id with a '/' "
    "is recorded under its first segment",
    "rate_limits_in_meta": "MoonshotDriver never reads the x-ratelimit-* headers",
    "malformed_tool_arguments": "MoonshotDriver parses with _parse_tool_arguments (no arguments_error): "
    "the tool runs with {} instead of the model being asked again",
    "http_errors_carry_status": "MoonshotDriver raises a bare RuntimeError (no status_code, no retryable)",
}

PRELUDE = """
import asyncio, json, os, sys
from prompture.drivers import get_driver_for_model
P, REASON, VISION = os.environ["SIDE_PROVIDER"], os.environ["SIDE_REASON"], os.environ["SIDE_VISION"]
def model(name):
    return f"{P}/{name}"
def out(value):
    print("RESULT " + json.dumps(value, default=str))
"""


#: The generated driver's API styles: each runs every scenario (custom_sdk through the real ``openai`` SDK).
STYLES = {
    "openai_compatible": (),
    "custom_sdk": ("api_style=custom_sdk", "sdk_package=openai"),
}


@pytest.fixture(scope="module", params=sorted(STYLES))
def checkout(request, tmp_path_factory):
    """1.15.1 with ``basalt`` added by ``copier copy --defaults`` (the provider key, and the style's answers)."""
    tmp = tmp_path_factory.mktemp("differential")
    root, result = copied_checkout(VERSION, tmp, "basalt", *STYLES[request.param])
    assert result.returncode == 0, result.stdout + result.stderr
    answers = (root / ".copier-answers.basalt.yml").read_text()
    assert "default_model: basalt-labs/reason-2" in answers and "supports_vision: true" in answers, answers
    assert f"api_style: {request.param}" in answers, answers
    packages = ("openai",) if request.param == "custom_sdk" else ()
    return {"root": root, "home": tmp / "home", "python": runtime_python(VERSION, *packages)}


def run_side(checkout: dict, side: str, server: FakeOpenAI, code: str) -> dict:
    """Run a scenario's ``code`` for one side against ``server``; what it passed to ``out()``."""
    facts = SIDES[side]
    env = checkout_env(checkout["root"], checkout["home"])
    env.update(
        {
            facts["key_env"]: "test-key",
            facts["endpoint_env"]: server.url,
            "SIDE_PROVIDER": facts["provider"],
            "SIDE_REASON": facts["reasoning_structured"],
            "SIDE_VISION": facts["vision"],
        }
    )
    result = run_python(checkout["python"], checkout["root"], PRELUDE + textwrap.dedent(code), env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1][len("RESULT ") :])


def both(checkout: dict, code: str, setup=lambda server: None, **server_options) -> dict:
    """Run ``code`` for both sides, each against a fresh server prepared by ``setup``."""
    results = {}
    for side in SIDES:
        with FakeOpenAI(**server_options) as server:
            setup(server)
            value = run_side(checkout, side, server, code)
            results[side] = {"out": value, "requests": server.chat_requests}
    return results


# ── Structured output ─────────────────────────────────────────────────────


def test_extraction_sends_a_strict_schema_for_a_reasoning_model_with_structured_output(checkout):
    code = """
    from pydantic import BaseModel
    from prompture import extract_and_jsonify, extract_with_model
    class Person(BaseModel):
        name: str
        age: int
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    a = extract_and_jsonify("Maria is 31.", schema, model_name=model(REASON))
    b = extract_with_model(Person, "Maria is 31.", model_name=model(REASON))
    out({"json": a["json_object"], "model": b["model"].model_dump()})
    """
    results = both(checkout, code)
    for side, result in results.items():
        assert result["out"] == {"json": {"name": "fake", "age": 1}, "model": {"name": "fake", "age": 1}}, side
        formats = [request["json"].get("response_format") or {} for request in result["requests"]]
        assert [f.get("type") for f in formats] == ["json_schema", "json_schema"], (side, formats)
        assert all(f["json_schema"]["strict"] is True for f in formats)


# ── Streaming ─────────────────────────────────────────────────────────────


def test_stream_keeps_reasoning_apart_and_reads_the_usage_only_last_chunk(checkout):
    code = """
    from prompture import Conversation
    conv = Conversation(model_name=model(REASON))
    chunks = list(conv.ask_stream("Tell me."))
    out({"text": "".join(chunks), "usage": conv.usage})
    """
    results = both(
        checkout, code, reasoning_models={"basalt-labs/reason-2", "kimi-k2.5"}, prompt_tokens=30, completion_tokens=7
    )
    for side, result in results.items():
        usage = result["out"]["usage"]
        assert (usage["prompt_tokens"], usage["completion_tokens"]) == (30, 7), (side, usage)
        assert result["requests"][0]["json"]["stream_options"] == {"include_usage": True}
    generated, control = results["generated"]["out"], results["control"]["out"]
    assert generated["text"] == "Hello from the fake OpenAI server."
    # CONTROL_IS_WORSE["stream_keeps_reasoning_apart"]: the control's text starts with the reasoning.
    assert control["text"] == "Let me think about that." + generated["text"]


def test_ask_live_streams_tool_calls_interleaved_by_index(checkout):
    code = """
    from prompture import Conversation, ToolRegistry
    calls = []
    registry = ToolRegistry()
    @registry.register
    def get_weather(city: str) -> str:
        "Weather of a city."
        calls.append(city)
        return f"sunny in {city}"
    @registry.register
    def get_time(city: str) -> str:
        "Time in a city."
        calls.append("time:" + city)
        return "noon"
    conv = Conversation(model_name=model(REASON), tools=registry)
    kinds = []
    try:
        for event in conv.ask_live("Weather and time in Paris?"):
            kinds.append(type(event).__name__)
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    driver = get_driver_for_model(model(REASON))
    out({"kinds": kinds, "calls": calls, "error": error, "streaming_tools": driver.supports_streaming_tool_use})
    """

    def setup(server):
        server.queue_reply(
            "",
            tool_calls=[
                {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_a"},
                {"name": "get_time", "arguments": {"city": "Paris"}, "id": "call_b"},
            ],
        )

    results = both(checkout, code, setup, interleave_tool_calls=True)
    generated, control = results["generated"]["out"], results["control"]["out"]
    assert generated["error"] is None and generated["streaming_tools"] is True
    assert sorted(generated["calls"]) == ["Paris", "time:Paris"]
    assert generated["kinds"].count("ToolUseStart") == 2 and "ToolInputDelta" in generated["kinds"]
    assert all(request["json"]["stream"] is True for request in results["generated"]["requests"])
    # CONTROL_IS_WORSE["ask_live_streams_tool_calls"]
    assert control["streaming_tools"] is True
    assert control["error"] is not None and "api_base" in control["error"], control


# ── Tools ─────────────────────────────────────────────────────────────────


def test_malformed_tool_arguments(checkout):
    code = """
    from prompture import Conversation, ToolRegistry
    calls = []
    registry = ToolRegistry()
    @registry.register
    def get_weather(city: str) -> str:
        "Weather of a city."
        calls.append(city)
        return "sunny"
    conv = Conversation(model_name=model(REASON), tools=registry)
    text = conv.ask("Weather in Paris?")
    tool_messages = [m for m in conv.messages if m.get("role") == "tool"]
    out({"text": text, "calls": calls, "tool_messages": tool_messages})
    """

    def setup(server):
        server.queue_tool_call("get_weather", '{"city": "Par')

    results = both(checkout, code, setup)
    generated, control = results["generated"]["out"], results["control"]["out"]
    for side in SIDES:
        assert results[side]["out"]["text"] == "Hello from the fake OpenAI server.", side
    # CONTROL_IS_WORSE["malformed_tool_arguments"]: the control runs the tool with {} (a TypeError
    # for the missing city, or a call); the generated driver's arguments_error reaches the conversation.
    assert generated["calls"] == []
    assert any("argument" in str(m.get("content", "")).lower() for m in generated["tool_messages"]), generated
    assert generated["tool_messages"] != control["tool_messages"]


def test_agent_and_async_conversation_with_tools(checkout):
    code = """
    from prompture import Agent, AsyncConversation, ToolRegistry
    registry = ToolRegistry()
    @registry.register
    def get_weather(city: str) -> str:
        "Weather of a city."
        return f"sunny in {city}"
    agent = Agent(model(REASON), tools=registry)
    result = agent.run("Weather in Paris?")
    async def main():
        conv = AsyncConversation(model_name=model(REASON), tools=registry)
        return await conv.ask("Weather in Paris?")
    out({"agent": result.output_text, "async": asyncio.run(main())})
    """
    results = both(checkout, code)
    for side, result in results.items():
        assert result["out"] == {
            "agent": "Hello from the fake OpenAI server.",
            "async": "Hello from the fake OpenAI server.",
        }, side
        tool_turns = [r for r in result["requests"] if r["json"]["messages"][-1]["role"] == "tool"]
        assert len(tool_turns) == 2, side
        assert "get_weather" in json.dumps(result["requests"][0]["json"]["tools"])


def test_images_reach_a_vision_model_that_is_not_the_default(checkout):
    code = """
    from prompture import Conversation
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    conv = Conversation(model_name=model(VISION))
    text = conv.ask("What is this?", images=[png])
    out({"text": text})
    """
    results = both(checkout, code)
    for side, result in results.items():
        assert result["out"]["text"] == "Hello from the fake OpenAI server.", side
        content = result["requests"][0]["json"]["messages"][-1]["content"]
        assert [part["type"] for part in content] == ["text", "image_url"], (side, content)


# ── Usage, errors, rate limits ────────────────────────────────────────────


def test_usage_recorded_under_the_provider_and_a_reply_without_usage(checkout):
    code = """
    from prompture import Conversation
    from prompture.infra.tracker import get_tracker
    events = []
    get_tracker().add_sink(events.append)
    driver = get_driver_for_model(model(REASON))
    driver.generate_messages_with_hooks([{"role": "user", "content": "hi"}], {})
    driver.generate_messages_with_hooks([{"role": "user", "content": "hi"}], {"model": "lab/slashed-1"})
    recorded = [[event.provider, event.model_name] for event in events]
    conv = Conversation(model_name=model(REASON))
    text = conv.ask("again")
    out({"recorded": recorded, "text": text, "usage": conv.usage})
    """

    def setup(server):
        server.queue_reply("first")
        server.queue_reply("second")
        server.queue_raw({"choices": [{"message": {"role": "assistant", "content": "no usage here"}}]})

    results = both(checkout, code, setup)
    generated, control = results["generated"]["out"], results["control"]["out"]
    for side in SIDES:
        assert results[side]["out"]["text"] == "no usage here", side
        assert results[side]["out"]["usage"]["total_tokens"] == 0, side
    assert generated["recorded"] == [["basalt", "basalt/basalt-labs/reason-2"], ["basalt", "basalt/lab/slashed-1"]]
    # CONTROL_IS_WORSE["usage_recorded_under_the_provider"]: a '/' in the id moves the usage to provider "lab".
    assert control["recorded"] == [["moonshot", "moonshot/kimi-k2.5"], ["lab", "lab/slashed-1"]], control


def test_http_errors_carry_status_and_retry_after_to_resilience(checkout):
    code = """
    import time
    from prompture.resilience import classify_error
    driver = get_driver_for_model(model(REASON))
    try:
        driver.generate("hi", {})
    except Exception as exc:
        info = classify_error(exc)
        first = [type(exc).__name__, getattr(exc, "status_code", None), getattr(exc, "retryable", None),
                 info.status_code, info.retry_after]
    reply = driver.generate("hi", {})
    out({"first": first, "rate_limits": reply["meta"].get("rate_limits")})
    """

    def setup(server):
        server.queue_error(429, "slow down", headers={"Retry-After": "1", **RATE_HEADERS})

    results = both(checkout, code, setup, response_headers=RATE_HEADERS)
    generated, control = results["generated"]["out"], results["control"]["out"]
    assert generated["first"] == ["DriverHTTPError", 429, True, 429, 1.0]
    # The control's RuntimeError chains the requests error, so resilience sees the same status and wait ...
    assert control["first"][3:] == [429, 1.0]
    # ... CONTROL_IS_WORSE["http_errors_carry_status"] and ["rate_limits_in_meta"]:
    assert control["first"][:3] == ["RuntimeError", None, None]
    assert generated["rate_limits"]["windows"]["requests"]["remaining"] == 99, generated
    assert control["rate_limits"] is None


def test_effort_and_extra_body_reach_the_wire(checkout):
    code = """
    driver = get_driver_for_model(model(REASON))
    driver.generate("hi", {"effort": "low", "extra_body": {"min_p": 0.1}})
    out({})
    """
    results = both(checkout, code)
    sent = results["generated"]["requests"][0]["json"]
    assert sent["reasoning_effort"] == "low" and sent["min_p"] == 0.1
    control = results["control"]["requests"][0]["json"]
    assert "reasoning_effort" not in control and "min_p" not in control  # the control drops both

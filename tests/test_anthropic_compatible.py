"""The anthropic_compatible style against the release's own Claude driver: the same scenarios, the same fake.

One real ``copier copy --defaults`` adds the ``freemodel`` provider (recorded facts in
tests/fixtures/models-dev.json: models.dev's ``@ai-sdk/anthropic`` npm with an ``api`` URL, so the
style is defaulted, and two Claude models with cache-read and cache-write prices) to a Prompture
1.15.1 sdist. Each scenario then runs there through Prompture's public APIs, resolved with
``get_driver_for_model("<provider>/<model>")``: once for the generated driver (the release's own
dependencies, no SDK) and once for the release's ``ClaudeDriver`` (the control, with the
``anthropic`` SDK: Prompture passes it no base URL, but the SDK reads ``ANTHROPIC_BASE_URL``), each
against its own :class:`FakeAnthropic` scripted alike. The generated driver must do at least what the
control does; :data:`CONTROL_IS_WORSE` lists where the control falls short, asserted too.
"""

from __future__ import annotations

import json

import pytest
from support.differential import WEATHER_TOOL, run_scenario, scaffold_provider, side_env
from support.fake_anthropic import FakeAnthropic
from support.prompture_runtime import runtime_python

pytestmark = pytest.mark.e2e

VERSION = "1.15.1"
REASON, VISION = "claude-sonnet-4-6", "claude-haiku-4-5-20251001"  # the same ids on models.dev for both
# USD per 1M tokens, models.dev (the fixture): input, output, cache_read, cache_write.
RATES = {REASON: (3, 15, 0.3, 3.75), VISION: (1, 5, 0.1, 1.25)}
SIDES = ("generated", "control")

CONTROL_IS_WORSE = {
    "thinking_sent_back_in_tool_loops": "ClaudeDriver sends the assistant's tool_use turn without the signed "
    "thinking block it received, which the Messages API asks for in a tool loop with thinking",
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """1.15.1 with ``freemodel`` added by ``copier copy --defaults`` (only the provider key given)."""
    tmp = tmp_path_factory.mktemp("anthropic-compatible")
    done = scaffold_provider(tmp, VERSION, "freemodel", runtime_python(VERSION))
    defaulted = ("api_style: anthropic_compatible", "endpoint: https://cc.freemodel.dev/v1", f"default_model: {REASON}")
    for line in defaulted:
        assert line in done["answers"], done["answers"]
    return done


def run_side(checkout: dict, side: str, server: FakeAnthropic, code: str) -> dict:
    if side == "generated":
        env = side_env("freemodel", REASON, VISION, FREEMODEL_API_KEY="test-key", FREEMODEL_ENDPOINT=server.url)
        return run_scenario(checkout, env, code)
    env = side_env("claude", REASON, VISION, CLAUDE_API_KEY="test-key", ANTHROPIC_BASE_URL=server.base_url)
    return run_scenario(checkout, env, code, python=runtime_python(VERSION, "anthropic"))


def both(checkout: dict, code: str, setup=lambda server: None, **server_options) -> dict:
    """Run ``code`` for both sides, each against a fresh server prepared by ``setup``."""
    results = {}
    for side in SIDES:
        with FakeAnthropic(api_key="test-key", **server_options) as server:
            setup(server)
            value = run_side(checkout, side, server, code)
            results[side] = {"out": value, "requests": server.messages_requests}
    return results


def cost(model: str, uncached: int, output: int, cache_read: int = 0, cache_write: int = 0) -> float:
    rates = RATES[model]
    return (uncached * rates[0] + output * rates[1] + cache_read * rates[2] + cache_write * rates[3]) / 1e6


def test_the_scaffold_has_nothing_left_to_finish_by_hand(checkout):
    for name in ("freemodel_driver.py", "async_freemodel_driver.py"):
        text = (checkout["root"] / "prompture/drivers" / name).read_text(encoding="utf-8")
        assert "ADAPT" not in text and "/chat/completions" not in text, name


def test_extraction_speaks_the_messages_api_with_the_key_as_x_api_key(checkout):
    code = """
    from prompture import extract_and_jsonify
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    out(extract_and_jsonify("Maria is 31.", schema, model_name=model(REASON))["json_object"])
    """
    results = both(checkout, code)
    for side, result in results.items():
        assert result["out"] == {"name": "fake", "age": 1}, side
    request = results["generated"]["requests"][0]
    assert request["path"] == "/v1/messages"
    assert request["headers"]["x-api-key"] == "test-key" and "authorization" not in request["headers"]
    assert request["headers"]["anthropic-version"] == "2023-06-01"
    assert request["json"]["model"] == REASON and request["json"]["max_tokens"] > 0


def test_conversation_with_tools_a_system_prompt_and_thinking(checkout):
    code = (
        WEATHER_TOOL
        + """
    from prompture import Conversation
    conv = Conversation(model_name=model(REASON), tools=registry, system_prompt="Be brief.")
    out({"text": conv.ask("Weather in Paris?"), "calls": calls})
    """
    )
    results = both(checkout, code, reasoning_models={REASON})
    for side, result in results.items():
        assert result["out"] == {"text": "Hello from the fake Anthropic server.", "calls": ["fake"]}, side
        first, second = (request["json"] for request in result["requests"])
        assert first["system"] == "Be brief." and all(m["role"] != "system" for m in first["messages"]), side
        assert first["tools"][0]["name"] == "get_weather" and "input_schema" in first["tools"][0], side
        assistant, results_turn = second["messages"][-2:]
        assert assistant["content"][-1] == {
            "type": "tool_use",
            "id": "toolu_fake_0",
            "name": "get_weather",
            "input": {"city": "fake"},
        }, side
        assert results_turn == {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_fake_0", "content": "sunny in fake"}],
        }, side
    generated = results["generated"]["requests"][1]["json"]["messages"][-2]["content"]
    control = results["control"]["requests"][1]["json"]["messages"][-2]["content"]
    assert generated[0] == {"type": "thinking", "thinking": "Let me think about that.", "signature": "sig-fake-1"}
    # CONTROL_IS_WORSE["thinking_sent_back_in_tool_loops"]
    assert [block["type"] for block in control] == ["tool_use"]


def test_images_go_as_base64_image_blocks(checkout):
    code = """
    from prompture import Conversation
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    conv = Conversation(model_name=model(VISION))
    out({"text": conv.ask("What is this?", images=[png])})
    """
    results = both(checkout, code)
    for side, result in results.items():
        assert result["out"]["text"] == "Hello from the fake Anthropic server.", side
        content = result["requests"][0]["json"]["messages"][-1]["content"]
        assert [block["type"] for block in content] == ["text", "image"], (side, content)
        assert content[1]["source"]["type"] == "base64" and content[1]["source"]["media_type"] == "image/png"


def test_stream_reads_the_sse_events_and_prices_cache_reads_and_writes(checkout):
    code = """
    from prompture import Conversation
    conv = Conversation(model_name=model(REASON))
    chunks = list(conv.ask_stream("Tell me."))
    usage = conv.usage
    out({"text": "".join(chunks), "prompt": usage["prompt_tokens"], "completion": usage["completion_tokens"],
         "cached": usage["cached_prompt_tokens"], "written": usage["cache_creation_tokens"], "cost": usage["cost"]})
    """
    results = both(
        checkout,
        code,
        reasoning_models={REASON},
        input_tokens=30,
        output_tokens=7,
        cache_read_tokens=1000,
        cache_write_tokens=200,
    )
    expected = cost(REASON, 30, 7, cache_read=1000, cache_write=200)
    for side, result in results.items():
        out = result["out"]
        assert out["text"] == "Hello from the fake Anthropic server.", side  # the thinking stays apart
        assert (out["prompt"], out["completion"], out["cached"], out["written"]) == (1230, 7, 1000, 200), side
        assert out["cost"] == pytest.approx(expected, abs=1e-6), side
        assert result["requests"][0]["json"]["stream"] is True


def test_async_conversation_with_tools(checkout):
    code = (
        WEATHER_TOOL
        + """
    from prompture import AsyncConversation
    async def main():
        conv = AsyncConversation(model_name=model(REASON), tools=registry)
        text = await conv.ask("Weather in Paris?")
        return {"text": text, "cost": conv.usage["cost"]}
    out(asyncio.run(main()))
    """
    )
    results = both(checkout, code, cache_read_tokens=100, cache_write_tokens=50)
    for side, result in results.items():
        assert result["out"]["text"] == "Hello from the fake Anthropic server.", side
        assert result["out"]["cost"] == pytest.approx(2 * cost(REASON, 12, 8, 100, 50), abs=2e-6), side
        assert len(result["requests"]) == 2 and "tool_result" in json.dumps(result["requests"][1]["json"])


def test_stop_reasons_in_prompture_vocabulary(checkout):
    code = """
    driver = get_driver_for_model(model(REASON))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    messages = [{"role": "user", "content": "Weather?"}]
    reasons = [driver.generate_messages_with_tools(messages, tools, {})["stop_reason"] for _ in range(3)]
    out({"reasons": reasons})
    """

    def setup(server):
        server.queue_reply("cut", finish_reason="max_tokens")
        server.queue_reply("done", finish_reason="stop_sequence")
        server.queue_tool_call("get_weather", {"city": "Paris"})

    results = both(checkout, code, setup)
    for side, result in results.items():
        assert result["out"]["reasons"] == ["max_tokens", "end_turn", "tool_use"], side


def test_http_errors_carry_status_and_retry_after_to_resilience(checkout):
    code = """
    from prompture.resilience import classify_error
    driver = get_driver_for_model(model(REASON))
    result = {"first": None}
    try:
        driver.generate("hi", {})
    except Exception as exc:
        info = classify_error(exc)
        result = {"first": [getattr(exc, "status_code", None), info.status_code, info.retry_after],
                  "kind": type(exc).__name__, "retryable": getattr(exc, "retryable", None)}
    out(result)
    """

    def setup(server):
        # Anthropic's SDK retries a 429 twice on its own: fail every attempt of the first call.
        server.queue_error(429, "slow down", headers={"Retry-After": "1"}, times=3)

    results = both(checkout, code, setup)
    generated, control = results["generated"]["out"], results["control"]["out"]
    assert generated == {"first": [429, 429, 1.0], "kind": "DriverHTTPError", "retryable": True}
    assert control["first"] == [429, 429, 1.0], control
    assert len(results["generated"]["requests"]) == 1  # the driver leaves retrying to prompture.resilience

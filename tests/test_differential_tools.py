"""The generated driver against the release's own, on every pin: tools, agents and errors.

Tool calls through ``Conversation`` (``ask``, ``ask_live``), ``Agent`` and
``AsyncConversation``; HTTP errors, ``prompture.resilience`` and rate limits
(tests/support/differential.py has the set-up and the choice of control;
tests/test_differential_replies.py what replies carry). The generated driver must do at
least what the control does; where the control does less,
:data:`~support.differential.CONTROL_IS_WORSE` says why and the difference is asserted too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.differential import CONTROL_IS_WORSE, RATE_HEADERS, WEATHER_TOOL, run_both

pytestmark = pytest.mark.e2e
DIFFERENTIAL_FILES = ("test_differential_replies.py", "test_differential_tools.py")


# ── Tools ─────────────────────────────────────────────────────────────────


def test_ask_live_streams_tool_calls_interleaved_by_index(release):
    release.require("ask_live", "live_tool_stream")
    code = (
        WEATHER_TOOL
        + """
    @registry.register
    def get_time(city: str) -> str:
        "Time in a city."
        calls.append("time:" + city)
        return "noon"
    from prompture import Conversation
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
    )

    def setup(server):
        server.queue_reply(
            "",
            tool_calls=[
                {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_a"},
                {"name": "get_time", "arguments": {"city": "Paris"}, "id": "call_b"},
            ],
        )

    results = run_both(release, code, setup, interleave_tool_calls=True)
    generated, control = results["generated"]["out"], results["control"]["out"]
    assert generated["error"] is None and generated["streaming_tools"] is True
    assert sorted(generated["calls"]) == ["Paris", "time:Paris"]
    assert generated["kinds"].count("ToolUseStart") == 2 and "ToolInputDelta" in generated["kinds"]
    assert all(request["json"]["stream"] is True for request in results["generated"]["requests"])
    # CONTROL_IS_WORSE["ask_live_streams_tool_calls"]
    assert control["streaming_tools"] is True
    assert control["error"] is not None and "api_base" in control["error"], control


def test_malformed_tool_arguments(release):
    code = (
        WEATHER_TOOL
        + """
    from prompture import Conversation
    conv = Conversation(model_name=model(REASON), tools=registry)
    text = conv.ask("Weather in Paris?")
    tool_messages = [m["content"] for m in conv.messages if m.get("role") == "tool"]
    out({"text": text, "calls": calls, "tool_messages": tool_messages})
    """
    )

    def setup(server):
        server.queue_tool_call("get_weather", '{"city": "Par')

    results = run_both(release, code, setup)
    generated, control = results["generated"]["out"], results["control"]["out"]
    for side, result in results.items():
        assert result["out"]["text"] == "Hello from the fake OpenAI server.", side
        assert len(result["out"]["tool_messages"]) == 1, (side, result["out"])
    assert generated["calls"] == control["calls"] == []  # neither runs the tool with made-up arguments
    if release.has("tool_call_dict"):
        # CONTROL_IS_WORSE["malformed_tool_arguments"]: the release's arguments_error reaches the
        # conversation (the model is told its arguments were malformed); the control's {} does not.
        assert "argument" in generated["tool_messages"][0].lower(), generated
        assert generated["tool_messages"] != control["tool_messages"]
    else:
        # No arguments_error in this release: both parse to {} and the tool's call fails alike.
        assert generated["tool_messages"] == control["tool_messages"]


def test_agent_and_async_conversation_with_tools(release):
    code = (
        WEATHER_TOOL
        + """
    from prompture import Agent, AsyncConversation
    agent = Agent(model(REASON), tools=registry)
    result = agent.run("Weather in Paris?")
    async def main():
        conv = AsyncConversation(model_name=model(REASON), tools=registry)
        return await conv.ask("Weather in Paris?")
    out({"agent": result.output_text, "async": asyncio.run(main()), "calls": calls})
    """
    )
    for side, result in run_both(release, code).items():
        assert result["out"] == {
            "agent": "Hello from the fake OpenAI server.",
            "async": "Hello from the fake OpenAI server.",
            "calls": ["fake", "fake"],
        }, side
        tool_turns = [r for r in result["requests"] if r["json"]["messages"][-1]["role"] == "tool"]
        assert len(tool_turns) == 2, side
        assert "get_weather" in json.dumps(result["requests"][0]["json"]["tools"])


# ── Errors and rate limits ────────────────────────────────────────────────

FAILED_CALL = """
    driver = get_driver_for_model(model(REASON))
    try:
        driver.generate("hi", {})
    except Exception as exc:
        error = exc
    cause = error.__cause__
    reply = getattr(cause, "response", None)
"""


def _rate_limited(server):
    server.queue_error(429, "slow down", headers={"Retry-After": "1", **RATE_HEADERS})


def test_http_errors_keep_the_status_and_the_reply(release):
    code = (
        FAILED_CALL
        + """
    out({"type": type(error).__name__, "status_code": getattr(error, "status_code", None),
         "retryable": getattr(error, "retryable", None), "message_names_status": "429" in str(error),
         "cause_status": getattr(reply, "status_code", None),
         "cause_retry_after": reply.headers.get("Retry-After") if reply is not None else None,
         "next": driver.generate("hi", {})["text"]})
    """
    )
    results = run_both(release, code, _rate_limited)
    generated, control = results["generated"]["out"], results["control"]["out"]
    for side, result in results.items():
        # The reply (status, Retry-After) stays reachable through the error's cause, and the driver recovers.
        assert result["out"]["message_names_status"] is True, (side, result["out"])
        assert (result["out"]["cause_status"], result["out"]["cause_retry_after"]) == (429, "1"), side
        assert result["out"]["next"] == "Hello from the fake OpenAI server.", side
    if release.has("http_error"):
        assert [generated["type"], generated["status_code"], generated["retryable"]] == ["DriverHTTPError", 429, True]
        # CONTROL_IS_WORSE["http_errors_carry_status"]
        assert [control["type"], control["status_code"], control["retryable"]] == ["RuntimeError", None, None]
    else:  # no shared HTTP error type in this release: a RuntimeError on both sides
        assert generated["type"] == control["type"] == "RuntimeError"


def test_resilience_reads_the_status_and_retry_after(release):
    release.require("resilience")
    code = (
        FAILED_CALL
        + """
    from prompture.resilience import classify_error
    info = classify_error(error)
    out([info.status_code, info.retry_after])
    """
    )
    # The control's RuntimeError chains the requests error, so resilience sees the same status and wait.
    for side, result in run_both(release, code, _rate_limited).items():
        assert result["out"] == [429, 1.0], side


def test_rate_limits_in_meta(release):
    release.require("rate_limits")
    code = """
    out(get_driver_for_model(model(REASON)).generate("hi", {})["meta"].get("rate_limits"))
    """
    results = run_both(release, code, response_headers=RATE_HEADERS)
    assert results["generated"]["out"]["windows"]["requests"]["remaining"] == 99, results["generated"]
    assert results["control"]["out"] is None  # CONTROL_IS_WORSE["rate_limits_in_meta"]


def test_every_listed_shortfall_of_the_control_is_asserted():
    """Each CONTROL_IS_WORSE entry is referenced where a test asserts it, and each reference is listed."""
    texts = "".join(Path(__file__).with_name(name).read_text() for name in DIFFERENTIAL_FILES)
    referenced = set(re.findall(r'CONTROL_IS_WORSE\["(\w+)"\]', texts))
    assert referenced == set(CONTROL_IS_WORSE)

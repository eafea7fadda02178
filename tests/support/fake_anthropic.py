"""A real, threaded Anthropic Messages API server on 127.0.0.1 for driver tests.

    with FakeAnthropic(input_tokens=30, output_tokens=7, cache_read_tokens=100) as server:
        ...  # a driver's endpoint: server.url ("http://127.0.0.1:<port>/v1");
             # Anthropic's SDK: ANTHROPIC_BASE_URL=server.base_url (it adds /v1/messages)
        server.messages_requests  # every POST .../messages received, oldest first

It speaks ``POST /v1/messages`` and ``GET /v1/models`` (the ``/v1`` prefix optional), with
:class:`~support.fake_openai.FakeOpenAI`'s lifecycle, recording and scripting (``queue_reply``,
``queue_tool_call``, ``queue_error`` with headers such as ``Retry-After``, ``queue_raw``,
``fail_with``), in the Messages API's wire format:

* Every request needs an ``anthropic-version`` header, any version (else 400) and, when ``api_key`` is set,
  ``x-api-key: <api_key>`` or ``Authorization: Bearer <api_key>`` (else 401); errors are
  ``{"type": "error", "error": {"type", "message"}}``.
* Replies are ``{"type": "message", "content": [blocks], "stop_reason", "usage"}``; the usage
  has ``input_tokens``, ``output_tokens``, ``cache_read_input_tokens`` and
  ``cache_creation_input_tokens`` (input_tokens leaves the cached ones out, as Anthropic counts).
* Models named in ``reasoning_models`` (or a reply scripted with ``reasoning_content``) answer
  with a signed ``thinking`` block first.
* With ``tools`` and a conversation that does not end with ``tool_result`` blocks, the reply
  calls the tool ``tool_choice`` names, else the first tool (input sampled from its
  ``input_schema``; a forced tool is how JSON mode works on this API).
* A request whose last user text carries a JSON schema (Prompture's "...this schema: {...}"
  instructions) is answered with JSON fitting it; otherwise with ``reply_text``.
* ``stream: true`` answers with server-sent events: ``message_start`` (input usage), ``ping``,
  per block ``content_block_start`` / ``content_block_delta`` (``thinking_delta`` and
  ``signature_delta``, ``text_delta``, ``input_json_delta``) / ``content_block_stop``, then
  ``message_delta`` (stop reason, output usage) and ``message_stop``.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from .fake_openai import FakeOpenAI, _Handler, _pieces, _sample

DEFAULT_TEXT = "Hello from the fake Anthropic server."


class FakeAnthropic(FakeOpenAI):
    """An Anthropic Messages API server on a free port of 127.0.0.1 (a context manager)."""

    def __init__(
        self,
        *,
        input_tokens: int = 12,
        output_tokens: int = 8,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reply_text: str = DEFAULT_TEXT,
        models: tuple[str, ...] | list[str] = ("claude-sonnet-4-6", "claude-haiku-4-5-20251001"),
        **options: Any,
    ) -> None:
        """``input_tokens`` excludes the ``cache_read_tokens`` / ``cache_write_tokens`` every reply also
        reports; the other options are :class:`FakeOpenAI`'s."""
        super().__init__(reply_text=reply_text, models=models, **options)
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cache_read_tokens = cache_read_tokens
        self.cache_write_tokens = cache_write_tokens

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _AnthropicHandler

    @property
    def base_url(self) -> str:
        """The URL before ``/v1`` (what Anthropic's SDK takes as ``base_url``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["method"] == "POST" and r["path"].endswith("/messages")]

    # ── building replies ───────────────────────────────────────────────────

    def _usage(self, override: dict[str, Any] | None) -> dict[str, Any] | None:
        if override is not None:
            return override
        if not self.include_usage:
            return None
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens,
        }

    def _reply_for(self, body: dict[str, Any], scripted: dict[str, Any] | None) -> dict[str, Any]:
        """The reply to a request as ``{text, tool_calls, reasoning_content, stop_reason, usage}``."""
        reasoning = self.reasoning_text if body.get("model") in self.reasoning_models else None
        if scripted is not None:
            calls = [_tool_use(i, call) for i, call in enumerate(scripted["tool_calls"] or [])]
            text = scripted["text"]
            return {
                "text": self._default_text(body) if text is None and not calls else text or "",
                "tool_calls": calls,
                "reasoning_content": scripted["reasoning_content"] or reasoning,
                "stop_reason": scripted["finish_reason"] or ("tool_use" if calls else "end_turn"),
                "usage": self._usage(scripted["usage"]),
            }
        tools = body.get("tools") or []
        if tools and not _ends_with_tool_results(body.get("messages") or []):
            forced = (body.get("tool_choice") or {}).get("name")
            tool = next((t for t in tools if t.get("name") == forced), tools[0])
            call = _tool_use(0, {"name": tool.get("name", "tool"), "arguments": _sample(tool.get("input_schema"))})
            return {
                "text": "",
                "tool_calls": [call],
                "reasoning_content": reasoning,
                "stop_reason": "tool_use",
                "usage": self._usage(None),
            }
        return {
            "text": self._default_text(body),
            "tool_calls": [],
            "reasoning_content": reasoning,
            "stop_reason": "end_turn",
            "usage": self._usage(None),
        }

    def _default_text(self, body: dict[str, Any]) -> str:
        schema = _schema_asked_for(body.get("messages") or [])
        return json.dumps(_sample(schema)) if schema is not None else self.reply_text


class _AnthropicHandler(_Handler):
    fake: FakeAnthropic

    def _authorized(self, record: dict[str, Any]) -> bool:
        if not record["headers"].get("anthropic-version"):
            self._send_json(400, _error("invalid_request_error", "anthropic-version: header is required"))
            return False
        headers = record["headers"]
        if self.fake.api_key is None or self.fake.api_key in (
            headers.get("x-api-key"),
            headers.get("authorization", "").removeprefix("Bearer "),  # how Anthropic's SDK 2.x sends the key
        ):
            return True
        self._send_json(401, _error("authentication_error", "invalid x-api-key"))
        return False

    def do_GET(self) -> None:
        record = self._record()
        if not self._authorized(record):
            return
        if record["path"].rstrip("/").endswith("/models"):
            data = [{"id": m, "type": "model", "display_name": m} for m in self.fake.models]
            self._send_json(200, {"data": data, "has_more": False})
            return
        self._send_json(404, _error("not_found_error", f"Unknown path {record['path']}"))

    def do_POST(self) -> None:
        record = self._record()
        if not self._authorized(record):
            return
        if not record["path"].rstrip("/").endswith("/messages"):
            self._send_json(404, _error("not_found_error", f"Unknown path {record['path']}"))
            return
        body = record["json"]
        if not isinstance(body, dict) or not isinstance(body.get("max_tokens"), int) or not body.get("messages"):
            self._send_json(400, _error("invalid_request_error", "model, max_tokens and messages are required"))
            return
        scripted = self.fake._next_scripted()
        if scripted is not None and scripted["kind"] == "error":
            status = scripted["status"]
            payload = scripted["body"]
            if isinstance(payload, dict) and "error" in payload and "type" not in payload:  # FakeOpenAI's default
                kind = "rate_limit_error" if status == 429 else "api_error"
                payload = _error(kind, payload["error"].get("message", ""))
            text = payload if isinstance(payload, str) else json.dumps(payload)
            self._send(status, text, headers=scripted.get("headers"))
            return
        if scripted is not None and scripted["kind"] == "raw":
            self._send(scripted["status"], scripted["body"], scripted["content_type"])
            return
        reply = self.fake._reply_for(body, scripted)
        if body.get("stream"):
            self._stream_messages(body, reply)
        else:
            self._send(200, json.dumps(_message(body, reply)), headers=self.fake.response_headers)

    def _stream_messages(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in self.fake.response_headers.items():
            self.send_header(name, value)
        self.end_headers()
        usage = reply["usage"]
        start = {**_message(body, {**reply, "text": "", "tool_calls": [], "reasoning_content": None}), "content": []}
        start["stop_reason"] = None
        if usage is not None:
            start["usage"] = {**usage, "output_tokens": 1}
        self._sse("message_start", {"type": "message_start", "message": start})
        self._sse("ping", {"type": "ping"})
        for index, block in enumerate(_content(reply)):
            kind = block["type"]
            opened = {**block, "text": ""} if kind == "text" else dict(block)
            if kind == "thinking":
                opened.update(thinking="", signature="")
            if kind == "tool_use":
                opened["input"] = {}
            self._sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": opened})
            for delta in _deltas(block):
                self._sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            self._sse("content_block_stop", {"type": "content_block_stop", "index": index})
        final: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": reply["stop_reason"]}}
        if usage is not None:
            final["usage"] = {"output_tokens": usage.get("output_tokens", 0)}
        self._sse("message_delta", final)
        self._sse("message_stop", {"type": "message_stop"})
        self._write("")  # the last chunk of the chunked encoding

    def _sse(self, event: str, data: dict[str, Any]) -> None:
        self._write(f"event: {event}\ndata: {json.dumps(data)}\n\n")


# ── helpers ────────────────────────────────────────────────────────────────


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _tool_use(index: int, call: dict[str, Any]) -> dict[str, Any]:
    arguments = call.get("arguments", {})
    return {"type": "tool_use", "id": call.get("id") or f"toolu_fake_{index}", "name": call["name"], "input": arguments}


def _content(reply: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply["reasoning_content"]:
        blocks.append({"type": "thinking", "thinking": reply["reasoning_content"], "signature": "sig-fake-1"})
    if reply["text"]:
        blocks.append({"type": "text", "text": reply["text"]})
    return blocks + reply["tool_calls"]


def _deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "thinking":
        pieces = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"])]
        return [*pieces, {"type": "signature_delta", "signature": block["signature"]}]
    if block["type"] == "text":
        return [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
    raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
    return [{"type": "input_json_delta", "partial_json": p} for p in _pieces(raw, size=8)]


def _message(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model") or "",
        "content": _content(reply),
        "stop_reason": reply["stop_reason"],
        "stop_sequence": None,
    }
    if reply["usage"] is not None:
        message["usage"] = reply["usage"]
    return message


def _ends_with_tool_results(messages: list[Any]) -> bool:
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    content = last.get("content")
    return isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)


def _schema_asked_for(messages: list[Any]) -> Any:
    """The JSON schema written into the last user turn's text ("... schema: {...}"), or None."""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    if isinstance(content, list):
        content = "".join(b.get("text") or "" for b in content if isinstance(b, dict))
    if not isinstance(content, str) or "schema" not in content.lower():
        return None
    at = content.lower().index("schema")
    while (at := content.find("{", at)) != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(content, at)
        except json.JSONDecodeError:
            at += 1
            continue
        if isinstance(value, dict) and ("properties" in value or "type" in value):
            return value
        at += 1
    return None

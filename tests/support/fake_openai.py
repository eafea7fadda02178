"""A real, threaded OpenAI-compatible HTTP server on 127.0.0.1 for driver tests.

    with FakeOpenAI(prompt_tokens=1000, completion_tokens=500) as server:
        ...  # point the driver at server.url ("http://127.0.0.1:<port>/v1")
        server.requests  # every request received, oldest first

It speaks ``POST /chat/completions`` and ``GET /models`` (with or without the
``/v1`` prefix):

* JSON replies carry ``usage`` with ``prompt_tokens_details.cached_tokens``.
* When ``tools`` are sent and the conversation does not end with a tool result,
  the reply calls the first tool (arguments sampled from its parameter schema).
* ``stream: true`` answers with server-sent events: the same text split into
  deltas, tool-call deltas, a finish chunk, a usage chunk when
  ``stream_options.include_usage`` is set, then ``data: [DONE]``. A
  ``: keep-alive`` comment line comes first, as real servers send.
* Models named in ``reasoning_models`` also return ``reasoning_content``.
* ``response_format`` json_schema/json_object replies are JSON text.
* Scripted replies (``queue_reply``, ``queue_tool_call``), failures
  (``queue_error``, ``fail_with``) and raw bodies (``queue_raw``) are served
  first-in, first-out, one per chat request, before the defaults. A failure
  can carry headers (``Retry-After``, ``x-ratelimit-*``).
* ``response_headers`` go out with every successful chat reply (e.g. the
  ``x-ratelimit-*`` headers real providers send).
* ``interleave_tool_calls=True`` streams several tool calls the way some
  servers do: every call's head first, then argument fragments taking turns
  by ``index``.

Each recorded request is a dict: ``method``, ``path``, ``headers`` (lower-case
names), ``json`` (decoded body or None), ``raw`` (body text) and
``client_port`` (one TCP connection keeps one port, so tests can check that a
driver reuses its connection).
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEXT = "Hello from the fake OpenAI server."
DEFAULT_REASONING = "Let me think about that."


class FakeOpenAI:
    """An OpenAI-compatible server on a free port of 127.0.0.1 (a context manager)."""

    def __init__(
        self,
        *,
        prompt_tokens: int = 12,
        completion_tokens: int = 8,
        cached_tokens: int = 0,
        reply_text: str = DEFAULT_TEXT,
        reasoning_models: tuple[str, ...] | list[str] | set[str] = (),
        reasoning_text: str = DEFAULT_REASONING,
        models: tuple[str, ...] | list[str] = ("acme-chat-1", "acme-chat-2"),
        api_key: str | None = None,
        include_usage: bool = True,
        stream_noise: bool = False,
        response_headers: dict[str, str] | None = None,
        interleave_tool_calls: bool = False,
    ) -> None:
        """
        Args:
            prompt_tokens, completion_tokens, cached_tokens: the usage every reply reports
                (``cached_tokens`` goes to ``prompt_tokens_details.cached_tokens``).
            reply_text: the text of a default reply.
            reasoning_models: models whose replies also carry ``reasoning_content``.
            reasoning_text: that reasoning text.
            models: the ids ``GET /models`` lists.
            api_key: when set, requests without ``Authorization: Bearer <api_key>`` get a 401.
            include_usage: False leaves ``usage`` out of JSON replies and streams.
            stream_noise: True adds ``event:`` lines, blank data and a line of non-JSON
                data to every stream (drivers must skip them).
            response_headers: extra headers of every successful chat reply.
            interleave_tool_calls: stream tool-call argument fragments taking turns by index.
        """
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.cached_tokens = cached_tokens
        self.reply_text = reply_text
        self.reasoning_models = set(reasoning_models)
        self.reasoning_text = reasoning_text
        self.models = list(models)
        self.api_key = api_key
        self.include_usage = include_usage
        self.stream_noise = stream_noise
        self.response_headers = dict(response_headers or {})
        self.interleave_tool_calls = interleave_tool_calls
        self.requests: list[dict[str, Any]] = []
        self._script: deque[dict[str, Any]] = deque()
        self._persistent_failure: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ── lifecycle ──────────────────────────────────────────────────────────

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler this server speaks with (a subclass speaks another wire format)."""
        return _Handler

    def start(self) -> FakeOpenAI:
        handler = type(f"{type(self).__name__}Handler", (self._handler_class(),), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL a driver's endpoint should be (the part before /chat/completions)."""
        return f"http://127.0.0.1:{self.port}/v1"

    # ── what was received ──────────────────────────────────────────────────

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    @property
    def last_request(self) -> dict[str, Any]:
        with self._lock:
            if not self.requests:
                raise AssertionError("the fake server received no request")
            return self.requests[-1]

    def clear(self) -> None:
        """Forget the recorded requests (the script and failures stay)."""
        with self._lock:
            self.requests.clear()

    # ── scripting ──────────────────────────────────────────────────────────

    def queue_reply(
        self,
        text: str | None = None,
        *,
        tool_calls: list[dict[str, Any]] | None = None,
        reasoning_content: str | None = None,
        finish_reason: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> None:
        """Script the next chat reply.

        ``tool_calls`` items are ``{"name": ..., "arguments": dict | str, "id": optional}``.
        ``usage`` replaces the whole usage object (``{}`` sends an empty one).
        """
        self._push(
            {
                "kind": "reply",
                "text": text,
                "tool_calls": tool_calls,
                "reasoning_content": reasoning_content,
                "finish_reason": finish_reason,
                "usage": usage,
            }
        )

    def queue_tool_call(self, name: str, arguments: dict[str, Any] | str, *, id: str | None = None) -> None:
        """Script the next chat reply as one call of tool ``name``."""
        self.queue_reply(text="", tool_calls=[{"name": name, "arguments": arguments, "id": id}])

    def queue_error(
        self,
        status: int = 500,
        message: str = "The fake server was told to fail.",
        *,
        body: Any = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Script the next ``times`` chat requests to fail with ``status`` and an OpenAI error body.

        ``body`` (a JSON-able value, or a str sent as is) replaces the default
        ``{"error": {"message": ..., "type": ..., "code": ...}}``; ``headers``
        (e.g. ``{"Retry-After": "1"}``) go out with the failure.
        """
        for _ in range(times):
            item = {"kind": "error", "status": status, "body": _error_body(status, message, body)}
            self._push({**item, "headers": dict(headers or {})})

    def fail_with(self, status: int = 500, message: str = "The fake server is failing.", *, body: Any = None) -> None:
        """Fail every chat request from now on (until ``stop_failing``)."""
        with self._lock:
            self._persistent_failure = {"kind": "error", "status": status, "body": _error_body(status, message, body)}

    def stop_failing(self) -> None:
        with self._lock:
            self._persistent_failure = None

    def queue_raw(self, body: str | bytes | Any, *, status: int = 200, content_type: str = "application/json") -> None:
        """Script the next chat reply as this exact body (a str/bytes, or a value sent as JSON).

        For malformed JSON, replies without choices or usage, and the like.
        """
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        self._push({"kind": "raw", "status": status, "body": body, "content_type": content_type})

    def _push(self, item: dict[str, Any]) -> None:
        with self._lock:
            self._script.append(item)

    def _next_scripted(self) -> dict[str, Any] | None:
        with self._lock:
            if self._persistent_failure is not None:
                return self._persistent_failure
            return self._script.popleft() if self._script else None

    # ── building replies ───────────────────────────────────────────────────

    def _usage(self, override: dict[str, Any] | None) -> dict[str, Any] | None:
        if override is not None:
            return override
        if not self.include_usage:
            return None
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
        }

    def _reply_for(self, body: dict[str, Any], scripted: dict[str, Any] | None) -> dict[str, Any]:
        """The reply to a chat request as ``{text, tool_calls, reasoning_content, finish_reason, usage}``."""
        model = body.get("model") or ""
        reasoning = self.reasoning_text if model in self.reasoning_models else None
        if scripted is not None:
            tool_calls = [_tool_call(i, call) for i, call in enumerate(scripted["tool_calls"] or [])]
            text = scripted["text"]
            if text is None:
                text = "" if tool_calls else self._default_text(body)
            return {
                "text": text,
                "tool_calls": tool_calls,
                "reasoning_content": scripted["reasoning_content"]
                if scripted["reasoning_content"] is not None
                else reasoning,
                "finish_reason": scripted["finish_reason"] or ("tool_calls" if tool_calls else "stop"),
                "usage": self._usage(scripted["usage"]),
            }
        tools = body.get("tools") or []
        messages = body.get("messages") or []
        last_role = messages[-1].get("role") if messages and isinstance(messages[-1], dict) else None
        if tools and last_role != "tool":
            function = (tools[0] or {}).get("function") or {}
            arguments = _sample(function.get("parameters") or {"type": "object", "properties": {}})
            call = _tool_call(0, {"name": function.get("name", "tool"), "arguments": arguments})
            return {
                "text": "",
                "tool_calls": [call],
                "reasoning_content": reasoning,
                "finish_reason": "tool_calls",
                "usage": self._usage(None),
            }
        return {
            "text": self._default_text(body),
            "tool_calls": [],
            "reasoning_content": reasoning,
            "finish_reason": "stop",
            "usage": self._usage(None),
        }

    def _default_text(self, body: dict[str, Any]) -> str:
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            return json.dumps(_sample(schema))
        if response_format.get("type") == "json_object":
            return json.dumps({"answer": self.reply_text})
        return self.reply_text


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
    timeout = 30  # an idle keep-alive connection's thread ends after this
    fake: FakeOpenAI  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ── plumbing ───────────────────────────────────────────────────────────

    def _record(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        try:
            decoded = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            decoded = None
        record = {
            "method": self.command,
            "path": self.path.split("?", 1)[0],
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "json": decoded,
            "raw": raw,
            "client_port": self.client_address[1],
        }
        with self.fake._lock:
            self.fake.requests.append(record)
        return record

    def _send(
        self,
        status: int,
        body: str | bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value))

    def _authorized(self, record: dict[str, Any]) -> bool:
        if self.fake.api_key is None:
            return True
        if record["headers"].get("authorization") == f"Bearer {self.fake.api_key}":
            return True
        self._send_json(
            401,
            _error_body(401, "Incorrect API key provided.", None),
        )
        return False

    # ── routes ─────────────────────────────────────────────────────────────

    def do_GET(self) -> None:
        record = self._record()
        if not self._authorized(record):
            return
        if record["path"].rstrip("/").endswith("/models") or record["path"].rstrip("/") == "/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.fake.models]
            self._send_json(200, {"object": "list", "data": data})
            return
        self._send_json(404, _error_body(404, f"Unknown path {record['path']}", None))

    def do_POST(self) -> None:
        record = self._record()
        if not self._authorized(record):
            return
        if not record["path"].rstrip("/").endswith("/chat/completions"):
            self._send_json(404, _error_body(404, f"Unknown path {record['path']}", None))
            return
        body = record["json"]
        if not isinstance(body, dict):
            self._send_json(400, _error_body(400, "The request body is not a JSON object.", None))
            return
        scripted = self.fake._next_scripted()
        if scripted is not None and scripted["kind"] == "error":
            payload = scripted["body"]
            text = payload if isinstance(payload, str) else json.dumps(payload)
            self._send(scripted["status"], text, headers=scripted.get("headers"))
            return
        if scripted is not None and scripted["kind"] == "raw":
            self._send(scripted["status"], scripted["body"], scripted["content_type"])
            return
        reply = self.fake._reply_for(body, scripted)
        if body.get("stream"):
            self._stream(body, reply)
        else:
            completion = json.dumps(_completion(body.get("model") or "", reply))
            self._send(200, completion, headers=self.fake.response_headers)

    # ── streaming ──────────────────────────────────────────────────────────

    def _stream(self, body: dict[str, Any], reply: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in self.fake.response_headers.items():
            self.send_header(name, value)
        self.end_headers()
        model = body.get("model") or ""
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

        self._write(": keep-alive\n\n")
        if self.fake.stream_noise:
            self._write("event: ping\ndata: \n\n")
            self._write("data: {this is not json\n\n")
        self._event(chunk({"role": "assistant", "content": ""}))
        if reply["reasoning_content"]:
            for piece in _pieces(reply["reasoning_content"]):
                self._event(chunk({"reasoning_content": piece}))
        for piece in _pieces(reply["text"]):
            self._event(chunk({"content": piece}))
        for delta in _tool_call_deltas(reply["tool_calls"], interleave=self.fake.interleave_tool_calls):
            self._event(chunk({"tool_calls": [delta]}))
        self._event(chunk({}, reply["finish_reason"]))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage and reply["usage"] is not None:
            self._event({**base, "choices": [], "usage": reply["usage"]})
        self._write("data: [DONE]\n\n")
        self._write("")  # the last chunk of the chunked encoding

    def _event(self, value: Any) -> None:
        self._write(f"data: {json.dumps(value)}\n\n")

    def _write(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


# ── helpers ────────────────────────────────────────────────────────────────


def _error_body(status: int, message: str, body: Any) -> Any:
    if body is not None:
        return body
    kind = "invalid_request_error" if 400 <= status < 500 else "server_error"
    code = {401: "invalid_api_key", 404: "not_found", 429: "rate_limit_exceeded"}.get(status)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _tool_call(index: int, call: dict[str, Any]) -> dict[str, Any]:
    arguments = call.get("arguments", {})
    return {
        "id": call.get("id") or f"call_fake_{index}",
        "type": "function",
        "function": {
            "name": call["name"],
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


def _tool_call_deltas(calls: list[dict[str, Any]], *, interleave: bool) -> list[dict[str, Any]]:
    """The stream's tool-call deltas: per call a head (id, name) then argument fragments of 8 characters.

    ``interleave`` sends every head first, then the fragments taking turns by index.
    """
    heads, fragments = [], []
    for index, call in enumerate(calls):
        function = {"name": call["function"]["name"], "arguments": ""}
        heads.append({"index": index, "id": call["id"], "type": "function", "function": function})
        pieces = _pieces(call["function"]["arguments"], size=8)
        fragments.append([{"index": index, "function": {"arguments": piece}} for piece in pieces])
    if not interleave:
        return [delta for head, parts in zip(heads, fragments, strict=True) for delta in (head, *parts)]
    turns = [part for round_ in itertools.zip_longest(*fragments) for part in round_ if part is not None]
    return heads + turns


def _completion(model: str, reply: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply["text"]}
    if reply["tool_calls"]:
        message["tool_calls"] = copy.deepcopy(reply["tool_calls"])
    if reply["reasoning_content"] is not None:
        message["reasoning_content"] = reply["reasoning_content"]
    completion: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply["finish_reason"]}],
    }
    if reply["usage"] is not None:
        completion["usage"] = reply["usage"]
    return completion


def _pieces(text: str, size: int | None = None) -> list[str]:
    """Split ``text`` into stream deltas that join back to it (words with their spaces, or fixed sizes)."""
    if not text:
        return []
    if size:
        return [text[i : i + size] for i in range(0, len(text), size)]
    pieces, current = [], ""
    for char in text:
        current += char
        if char == " ":
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces


def _sample(schema: Any, depth: int = 0) -> Any:
    """A value that fits a (simple) JSON schema: placeholders by type, every property filled."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for keyword in ("anyOf", "oneOf"):
        options = [s for s in schema.get(keyword) or [] if isinstance(s, dict) and s.get("type") != "null"]
        if options:
            return _sample(options[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        return {name: _sample(sub, depth + 1) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        item = _sample(schema.get("items") or {"type": "string"}, depth + 1)
        return [item] if item is not None else []
    return {"string": "fake", "integer": 1, "number": 1.5, "boolean": True}.get(kind)

#!/usr/bin/env python3
"""Write docs/layouts.md's capability table from the layout data, so the two cannot drift.

    python scripts/layout_capabilities.py          # rewrite the table in docs/layouts.md
    python scripts/layout_capabilities.py --check  # exit 1 when docs/layouts.md is stale

One row per thing the rendered driver takes from Prompture: the release helpers
(``RELEASE_HELPERS``, found per pin as ``Layout.pin_helpers``) and the per-layout
``DriverFacts``; per layout whether its pin offers it, then what the driver does with
it and without it (and why). The table sits between the markers below; the rest of the page is left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "layouts.md"
START, END = "<!-- capabilities:start -->", "<!-- capabilities:end -->"

sys.path.insert(0, str(ROOT / "extensions"))
from generated_page import write_or_check  # noqa: E402
from scaffolding.layouts import LAYOUTS, RELEASE_HELPERS, DriverFacts  # noqa: E402

#: Release helper or DriverFacts field -> (what the driver does, with it, without it).
#: A helper or fact missing here stops the script: say what it gives the driver.
ROWS: dict[str, tuple[str, str, str]] = {
    "http_error": (
        "HTTP errors",
        "`DriverHTTPError` with `status_code` and `retryable`",
        "a `RuntimeError` naming the status (no shared error type); the httpx error, with the reply's "
        "status and `Retry-After`, is its cause",
    ),
    "rate_limits": (
        '`meta["rate_limits"]`',
        "read from the `x-ratelimit-*` headers by the release's `limits_from_response`",
        "not filled: the release has no rate-limit reader",
    ),
    "tool_call_dict": (
        "malformed tool arguments",
        "`arguments_error` on the call: the conversation asks the model again",
        "parsed to `{}` with a warning, as the release's own drivers do (no `arguments_error` there)",
    ),
    "parse_tool_arguments": (
        "tool-call arguments",
        "parsed by the release's `_parse_tool_arguments`",
        "parsed by the driver's own `_parse_tool_arguments` (the release has none)",
    ),
    "openai_tool_options": (
        "`tool_choice`",
        "checked by the release's `_apply_openai_tool_options`",
        'normalised by the driver (`{"name": ...}` form, `parallel_tool_calls`)',
    ),
    "stop_reason": (
        "`stop_reason` (anthropic_compatible)",
        "mapped to Prompture's vocabulary by the release's `_normalize_stop_reason`",
        "mapped by the driver's own small table (`stop_sequence` -> `end_turn`, `refusal` -> `content_filter`)",
    ),
    "tool_choice": (
        "`tool_choice` (anthropic_compatible)",
        'translated by the release\'s `_translate_tool_choice(..., "anthropic")`',
        'translated by the driver (`required` -> `any`, `{"name": ...}` -> `{"type": "tool", ...}`)',
    ),
    "live_tool_stream": (
        "streamed tool calls (`ask_live`)",
        "live events from the release's `_openai_compat_stream` helpers",
        "not streamed: the release has no live-event stream helpers (nor, on 1.0.x, `ask_live`)",
    ),
    "usage_model_name": (
        "usage under `<provider>/<model>` (ids with a `/`)",
        "through the release's `_usage_model_name` hook",
        "the next row's `_UsageView` does it where the release records usage",
    ),
    "auto_record_usage": (
        "usage recorded to the tracker",
        "by the release's `_auto_record_usage`; without `_usage_model_name` the driver hands it "
        "`<provider>/<model>` (the release reads the provider off `driver.model`)",
        "not recorded: the release has no usage tracker",
    ),
    "effort": (
        "`effort` / `reasoning_effort`",
        "sent through the release's `apply_effort`",
        "not sent: the release has no effort option",
    ),
    "openai_compat": (
        "`extra_body`, guided decoding",
        "merged by the release's `merge_extra_body` / `apply_guided_decoding`",
        "not sent: the release has neither option",
    ),
    "inject_schema": (
        "a schema the model cannot enforce",
        "put into the prompt by the release's `_inject_schema_into_messages`",
        "put into the prompt by the driver's own `_inject_schema`",
    ),
    "cost_cached_tokens": (
        "cached prompt tokens",
        "priced as cached (`CostMixin` takes `cached_tokens`)",
        "priced as input: the release's `CostMixin` takes no cached-token count",
    ),
    "rate_file_prices": (
        "prices",
        "from the rate file before models.dev (`infra/pricing.py`)",
        "from models.dev only: a provider not on models.dev costs 0 (the release reads no rate-file prices)",
    ),
    "list_models": (
        "model listing",
        "`list_models` asks the provider's `/models` (discovery asks drivers)",
        "no `list_models`: the release's discovery does not ask drivers",
    ),
}
FACTS = [name for name, kind in DriverFacts.__annotations__.items() if kind == "bool"]


def _has(layout, name: str) -> bool:
    return name in layout.pin_helpers if name in RELEASE_HELPERS else bool(getattr(layout.driver, name))


def table() -> str:
    names = [*RELEASE_HELPERS, *FACTS]
    if set(names) != set(ROWS):
        unlisted, stale = sorted(set(names) - set(ROWS)), sorted(set(ROWS) - set(names))
        raise SystemExit(f"scripts/layout_capabilities.py: ROWS lacks {unlisted}, has no such helper or fact {stale}")
    layouts = list(reversed(LAYOUTS))
    pins = " | ".join(f"{layout.name} {layout.pin}" for layout in layouts)
    lines = [
        f"| the driver's | {pins} | with it | without it |",
        "|---|" + ":-:|" * len(layouts) + "---|---|",
    ]
    for name, (what, with_it, without) in ROWS.items():
        marks = ["yes" if _has(layout, name) else "no" for layout in layouts]
        lines.append(f"| {what} | " + " | ".join(marks) + f" | {with_it} | {without} |")
    return "\n".join(lines)


def updated_page(page: str) -> str:
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    fresh = updated_page(PAGE.read_text(encoding="utf-8"))
    return write_or_check(
        PAGE, fresh, check="--check" in argv, what="docs/layouts.md's capability table",
        command="python scripts/layout_capabilities.py",
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The differential suite's machinery: the generated driver and the release's own, run alike on every pin.

One real ``copier copy --defaults`` adds the ``basalt`` provider (recorded facts in
tests/fixtures/models-dev.json: a reasoning model with structured output whose id holds a
``/`` and is the default, a reasoning model without structured output, and a vision model
that is not the default) to the sdist of each layout's pin (``Layout.pin``: 1.0.12, 1.0.49,
1.0.57, 1.15.1). A scenario is Python that goes through Prompture's public APIs; it runs in
that checkout with the release's own dependencies, once for each side, in one process:

* ``generated``: the rendered ``basalt`` driver, resolved as ``basalt/<model>``;
* ``control``: the release's ``MoonshotDriver``, resolved as ``moonshot/<model>``. Every pin
  ships it, speaks OpenAI-compatible chat completions over raw HTTP and takes its base URL
  from ``MOONSHOT_ENDPOINT``, with structured output, tools, streaming, vision and
  ``reasoning_content``: the closest built-in to what ``api_style=openai_compatible`` renders
  (1.0.12's Grok and OpenRouter drivers hard-code their URL, Groq's and OpenAI's go through an
  SDK, LM Studio's is a keyless local server), and the same one on every pin.

Each side gets its own :class:`FakeOpenAI`, scripted alike. What a scenario needs from the
release is checked in the release's files (:data:`RELEASE_HELPERS`) or its objects
(:data:`FEATURES`); :meth:`Release.require` skips a scenario a release cannot support,
naming what it lacks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scaffolding.layouts import LAYOUTS, RELEASE_HELPERS, Layout, Marker, detect_layout, module_file

from .cache_lock import exclusive
from .fake_openai import FakeOpenAI
from .prompture_runtime import checkout_env, run_python, runtime_python
from .scaffold import copied_checkout, prepare_runtimes

PINS = [layout.pin for layout in reversed(LAYOUTS)]  # oldest first

#: The generated driver's API styles: the answers each is copied with, the PyPI packages it needs.
STYLES = {
    "openai_compatible": ((), ()),
    "custom_sdk": (("api_style=custom_sdk", "sdk_package=openai"), ("openai",)),  # the real SDK, from PyPI
}
#: (pin, style): every pin with the OpenAI-compatible style; 1.15.1 also with custom_sdk.
RELEASES = [(pin, "openai_compatible") for pin in PINS] + [(LAYOUTS[-1].pin, "custom_sdk")]
RELEASE_IDS = [
    f"{layout.name}-{pin}" + ("" if style == "openai_compatible" else f"-{style}")
    for pin, style in RELEASES
    for layout in LAYOUTS
    if layout.pin == pin
]

RATE_HEADERS = {
    "x-ratelimit-limit-requests": "100",
    "x-ratelimit-remaining-requests": "99",
    "x-ratelimit-reset-requests": "6s",
}

# The generated driver's models (recorded facts) and the control's models with the same traits.
SIDES = {
    "generated": {
        "provider": "basalt",
        "endpoint_env": "BASALT_ENDPOINT",
        "key_env": "BASALT_API_KEY",
        "reasoning_structured": "basalt-labs/reason-2",
        "vision": "basalt-vision-1",
    },
    "control": {
        "provider": "moonshot",
        "endpoint_env": "MOONSHOT_ENDPOINT",
        "key_env": "MOONSHOT_API_KEY",
        "reasoning_structured": "kimi-k2.5",
        "vision": "kimi-k2.5",
    },
}
REASONING_MODELS = {side["reasoning_structured"] for side in SIDES.values()}

#: Scenario -> where and why the release's MoonshotDriver does less (each is asserted in its test).
CONTROL_IS_WORSE = {
    "structured_output_for_reasoning_models": "1.0.12: MoonshotDriver sends no response_format to a reasoning "
    "model, whatever its structured_output, and puts no schema in the prompt: the extraction gets no JSON",
    "stream_keeps_reasoning_apart": "every pin: MoonshotDriver's stream puts reasoning_content into the text deltas",
    "usage_recorded_under_the_provider": "1.15.1: MoonshotDriver has no _usage_model_name: a model id with a '/' "
    "is recorded under its first segment (older pins record the driver's own model for every call)",
    "malformed_tool_arguments": "1.15.1: MoonshotDriver parses with _parse_tool_arguments (no arguments_error): "
    "the model is not told its arguments were malformed (older pins have no arguments_error at all)",
    "ask_live_streams_tool_calls": "1.15.1: MoonshotDriver.generate_messages_with_tools_stream reads "
    "self.api_base, which it never sets: ask_live fails with AttributeError",
    "http_errors_carry_status": "1.15.1: MoonshotDriver raises a bare RuntimeError (no status_code, no retryable)",
    "rate_limits_in_meta": "1.15.1: MoonshotDriver never reads the x-ratelimit-* headers",
    "effort_and_extra_body": "1.15.1: MoonshotDriver sends neither effort (reasoning_effort) nor extra_body",
}

#: Public APIs a scenario may need that arrived after 1.0.12: name -> (what a release without it
#: lacks, the files of which one must hold the text that shows it).
FEATURES = {
    "ask_live": (
        "Conversation.ask_live (live events)",
        [Marker(path, "def ask_live(") for path in ("prompture/conversation.py", "prompture/agents/conversation.py")],
    ),
    "resilience": ("prompture.resilience package", [Marker("prompture/resilience/__init__.py")]),
    "usage_tracker": (
        "usage tracker (prompture.infra.tracker)",
        [Marker("prompture/infra/tracker.py", "def get_tracker(")],
    ),
}

#: A scenario's opening: a ToolRegistry with one tool, ``get_weather``, whose calls land in ``calls``.
WEATHER_TOOL = """
    from prompture import ToolRegistry
    calls = []
    registry = ToolRegistry()
    @registry.register
    def get_weather(city: str) -> str:
        "Weather of a city."
        calls.append(city)
        return f"sunny in {city}"
"""

# Runs a scenario (DIFF_CODE) once per side (DIFF_SIDES), each in a fresh namespace.
_RUNNER = """
import asyncio, json, os
from prompture.drivers import get_driver_for_model
for side, facts in json.loads(os.environ["DIFF_SIDES"]).items():
    def out(value, side=side):
        print("RESULT " + json.dumps({"side": side, "value": value}, default=str), flush=True)
    def model(name, provider=facts["provider"]):
        return f"{provider}/{name}"
    scope = {"__name__": "scenario", "asyncio": asyncio, "json": json, "get_driver_for_model": get_driver_for_model,
             "REASON": facts["reasoning_structured"], "VISION": facts["vision"], "model": model, "out": out}
    exec(compile(os.environ["DIFF_CODE"], "<scenario>", "exec"), scope)
"""


@dataclass
class Release:
    """One pin's sdist with ``basalt`` copied in (in one API style), and what the release offers."""

    version: str
    style: str
    root: Path
    home: Path
    python: Path
    layout: Layout
    helpers: frozenset[str]  # the RELEASE_HELPERS found in its files
    features: dict[str, bool]  # FEATURES found in its files

    def lacks(self, name: str) -> str:
        """'' when the release has helper or feature ``name``, else what it lacks."""
        if name in RELEASE_HELPERS:
            if name in self.helpers:
                return ""
            files = {
                "{base}": module_file(self.layout.driver.driver_base),
                "{async_base}": module_file(self.layout.driver.async_driver_base),
            }
            shown_by: dict[str, list[str]] = {}
            for path, text in RELEASE_HELPERS[name]:
                shown_by.setdefault(files.get(path, path), []).append(text.removeprefix("def ").rstrip("("))
            return f"{name} (" + "; ".join(f"{file}: {', '.join(names)}" for file, names in shown_by.items()) + ")"
        if name not in FEATURES:
            raise KeyError(f"{name!r} is neither a release helper nor a feature: add it to FEATURES")
        return "" if self.features[name] else FEATURES[name][0]

    def has(self, name: str) -> bool:
        return not self.lacks(name)

    def require(self, *names: str) -> None:
        """Skip the calling test when the release lacks any of ``names``, saying what it lacks."""
        missing = [what for name in names if (what := self.lacks(name))]
        if missing:
            pytest.skip(f"Prompture {self.version} ({self.layout.name}) has no " + ", no ".join(missing))


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all of this session's xdist workers share (this process's base temp without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def scaffold_release(version: str, shared: Path, template: Path, style: str = "openai_compatible") -> Release:
    """``version``'s sdist under ``shared`` with ``basalt`` added by ``copier copy --defaults`` in ``style``.

    Done once per session, pin and style: the test modules (on any xdist worker) share it,
    and the scenarios only read it (each run gets its own HOME, see :func:`run_both`).
    """
    answers, packages = STYLES[style]
    tmp = shared / f"differential-{version}-{style}"
    root, home = tmp / "src" / f"prompture-{version}", tmp / "home"
    with exclusive(shared / f"differential-{version}-{style}.lock"):
        if not (tmp / ".ready").exists():
            shutil.rmtree(tmp, ignore_errors=True)  # a half-built one from an interrupted run
            prepare_runtimes(PINS)  # cold cache: the installs run side by side
            copied, result = copied_checkout(version, tmp, "basalt", *answers, template=template)
            assert result.returncode == 0, result.stdout + result.stderr
            recorded = (copied / ".copier-answers.basalt.yml").read_text()
            expected = ("default_model: basalt-labs/reason-2", "supports_vision: true", f"api_style: {style}")
            assert all(line in recorded for line in expected), recorded
            (tmp / ".ready").touch()
    layout = detect_layout(root)
    features = {name: any(not marker.problem(root) for marker in markers) for name, (_, markers) in FEATURES.items()}
    helpers = frozenset(layout.helpers_in(root))
    return Release(version, style, root, home, runtime_python(version, *packages), layout, helpers, features)


def run_both(
    release: Release, code: str, setup: Callable[[FakeOpenAI], None] = lambda server: None, **server_options: Any
) -> dict[str, dict[str, Any]]:
    """Run ``code`` for both sides, each against a fresh server prepared by ``setup``.

    Returns ``{side: {"out": what the code passed to out(), "requests": the side's chat requests}}``.
    """
    servers = {side: FakeOpenAI(**server_options) for side in SIDES}
    home = tempfile.TemporaryDirectory(prefix="differential-home-")
    try:
        shutil.copytree(release.home, home.name, dirs_exist_ok=True)  # the models.dev cache; usage goes here
        env = checkout_env(release.root, Path(home.name))
        for side, server in servers.items():
            server.start()
            setup(server)
            env.update({SIDES[side]["endpoint_env"]: server.url, SIDES[side]["key_env"]: "test-key"})
        env.update(DIFF_SIDES=json.dumps(SIDES), DIFF_CODE=textwrap.dedent(code))
        result = run_python(release.python, release.root, _RUNNER, env)
        assert result.returncode == 0, result.stdout + result.stderr
        outs = {}
        for line in result.stdout.splitlines():
            if line.startswith("RESULT "):
                record = json.loads(line[len("RESULT ") :])
                outs[record["side"]] = record["value"]
        assert set(outs) == set(SIDES), result.stdout + result.stderr
        return {side: {"out": outs[side], "requests": servers[side].chat_requests} for side in SIDES}
    finally:
        for server in servers.values():
            server.close()
        home.cleanup()


# ── One side at a time: for a style whose control needs its own runtime or fake server ──

#: The top of such a scenario: ``model(name)`` is "<provider>/<name>" for the side's provider,
#: ``REASON`` and ``VISION`` its models with those traits, ``out(value)`` the scenario's result.
PRELUDE = """
import asyncio, json, os, sys
from prompture.drivers import get_driver_for_model
P, REASON, VISION = os.environ["SIDE_PROVIDER"], os.environ["SIDE_REASON"], os.environ["SIDE_VISION"]
def model(name):
    return f"{P}/{name}"
def out(value):
    print("RESULT " + json.dumps(value, default=str))
"""


def scaffold_provider(tmp: Path, version: str, provider: str, python: Path) -> dict:
    """``version`` with ``provider`` added (``copied_checkout``); what :func:`run_scenario` needs,
    and the answers file's text (``answers``)."""
    root, result = copied_checkout(version, tmp, provider)
    assert result.returncode == 0, result.stdout + result.stderr
    answers = (root / f".copier-answers.{provider}.yml").read_text()
    return {"root": root, "home": tmp / "home", "python": python, "answers": answers}


def side_env(provider: str, reason: str, vision: str, **env: str) -> dict[str, str]:
    """The environment of one side's scenario: its provider and models for the prelude, and ``env``
    (the key and where the side's driver finds the fake server)."""
    return {"SIDE_PROVIDER": provider, "SIDE_REASON": reason, "SIDE_VISION": vision, **env}


def run_scenario(checkout: dict, env: dict[str, str], code: str, python: Path | None = None) -> dict:
    """Run ``PRELUDE`` + ``code`` in the checkout with ``env`` (see :func:`side_env`) added; what it
    passed to ``out()`` last. ``python`` overrides the checkout's (e.g. one with an SDK extra)."""
    environment = checkout_env(checkout["root"], checkout["home"])
    environment.update(env)
    result = run_python(python or checkout["python"], checkout["root"], PRELUDE + textwrap.dedent(code), environment)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1][len("RESULT ") :])

"""The real ``copier copy`` questionnaire at a pseudo-terminal, answered as a person would.

    with Questionnaire.start(template, checkout, env) as tui:
        tui.answer("provider", "acme_ai")        # waits for the provider prompt, types, Enter
        tui.enter_through_to("endpoint")         # Enter at each prompt before it
        tui.enter()                              # Enter: no default to take here
        tui.expect_refusal("endpoint", "'' is not a usable endpoint")
        asked = tui.enter_through()              # Enter at every further prompt, until Copier ends
        assert tui.exit_status == 0

pexpect runs Copier in a pseudo-terminal; pyte keeps the screen a person would see, because
prompt_toolkit redraws only what changed (a new validation message may reuse the old one's
letters), so the raw output cannot be searched for it. A prompt is recognised by its help
text from copier.yml (one line each, all different) on the last prompt line of the screen;
Copier's validation message is the line under it, cut at the terminal's width.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pexpect
import pyte
import yaml
from scaffolding.facts import default_model_help

from .copier_cli import TEMPLATE_DIR

CTRL_U = "\x15"  # prompt_toolkit: delete the input before the cursor (drops a pre-filled default)
QMARK = "🎤"  # Copier's prompt mark
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x08\r]")


def question_helps(copier_yml: Path = TEMPLATE_DIR / "copier.yml") -> dict[str, str]:
    """Question key -> the help text its prompt shows (the fixed lead of the one rendered from answers)."""
    config = yaml.safe_load(copier_yml.read_text(encoding="utf-8"))
    helps = {}
    for key, details in config.items():
        if key.startswith("_") or details.get("ask") is False or details.get("when") is False:
            continue
        helps[key] = default_model_help({}) if key == "default_model" else " ".join(str(details["help"]).split())
    assert len(set(helps.values())) == len(helps), "each prompt needs its own help"
    return helps


def plain(text: str) -> str:
    """Terminal output without colours and cursor movements (for what is printed, not redrawn)."""
    return _ANSI.sub("", text)


class Questionnaire:
    def __init__(self, child: pexpect.spawn, columns: int, rows: int) -> None:
        self.child = child
        self.screen = pyte.Screen(columns, rows)
        self._stream = pyte.Stream(self.screen)
        self.helps = question_helps()
        self.asked: list[str] = []
        self.raw = ""  # every byte shown, decoded
        self.exit_status: int | None = None
        self._ended = False

    @classmethod
    def start(
        cls, template: Path, checkout: Path, env: dict[str, str], *flags: str, columns: int = 80, rows: int = 40
    ) -> Questionnaire:
        """``copier copy --trust --vcs-ref HEAD <flags> <template> <checkout>`` at a ``columns``-wide terminal."""
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # no cursor-position queries to answer
        child = pexpect.spawn(
            sys.executable,
            ["-m", "copier", "copy", "--trust", "--vcs-ref", "HEAD", *flags, str(template), str(checkout)],
            cwd=str(checkout.parent),
            env=env,
            dimensions=(rows, columns),
            encoding="utf-8",
            codec_errors="replace",
        )
        return cls(child, columns, rows)

    def __enter__(self) -> Questionnaire:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()

    # ── reading ────────────────────────────────────────────────────────────

    @property
    def output(self) -> str:
        return plain(self.raw)

    def lines(self) -> list[str]:
        """The screen now, one string per row."""
        return [line.rstrip() for line in self.screen.display]

    def _pump(self) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=0.2)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self._finish()
            return
        self.raw += data
        self._stream.feed(data)

    def _finish(self) -> None:
        if not self._ended:
            self._ended = True
            self.child.close()
            self.exit_status = self.child.exitstatus

    def _wait(self, found, what: str, timeout: float = 180.0):
        deadline = time.monotonic() + timeout
        while (result := found()) is None:
            if self._ended or time.monotonic() > deadline:
                screen = "\n".join(self.lines())
                raise AssertionError(
                    f"{'Copier ended' if self._ended else 'timed out'} waiting for {what}; screen:\n{screen}"
                )
            self._pump()
        return result

    def _current_prompt(self) -> str | None:
        prompts = [line for line in self.lines() if QMARK in line]
        if not prompts:
            return None
        return next((k for k, text in self.helps.items() if k not in self.asked and text in prompts[-1]), None)

    def next_prompt(self) -> str | None:
        """Wait for the next question not answered yet; its key, or None when Copier ended."""
        key = self._wait(lambda: self._current_prompt() or ("" if self._ended else None), "a prompt")
        if key:
            self.asked.append(key)
        return key or None

    def expect_refusal(self, key: str, message_start: str) -> None:
        """Copier's validation line for ``key`` under the prompt, starting with ``message_start``."""
        wanted = f"Validation error for question '{key}': {message_start}"

        def found():
            if any(line.startswith(wanted) for line in self.lines()):
                return True
            if (accepted := self._current_prompt()) is not None:  # the answer was taken: the next question shows
                raise AssertionError(f"{key}: answer accepted, {accepted} asked; screen:\n" + "\n".join(self.lines()))
            return None

        self._wait(found, repr(wanted))

    def expect_text(self, text: str) -> None:
        """``text`` printed (in the plain output, not only on the current screen)."""
        self._wait(lambda: True if text in self.output else None, repr(text))

    def wait_for_exit(self) -> int | None:
        self._wait(lambda: True if self._ended else None, "Copier to end")
        return self.exit_status

    # ── typing ─────────────────────────────────────────────────────────────

    def answer(self, key: str, text: str) -> None:
        """Wait for ``key``'s prompt (any other first is an error), replace the input with ``text``, Enter."""
        prompt = self.next_prompt()
        assert prompt == key, f"expected the {key} prompt, got {prompt}; screen:\n" + "\n".join(self.lines())
        self.retype(text)

    def enter(self) -> None:
        """Press Enter at the prompt shown: takes the default if it offers one."""
        self.child.send("\r")

    def retype(self, text: str) -> None:
        """At the prompt shown: clear the input, type ``text``, press Enter."""
        self.child.send(CTRL_U + text + "\r")

    def enter_through(self, answers: dict[str, str] | None = None) -> list[str]:
        """Press Enter at every prompt until Copier ends (typing ``answers[key]`` first where given).

        Returns the keys asked, in order.
        """
        asked = []
        while (key := self.next_prompt()) is not None:
            asked.append(key)
            self._press(key, answers or {})
        return asked

    def enter_through_to(self, key: str, answers: dict[str, str] | None = None) -> None:
        """Like ``enter_through``, but stop at ``key``'s prompt, unanswered."""
        while (prompt := self.next_prompt()) != key:
            assert prompt is not None, f"Copier ended before the {key} prompt; output:\n{self.output[-2000:]}"
            self._press(prompt, answers or {})

    def _press(self, key: str, answers: dict[str, str]) -> None:
        if key in answers:
            self.retype(answers[key])
        else:
            self.enter()

    def interrupt(self) -> None:
        """Ctrl-C, then wait for Copier to end."""
        self.child.sendcontrol("c")
        self.wait_for_exit()

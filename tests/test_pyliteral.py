"""Answers become Python literals that round-trip exactly and that ruff format leaves alone."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys

from scaffolding.pyliteral import py_str, py_value

# Every short mix of the characters that make quoting hard.
ALPHABET = ["a", '"', "'", "\\", "\n", "é", "\x01", "{{", "\u2028"]
CASES = sorted({"".join(combo) for n in range(4) for combo in itertools.product(ALPHABET, repeat=n)})


def test_literals_round_trip():
    for text in CASES:
        assert ast.literal_eval(py_str(text)) == text


def test_ruff_format_keeps_every_literal_as_written(tmp_path):
    source = tmp_path / "literals.py"
    source.write_text("".join(f"x = {py_str(text)}\n" for text in CASES), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--diff", "--line-length", "500", "--no-cache", str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[:3000]


def test_scalars():
    assert [py_value(v) for v in (True, None, 3, 0.5, 'say "hi"')] == ["True", "None", "3", "0.5", "'say \"hi\"'"]

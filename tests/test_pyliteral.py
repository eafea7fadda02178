"""Answers become Python literals that round-trip exactly and that ruff format leaves alone."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys

from scaffolding.pyliteral import KNOWN_WIDTH, py_assignment, py_str, py_value, text_width

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


# ── Assignments laid out as ruff format lays them out, at any length ──────────────────────────

# What a value may hold: quotes, backslashes, a newline, wide, combining and zero-width characters,
# and characters whose width Unicode versions disagree on (escaped, so their width is the escape's).
FILLINGS = ["a", '"', "'", "\\", "\n", "é", "日", "e\u0301", "\u0483", "Ａ", "😀", "☰", "ｱ", "\u200b", "\u2028"]
LINE_LENGTHS = (88, 120)


def ruff_format(statements: list[str], line_length: int, tmp_path) -> str:
    """``statements`` as ruff format writes them at ``line_length`` (each one is followed by a marker comment)."""
    source = tmp_path / f"assignments_{line_length}.py"
    source.write_text("".join(f"{statement}\n# end\n" for statement in statements), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--line-length", str(line_length), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return source.read_text(encoding="utf-8")


def assert_ruff_keeps(statements: list[str], line_length: int, tmp_path) -> None:
    formatted = ruff_format(statements, line_length, tmp_path).split("\n# end\n")[:-1]
    changed = [(ours, theirs) for ours, theirs in zip(statements, formatted, strict=True) if ours != theirs]
    assert changed == [], changed[:3]


def test_a_string_assignment_is_laid_out_as_ruff_formats_it(tmp_path):
    for line_length in LINE_LENGTHS:
        cases = [
            (name, filling * count)
            for name in ("_X", "_DEFAULT_ENDPOINT")
            for filling in FILLINGS
            for count in range(1, line_length + 12)
        ]
        statements = [py_assignment(value, name, line_length) for name, value in cases]
        for statement, (_name, value) in zip(statements, cases, strict=True):
            assert ast.literal_eval(statement.split(" = ", 1)[1]) == value
        # Every layout occurs: one line that fits, parentheses that make it fit, one line that nothing makes fit.
        assert {statement.endswith("\n)") for statement in statements} == {True, False}
        assert any(text_width(statement) > line_length and "\n" not in statement for statement in statements)
        assert_ruff_keeps(statements, line_length, tmp_path)


def test_a_tuple_assignment_is_laid_out_as_ruff_formats_it(tmp_path):
    for line_length in LINE_LENGTHS:
        cases = [
            [f"ACME_{'X' * length}_{index}" for index in range(items)]
            for items in (0, 1, 2, 3)
            for length in range(0, line_length, 3)
        ]
        statements = [py_assignment(value, "_ENDPOINT_VARS", line_length) for value in cases]
        for statement, value in zip(statements, cases, strict=True):
            assert ast.literal_eval(statement.split(" = ", 1)[1]) == tuple(value)
        assert {statement.endswith(",\n)") for statement in statements} == {True, False}
        assert_ruff_keeps(statements, line_length, tmp_path)


def test_ruff_measures_each_known_width_character_as_text_width_does(tmp_path):
    """The printable characters of KNOWN_WIDTH, at the edge: a line exactly as wide as allowed stays, one
    column more is put in parentheses. A character ruff measures otherwise breaks one of the two.

    Every one of them, but one in 97 of the CJK ideographs and Hangul syllables (two uniform blocks of
    wide letters): all of them agree with ruff, on Python 3.10 to 3.13.
    """
    line_length = 120
    uniform = (range(0x4E00, 0xA000), range(0xAC00, 0xD7A4))
    chars = [
        chr(code)
        for low, high in KNOWN_WIDTH
        for code in range(ord(low), ord(high) + 1)
        if chr(code).isprintable()
        and chr(code) not in "\"'\\"
        and not any(code in block and code % 97 for block in uniform)
    ]
    statements = []
    for char in chars:
        for extra in (0, 1):
            padding = "a" * (line_length + extra - text_width(f'_X = "{char}"'))
            statements.append(py_assignment(padding + char, "_X", line_length))
    assert sum(statement.endswith("\n)") for statement in statements) == len(chars)
    assert_ruff_keeps(statements, line_length, tmp_path)


def test_characters_of_unknown_width_are_escapes_in_assignments_only():
    assert py_assignment("☰ 😀 ｱ", "_X", 120) == '_X = "\\u2630 \\U0001f600 \\uff71"'
    assert py_str("☰ 😀 ｱ") == '"☰ 😀 ｱ"'
    assert py_assignment("Zürich 日本", "_X", 120) == '_X = "Zürich 日本"'

"""Answers as Python literals: no answer can break or inject code in a rendered file."""

from __future__ import annotations

_SIMPLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def py_str(value: str) -> str:
    """Return a string literal for ``value`` in the quote style ``ruff format`` keeps.

    ruff prefers double quotes unless the text holds more double quotes than
    single ones, so the rendered file passes ``ruff format --check`` unchanged.
    """
    text = str(value)
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(char, quote) for char in text) + quote


def _escape(char: str, quote: str) -> str:
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char]
    if char == quote:
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def py_value(value: object) -> str:
    """Return a Python literal for a scalar answer (bool, None, int, float or str)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return py_str(value)
    raise TypeError(f"no Python literal for answers of type {type(value).__name__}")

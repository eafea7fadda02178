"""Answers as Python literals: no answer can break or inject code in a rendered file, and
``ruff format`` leaves each one as written, whatever its length."""

from __future__ import annotations

import unicodedata

#: The characters whose width on screen Python's Unicode data and ruff agree on in every Unicode
#: version since 13 (Python 3.10): Latin, Greek, Cyrillic, common punctuation and currency signs,
#: CJK punctuation, kana, ideographs, Hangul syllables and fullwidth forms. Elsewhere widths change
#: between versions (symbols made wide, marks made zero-width), so :func:`py_assignment` escapes them.
KNOWN_WIDTH = (
    ("\u0020", "\u007e"),
    ("\u00a0", "\u024f"),
    ("\u0370", "\u052f"),
    ("\u1e00", "\u1eff"),
    ("\u2010", "\u2027"),
    ("\u2030", "\u205e"),
    ("\u20a0", "\u20c0"),
    ("\u3000", "\u3029"),
    ("\u3030", "\u303e"),
    ("\u3041", "\u30ff"),
    ("\u4e00", "\u9fff"),
    ("\uac00", "\ud7a3"),
    ("\uff01", "\uff60"),
)
_SIMPLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def py_str(value: str, *, known_width: bool = False) -> str:
    """Return a string literal for ``value`` in the quote style ``ruff format`` keeps.

    ruff prefers double quotes unless the text holds more double quotes than
    single ones, so the rendered file passes ``ruff format --check`` unchanged.
    With ``known_width``, a character outside :data:`KNOWN_WIDTH` is an escape too,
    so that the literal's width on screen, which ruff measures, is known exactly.
    """
    text = str(value)
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(char, quote, known_width) for char in text) + quote


def _escape(char: str, quote: str, known_width: bool) -> str:
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char]
    if char == quote:
        return "\\" + char
    if char.isprintable() and (not known_width or any(low <= char <= high for low, high in KNOWN_WIDTH)):
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


def py_assignment(value: object, name: str, line_length: int) -> str:
    """``name = <literal of value>`` at module level, laid out as ``ruff format`` lays it out.

    A scalar stays on one line when that fits in ``line_length``; otherwise ruff puts it in
    parentheses, on a line of its own, when that makes it fit, and leaves it on one line when
    nothing does. A list or tuple of scalars is a tuple literal: on one line when it fits, else
    one item per line with a trailing comma. Strings are written with ``known_width``.
    """
    if isinstance(value, (list, tuple)):
        items = [_exact(item) for item in value]
        flat = f"{name} = ({', '.join(items)}{',' if len(items) == 1 else ''})"
        if text_width(flat) <= line_length:
            return flat
        return f"{name} = (\n" + "".join(f"    {item},\n" for item in items) + ")"
    literal = _exact(value)
    flat = f"{name} = {literal}"
    if text_width(flat) > line_length and text_width("    " + literal) <= line_length:
        return f"{name} = (\n    {literal}\n)"
    return flat


def _exact(value: object) -> str:
    return py_str(value, known_width=True) if isinstance(value, str) else py_value(value)


def text_width(text: str) -> int:
    """The columns ruff counts for ``text`` when it holds only :data:`KNOWN_WIDTH` characters:
    2 for a wide or fullwidth one, 0 for a combining mark, 1 for the rest."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1

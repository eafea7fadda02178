"""Small text-edit primitives: each takes a file's text and returns the new text.

They insert whole lines where the file's own tools would put them (ruff's isort order
for imports, ruff's RUF022 order for ``__all__``), copy the indentation and trailing
commas of their neighbours and never touch other lines, so a diff of an edited file
shows the inserted lines only. Positions come from :mod:`ast`, not from regexes.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


class WiringError(Exception):
    """Wiring cannot go on; the message names the file and says what to do."""


class UnpackedLiteral(WiringError):
    """A dict literal the wiring must add to uses ``**`` unpacking (the step names the file)."""


class AnchorNotFound(WiringError):
    """A line or construct the edit is placed by is not in the file."""

    def __init__(self, path: str, anchor: str, fix: str) -> None:
        self.path, self.anchor, self.fix = path, anchor, fix
        super().__init__(f"{path}: could not find {anchor}. {fix}")


# ── Sort orders ───────────────────────────────────────────────────────────────

_DIGITS = re.compile(r"\d+|\D")


@functools.lru_cache(maxsize=8192)  # sorting a long __all__ asks for the same names again and again
def natural_key(text: str) -> tuple[tuple[int, int], ...]:
    """Key for a natural, case-sensitive order: runs of digits compare as numbers."""
    return tuple((ord("0"), int(part)) if part.isdigit() else (ord(part), 0) for part in _DIGITS.findall(text))


def isort_module_key(module: str) -> tuple[Any, ...]:
    """ruff's isort order of module names (``case-sensitive = false``): lowercase natural, then natural."""
    return (natural_key(module.lower()), natural_key(module))


def dunder_all_key(name: str) -> tuple[Any, ...]:
    """ruff RUF022's "isort-style" order: SCREAMING_CASE, then CamelCase, then the rest; natural within."""
    if len(name) > 1 and name.isupper():
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, natural_key(name))


def is_sorted(values: Sequence[Any], key: Callable[[Any], Any]) -> bool:
    keys = [key(value) for value in values]
    return all(a <= b for a, b in zip(keys, keys[1:], strict=False))


def sorted_position(values: Sequence[Any], new: Any, key: Callable[[Any], Any]) -> int:
    """Index to insert ``new`` at: before the first value that sorts after it (the end if none)."""
    new_key = key(new)
    for index, value in enumerate(values):
        if key(value) > new_key:
            return index
    return len(values)


# ── Lines and positions ───────────────────────────────────────────────────────


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _char_col(line: str, byte_col: int) -> int:
    """ast column offsets count UTF-8 bytes; turn one into a str index."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def insert_lines(text: str, before_line: int, new_lines: Sequence[str]) -> str:
    """Insert ``new_lines`` (without newlines) before 1-based line ``before_line`` (len+1 appends)."""
    lines = _lines(text)
    if lines and not lines[-1].endswith("\n") and before_line > len(lines):
        lines[-1] += "\n"
    lines[before_line - 1 : before_line - 1] = [line + "\n" for line in new_lines]
    return "".join(lines)


def top_level_assignment(tree: ast.Module, name: str) -> ast.Assign | ast.AnnAssign | None:
    """The last module-level ``name = ...`` or ``name: T = ...``."""
    found = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            found = node
    return found


def literal_strings(node: ast.AST) -> list[str] | None:
    """The items of a list/tuple literal of string constants, or None if it is anything else."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    items = []
    for element in node.elts:
        if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
            return None
        items.append(element.value)
    return items


def _item_spans(node: ast.List | ast.Tuple | ast.Dict) -> list[tuple[ast.AST, ast.AST]]:
    """(first node, last node) of each item: the element, or the key and value of a dict entry."""
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise UnpackedLiteral("a dict literal with ** unpacking cannot take a new entry")
        return list(zip(node.keys, node.values, strict=True))  # type: ignore[arg-type]
    return [(element, element) for element in node.elts]


def insert_item(
    text: str,
    node: ast.List | ast.Tuple | ast.Dict,
    index: int,
    item_source: str,
    value: Brackets | None = None,
    *,
    line_length: int = 10**6,
) -> str:
    """Insert ``item_source`` (code without the comma) as item ``index`` of a list/tuple/dict literal.

    In a literal written one item per line the item gets its own line(s) with the
    neighbours' indentation and a trailing comma (adding the comma the previous last
    item lacked, if it lacked one); with ``value`` the item is ``item_source + value``,
    split like ``ruff format`` when longer than ``line_length``. In a one-line literal
    it goes inline.
    """

    def item_lines(indent: str) -> list[str]:
        if value is None:
            return [f"{indent}{item_source},"]
        return layout(item_source, value, ",", indent=indent, line_length=line_length)

    if value is not None and not (_item_spans(node) and _item_spans(node)[0][0].lineno > node.lineno):
        item_source += value.flat()
    lines = _lines(text)
    spans = _item_spans(node)
    multiline = bool(spans) and spans[0][0].lineno > node.lineno
    if not spans:
        # Empty literal: ``[]`` -> ``[item]`` (node ends with the closing bracket).
        line = lines[node.end_lineno - 1]
        col = _char_col(line, node.end_col_offset) - 1
        lines[node.end_lineno - 1] = line[:col] + item_source + line[col:]
        return "".join(lines)
    if multiline:
        if index < len(spans):
            first = spans[index][0]
            return insert_lines(text, first.lineno, item_lines(_indent_of(lines[first.lineno - 1])))
        last_first, last = spans[-1]
        indent = _indent_of(lines[last_first.lineno - 1])
        line = lines[last.end_lineno - 1]
        col = _char_col(line, last.end_col_offset)
        rest = line[col:]
        if not rest.lstrip().startswith(","):
            # The closing paren of a parenthesised item can follow end_col_offset; find the comma
            # or add one right after the item.
            lines[last.end_lineno - 1] = line[:col] + "," + rest
        return insert_lines("".join(lines), last.end_lineno + 1, item_lines(indent))
    # One-line literal.
    if index < len(spans):
        first = spans[index][0]
        line = lines[first.lineno - 1]
        col = _char_col(line, first.col_offset)
        lines[first.lineno - 1] = line[:col] + item_source + ", " + line[col:]
    else:
        last = spans[-1][1]
        line = lines[last.end_lineno - 1]
        col = _char_col(line, last.end_col_offset)
        lines[last.end_lineno - 1] = line[:col] + ", " + item_source + line[col:]
    return "".join(lines)


# ── Imports ───────────────────────────────────────────────────────────────────


def leading_import_block(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The module's first run of import statements (after the docstring)."""
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    block: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
        block.append(node)
    return block


def _is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def imports_name(tree: ast.Module, level: int, module: str, name: str) -> bool:
    """True if any module-level ``from <level dots><module> import <name>`` exists."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.level == level
        and (node.module or "") == module
        and any(alias.name == name and alias.asname is None for alias in node.names)
        for node in tree.body
    )


def insert_from_import(
    text: str, tree: ast.Module, level: int, module: str, name: str, *, path: str, line_length: int = 10**6
) -> str:
    """Add ``from <level dots><module> import <name>`` where ruff's isort puts it.

    It goes among the leading block's ``from`` imports of the same level, before the
    first one whose module sorts after it (and above that import's own comments), or
    after the last of them.
    """
    dots = "." * level
    leading = leading_import_block(tree)
    block = [node for node in leading if isinstance(node, ast.ImportFrom) and node.level == level]
    if level == 0:  # isort sections: the standard library's group, then third-party packages
        section = _is_stdlib(module)
        same = [node for node in block if _is_stdlib(node.module or "") == section]
        if block and not same:  # the first import of its section: a group of its own
            line = f"from {module} import {name}"
            after = max(n.end_lineno for n in leading if isinstance(n, ast.Import) or n.level == 0)
            if section:
                return insert_lines(text, block[0].lineno, [line, ""])
            return insert_lines(text, after + 1, ["", line])
        block = same
    if not block:
        raise AnchorNotFound(
            path,
            f"a 'from {dots}x import Y' line in the import block at the top",
            "Restore the file's relative imports (e.g. `git checkout -- " + path + "`) and run again.",
        )
    if any((node.module or "") == module for node in block):
        raise WiringError(
            f"{path}: already imports from {dots}{module} but not {name}: add {name} to that import by hand "
            "and run again."
        )
    new_lines = [f"from {dots}{module} import {name}"]
    if len(new_lines[0]) > line_length:  # ruff's isort wraps it the way ruff format would
        new_lines = [f"from {dots}{module} import (", f"    {name},", ")"]
    key = isort_module_key(module)
    lines = _lines(text)
    for node in block:
        if isort_module_key(node.module or "") > key:
            before = node.lineno
            while before > 1 and lines[before - 2].lstrip().startswith("#"):
                before -= 1
            return insert_lines(text, before, new_lines)
    return insert_lines(text, block[-1].end_lineno + 1, new_lines)


# ── Lists of names ────────────────────────────────────────────────────────────


def insert_dunder_all(text: str, tree: ast.Module, name: str, *, path: str) -> str:
    """Add ``"name"`` to the module's ``__all__`` list at its RUF022 place (or the end if unsorted)."""
    assignment = top_level_assignment(tree, "__all__")
    items = literal_strings(assignment.value) if assignment is not None and assignment.value is not None else None
    if items is None:
        raise AnchorNotFound(
            path,
            "a module-level '__all__ = [...]' list of strings",
            "Restore __all__ (e.g. `git checkout -- " + path + "`) and run again.",
        )
    index = sorted_position(items, name, dunder_all_key) if is_sorted(items, dunder_all_key) else len(items)
    return insert_item(text, assignment.value, index, _double_quoted(name))


def _double_quoted(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not an identifier: {name!r}")
    return f'"{name}"'


def member_key(name: str) -> tuple[Any, ...]:
    """ruff's isort order of imported names (``order-by-type``): CONSTANTS, Classes, others; case-insensitive."""
    return (dunder_all_key(name)[0], natural_key(name.lower()), natural_key(name))


def from_import_statement(tree: ast.Module, level: int, module: str) -> ast.ImportFrom | None:
    """The first module-level ``from <level dots><module> import ...`` (not ``*``)."""
    return next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and node.level == level
            and (node.module or "") == module
            and not any(alias.name == "*" for alias in node.names)
        ),
        None,
    )


def add_import_names(
    text: str, tree: ast.Module, module: str, names: Sequence[str], *, path: str, line_length: int, level: int = 0
) -> str:
    """Add ``names`` to the module-level ``from <level dots><module> import ...`` statement.

    A parenthesised statement written one name per line gets one new line per name at
    ruff's isort place (above the comment lines that belong to the name after it), so its
    comments and layout stay. Otherwise the statement is rewritten with its names in ruff's
    order, on one line when that fits in ``line_length`` and was one line before, else
    parenthesised one name per line.
    """
    dotted = "." * level + module
    statement = from_import_statement(tree, level, module)
    if statement is None:
        raise AnchorNotFound(
            path, f"the line 'from {dotted} import ...'", f"Restore it (e.g. `git checkout -- {path}`) and run again."
        )
    have = {(alias.name, alias.asname) for alias in statement.names}
    missing = [name for name in names if (name, None) not in have]
    if not missing:
        return text
    lines = _lines(text)
    first, last = statement.lineno, statement.end_lineno
    if _one_name_per_line(statement, lines):
        for name in missing:
            text = _insert_import_line(text, from_import_statement(ast.parse(text), level, module), name)
        return text
    original = "".join(lines[first - 1 : last])
    if "#" in original:
        raise WiringError(
            f"{path}: the 'from {dotted} import ...' statement has comments; add {', '.join(missing)} to it by hand, "
            "then run again."
        )
    aliases = sorted({*have, *((name, None) for name in missing)}, key=lambda pair: member_key(pair[0]))
    parts = [name if asname is None else f"{name} as {asname}" for name, asname in aliases]
    indent = _indent_of(lines[first - 1])
    one_line = f"{indent}from {dotted} import {', '.join(parts)}"
    if first == last and len(one_line) <= line_length:
        new = [one_line]
    else:
        new = [f"{indent}from {dotted} import (", *(f"{indent}    {part}," for part in parts), f"{indent})"]
    lines[first - 1 : last] = [line + "\n" for line in new]
    return "".join(lines)


def _one_name_per_line(statement: ast.ImportFrom, lines: list[str]) -> bool:
    """``from x import (`` then one name per line (comments allowed between them), then ``)``."""
    numbers = [alias.lineno for alias in statement.names]
    return (
        lines[statement.lineno - 1].rstrip().endswith("(")
        and len(set(numbers)) == len(numbers)
        and all(statement.lineno < number < statement.end_lineno for number in numbers)
        and all(lines[alias.lineno - 1].strip().rstrip(",") == _alias_source(alias) for alias in statement.names)
    )


def _alias_source(alias: ast.alias) -> str:
    return alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"


def _insert_import_line(text: str, statement: ast.ImportFrom, name: str) -> str:
    """Add ``name,`` on its own line to a one-name-per-line import, in ruff's order if the names are sorted."""
    lines = _lines(text)
    names = [alias.name for alias in statement.names]
    indent = _indent_of(lines[statement.names[0].lineno - 1])
    index = sorted_position(names, name, member_key) if is_sorted(names, member_key) else len(names)
    if index < len(names):
        before = statement.names[index].lineno
        while before - 1 > statement.lineno and lines[before - 2].lstrip().startswith("#"):
            before -= 1
        return insert_lines(text, before, [f"{indent}{name},"])
    last = statement.names[-1].lineno
    if not lines[last - 1].rstrip().endswith(","):
        lines[last - 1] = lines[last - 1].rstrip("\r\n") + ",\n"
    return insert_lines("".join(lines), last + 1, [f"{indent}{name},"])


@dataclass(frozen=True)
class Brackets:
    """A bracketed expression to lay out like ``ruff format``: ``Field(default=None, ...)``, ``("X",)``.

    ``items`` are source strings or nested :class:`Brackets`, each with a prefix
    (``"default="``, or ``""``). ``one_tuple`` keeps the comma of a one-element tuple.
    ``collection`` marks a list/tuple/dict literal: too long, ``ruff format`` puts its
    items one per line at once (a call's arguments first try one shared line).
    """

    opener: str  # "Field(" or "("
    items: tuple[tuple[str, str | Brackets], ...]
    closer: str = ")"
    one_tuple: bool = False
    collection: bool = False

    def flat(self) -> str:
        inner = ", ".join(prefix + _flat(value) for prefix, value in self.items)
        return f"{self.opener}{inner}{',' if self.one_tuple else ''}{self.closer}"


def _flat(value: str | Brackets) -> str:
    return value if isinstance(value, str) else value.flat()


def layout(prefix: str, value: str | Brackets, suffix: str, *, indent: str, line_length: int) -> list[str]:
    """Lines for ``prefix + value + suffix`` at ``indent``, split like ``ruff format`` when too long.

    Too long: the brackets open at the end of the first line; the items go on one indented
    line if that fits, else one per line with a trailing comma (each laid out the same way).
    Plain strings never split.
    """
    flat = f"{indent}{prefix}{_flat(value)}{suffix}"
    if len(flat) <= line_length or isinstance(value, str):
        return [flat]
    inner = indent + "    "
    opening, closing = f"{indent}{prefix}{value.opener}", f"{indent}{value.closer}{suffix}"
    hugged = inner + ", ".join(p + _flat(v) for p, v in value.items) + ("," if value.one_tuple else "")
    if len(hugged) <= line_length and not value.collection:
        return [opening, hugged, closing]
    body = [line for p, v in value.items for line in layout(p, v, ",", indent=inner, line_length=line_length)]
    return [opening, *body, closing]


# ── Statements and if/elif chains ─────────────────────────────────────────────


def statement_indent(text: str, node: ast.stmt) -> str:
    return _indent_of(_lines(text)[node.lineno - 1])


def equality_test(node: ast.expr, name: str) -> str | None:
    """The string of a ``<name> == "x"`` test, else None."""
    if (
        isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Name)
        and node.left.id == name
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Eq)
        and isinstance(node.comparators[0], ast.Constant)
        and isinstance(node.comparators[0].value, str)
    ):
        return node.comparators[0].value
    return None


def if_chain(head: ast.If) -> list[ast.If]:
    """The ``if`` and each ``elif`` of a chain, in order."""
    chain = [head]
    while len(chain[-1].orelse) == 1 and isinstance(chain[-1].orelse[0], ast.If) and _is_elif(chain[-1]):
        chain.append(chain[-1].orelse[0])
    return chain


def _is_elif(node: ast.If) -> bool:
    # An ``else: if`` block has its own ``if`` on a line after the ``else:`` line; an ``elif``
    # starts on the line where the previous body ends + k, with no ``else:`` line between.
    # ast cannot tell them apart directly: an ``elif`` node's col_offset equals the head's.
    inner = node.orelse[0]
    return inner.col_offset == node.col_offset


def insert_elif(text: str, chain: list[ast.If], after: int, branch: Sequence[str]) -> str:
    """Insert ``branch`` (``elif ...:`` and its body, without indentation) after branch ``after`` of ``chain``.

    The lines get the chain's indentation (the body one level deeper, as written in
    ``branch``). They go right before the next ``elif``/``else`` line, or after the last body.
    """
    indent = statement_indent(text, chain[0])
    new = [f"{indent}{line}" if line else "" for line in branch]
    node = chain[after]
    if after + 1 < len(chain):
        return insert_lines(text, chain[after + 1].lineno, new)
    end = max(child.end_lineno for child in node.body)
    if node.orelse:  # an ``else:`` line sits between the body and the else block
        lines = _lines(text)
        number = end + 1
        while number <= len(lines) and not lines[number - 1].strip().startswith("else"):
            number += 1
        return insert_lines(text, number, new)
    return insert_lines(text, end + 1, new)


def function_def(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """The last module-level ``def name`` (after any ``@overload`` stubs: the implementation)."""
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
    return found[-1] if found else None

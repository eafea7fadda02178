"""docs/troubleshooting.md and the messages in extensions/ and dev.py must match, both ways.

The section (between ``<!-- troubleshooting:start -->`` and ``<!-- troubleshooting:end -->``)
is Markdown tables, one row per entry. An entry's *fragments* are the backticked spans of its
first cell; ``…`` in a fragment stands for a part of the message that varies. A first cell
that starts with ``Copier:`` quotes Copier's own message, not the template's.

How code becomes text: a string constant is its value; an f-string is its constant parts
with ``…`` for each ``{...}`` (so ``f"{path}: could not find {anchor}"`` reads
``…: could not find …``). Docstrings do not count.

(a) No entry goes stale: every fragment occurs in the text of a string literal under
    extensions/ or dev.py (for ``Copier:`` entries, in the installed ``copier`` package).

(b) No message is missing: every *message site* is covered by an entry, that is, some
    fragment occurs in the site's text. The sites, collected with :mod:`ast`:

    * each call that constructs an exception (a class named ``*Error`` / ``*Exception``, or
      one defined under extensions/ that derives from one), one site per argument;
    * the first argument of ``print(..., file=...)`` and of ``_warn(...)`` (models.dev's warnings);
    * each value a function named ``problem`` or ``*_problem`` (the questionnaire validators
      and the detail functions they call) returns.

    A site's text is the text of the string literals in it (not inside other calls), one
    literal per line, so a fragment cannot span two of them. Three things are followed:
    ``a if c else b`` and ``a or b`` are two sites; a site that is just a local name is the
    values assigned to it in that function (``=``, ``:=``); a site that is just a call of a
    function defined under extensions/ is the values that function returns. An exception
    class that builds its message in ``__init__`` (``AnchorNotFound``) gives one site per
    call: that template, then the literals of the call's arguments, so one entry for the
    template covers every call. A site whose text has no letters only passes on a message
    made elsewhere (``str(error)``, ``f"{type(error).__name__}: {error}"``) and is skipped.

:data:`EXEMPT` lists the few sites a user cannot see, each with the reason.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "troubleshooting.md"
EXTENSIONS = ROOT / "extensions"
DEV_PY = ROOT / "dev.py"  # its own messages (`python3 dev.py update` without a checkout)
START, END = "<!-- troubleshooting:start -->", "<!-- troubleshooting:end -->"
PLACEHOLDER = "…"
COPIER = "Copier:"

#: Site text fragment -> why no entry: messages no user can see. Internal consistency
#: checks only: a message a user can meet, even a bad one, gets an entry instead.
EXEMPT = {
    # Contract checks on values the template itself builds or has already validated.
    "not an identifier: …": "edits._double_quoted only gets class names built from validated answers",
    "unknown flag …; expected one of": "model_flag: only copier.yml and provider_flag call it, with fixed flag names",
    "unknown api_style …; expected one of": "api_style is a choice question: Copier refuses other values first",
    "no Python literal for answers of type": "pyliteral.py_value only gets the scalar answers the templates pass",
    "cannot be imported relatively from": "wiring.context.package_import only gets paths from LAYOUTS",
    "no rule for a missing default of": "required.lacks_default is only called from copier.yml, with fixed keys",
    # Raised inside the models.dev fetch and never shown: the caller reports "timed out after … s" instead
    # (the first is turned into that reason, the second is raised in the worker after the caller gave up).
    "deadline reached": "models_dev._remaining: an internal signal, reported as 'timed out after … s'",
    "abandoned after the deadline": "models_dev: raised in the worker thread after the caller stopped waiting",
}


# ── The page ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Entry:
    fragments: tuple[str, ...]
    copier: bool  # quotes Copier's own message
    row: str


def readme_entries(readme: str) -> list[Entry]:
    """The section's table rows (header and separator rows skipped), in order."""
    assert readme.count(START) == 1 and readme.count(END) == 1, (
        f"docs/troubleshooting.md needs one {START} ... {END} section"
    )
    section = readme.split(START, 1)[1].split(END, 1)[0]
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    entries = []
    for index, row in enumerate(rows):
        if _is_separator(row) or (index + 1 < len(rows) and _is_separator(rows[index + 1])):
            continue
        first = row.strip("|").split("|", 1)[0].strip()
        entries.append(Entry(tuple(re.findall(r"`([^`]+)`", first)), first.startswith(COPIER), row))
    return entries


def _is_separator(row: str) -> bool:
    return set(row) <= set("|-: ")


# ── Text of the code ──────────────────────────────────────────────────────────


def render(node: ast.AST) -> str:
    """A string constant's value; an f-string's constant parts with ``…`` for each ``{...}``."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values)
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def parse_folder(folder: Path) -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in sorted(folder.rglob("*.py"))
    }


def literal_texts(trees: Iterable[ast.Module]) -> list[str]:
    """The text of every string literal but docstrings (and other bare string statements)."""
    texts = []
    for tree in trees:
        bare = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        texts += [
            render(n) for n in ast.walk(tree) if isinstance(n, (ast.Constant, ast.JoinedStr)) and id(n) not in bare
        ]
    return [text for text in texts if text]


# ── Message sites ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Site:
    where: str  # "extensions/…/file.py:123"
    text: str


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _literals(node: ast.AST) -> list[str]:
    """Texts of the string literals in ``node``, not looking inside calls or ``{...}``."""
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return [render(node)] if render(node) else []
    if isinstance(node, (ast.Call, ast.Lambda)):
        return []
    return [text for child in ast.iter_child_nodes(node) for text in _literals(child)]


class _Collector:
    def __init__(self, trees: dict[Path, ast.Module], root: Path) -> None:
        self.trees, self.root = trees, root
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.enclosing: dict[int, ast.AST] = {}  # id(node) -> its innermost function
        self.where: dict[int, Path] = {}  # id(node) -> its file
        classes: dict[str, list[str]] = {}
        self.templates: dict[str, list[str]] = {}  # class -> literals of its super().__init__(...) message
        for path, tree in trees.items():
            for node in ast.walk(tree):
                self.where[id(node)] = path
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append(node)
                    for inner in ast.walk(node):
                        self.enclosing[id(inner)] = node  # ast.walk is outer-first: inner functions win
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = [base.id if isinstance(base, ast.Name) else "" for base in node.bases]
                    template = [
                        text
                        for call in ast.walk(node)
                        if isinstance(call, ast.Call)
                        and _called(call) == "__init__"
                        and isinstance(call.func, ast.Attribute)
                        and isinstance(call.func.value, ast.Call)
                        and _called(call.func.value) == "super"
                        for arg in call.args
                        for text in _literals(arg)
                    ]
                    if template:
                        self.templates[node.name] = template
        self.exceptions = {name for name in classes if self._derives(name, classes, set())}

    def _derives(self, name: str, classes: dict[str, list[str]], seen: set[str]) -> bool:
        if name.endswith(("Error", "Exception")):
            return True
        seen.add(name)
        return any(base not in seen and self._derives(base, classes, seen) for base in classes.get(name, []))

    def is_exception(self, name: str) -> bool:
        return name.endswith(("Error", "Exception")) or name in self.exceptions

    def messages(self, node: ast.AST, function: ast.AST | None, seen: frozenset[str] = frozenset()) -> Iterator[Site]:
        """The sites ``node`` (a message expression in ``function``) stands for."""
        if isinstance(node, ast.IfExp):
            yield from self.messages(node.body, function, seen)
            yield from self.messages(node.orelse, function, seen)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                yield from self.messages(value, function, seen)
        elif isinstance(node, ast.Name) and function is not None:
            for value in self._assigned(function, node.id):
                yield from self.messages(value, function, seen)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions:
            if node.func.id not in seen:
                for helper in self.functions[node.func.id]:
                    for value in self._returned(helper):
                        yield from self.messages(value, helper, seen | {node.func.id})
        else:
            yield self._site(node, _literals(node))

    def _site(self, node: ast.AST, texts: list[str]) -> Site:
        path = self.where[id(node)].relative_to(self.root).as_posix()
        return Site(f"{path}:{node.lineno}", "\n".join(texts))

    @staticmethod
    def _assigned(function: ast.AST, name: str) -> Iterator[ast.expr]:
        """The values assigned to the local ``name`` in ``function`` (``=``, ``x: T =``, ``:=``)."""
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                targets = [node.target]
            else:
                continue
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                yield node.value

    def _returned(self, function: ast.AST) -> Iterator[ast.expr]:
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and node.value is not None and self.enclosing.get(id(node)) is function:
                yield node.value

    def sites(self) -> list[Site]:
        found: dict[str, Site] = {}
        for tree in self.trees.values():
            for node in ast.walk(tree):
                function = self.enclosing.get(id(node))
                if isinstance(node, ast.Call) and self.is_exception(_called(node)):
                    arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
                    if _called(node) in self.templates:
                        texts = self.templates[_called(node)] + [t for arg in arguments for t in _literals(arg)]
                        sites = [self._site(node, texts)]
                    else:
                        sites = [site for arg in arguments for site in self.messages(arg, function)]
                elif isinstance(node, ast.Call) and node.args and _called(node) in ("print", "_warn"):
                    is_warning = _called(node) == "_warn" or any(k.arg == "file" for k in node.keywords)
                    sites = list(self.messages(node.args[0], function)) if is_warning else []
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    node.name == "problem" or node.name.endswith("_problem")
                ):
                    sites = [site for value in self._returned(node) for site in self.messages(value, node)]
                else:
                    continue
                for site in sites:
                    if re.search(r"[^\W\d_]", site.text.replace(PLACEHOLDER, "")):
                        found.setdefault(f"{site.where}\n{site.text}", site)
        return list(found.values())


def our_code() -> dict[Path, ast.Module]:
    """The template's own code: extensions/ and dev.py."""
    return {**parse_folder(EXTENSIONS), DEV_PY: ast.parse(DEV_PY.read_text(encoding="utf-8"), filename=str(DEV_PY))}


def message_sites(trees: dict[Path, ast.Module] | None = None, root: Path = ROOT) -> list[Site]:
    return _Collector(our_code() if trees is None else trees, root).sites()


# ── The two checks ────────────────────────────────────────────────────────────


def stale_fragments(entries: list[Entry], ours: list[str], copiers: list[str]) -> list[str]:
    """Fragments that occur in no string literal of the code they quote."""
    stale = []
    for entry in entries:
        texts = copiers if entry.copier else ours
        stale += [f"`{f}` in: {entry.row}" for f in entry.fragments if not any(f in text for text in texts)]
    return stale


def uncovered_sites(entries: list[Entry], sites: list[Site]) -> list[Site]:
    """Sites no entry's fragment (nor an exemption) occurs in."""
    fragments = [f for entry in entries if not entry.copier for f in entry.fragments] + list(EXEMPT)
    return [site for site in sites if not any(f in site.text for f in fragments)]


def copier_literals() -> list[str]:
    spec = importlib.util.find_spec("copier")
    assert spec is not None and spec.origin is not None, "Copier is not installed here"
    return literal_texts(parse_folder(Path(spec.origin).parent).values())


def _entries() -> list[Entry]:
    return readme_entries(PAGE.read_text(encoding="utf-8"))


# ── Tests ─────────────────────────────────────────────────────────────────────


def test_every_entry_quotes_a_fragment():
    entries = _entries()
    assert len(entries) > 50
    assert [entry.row for entry in entries if not entry.fragments] == []


def test_every_fragment_still_occurs_in_the_code():
    ours = literal_texts(our_code().values())
    stale = stale_fragments(_entries(), ours, copier_literals())
    assert stale == [], "docs/troubleshooting.md quotes text the code no longer has:\n" + "\n".join(stale)


def test_every_message_has_an_entry():
    missing = uncovered_sites(_entries(), message_sites())
    assert missing == [], "messages without an entry in docs/troubleshooting.md (add a row, quote a stable part):\n" + (
        "\n".join(f"{site.where}: {site.text!r}" for site in missing)
    )


def test_every_exemption_is_still_needed():
    """An exemption must still match a site and no entry's fragment may cover that site (then it is documented)."""
    sites = message_sites()
    fragments = [f for entry in _entries() for f in entry.fragments]
    for exempt in EXEMPT:
        matching = [site for site in sites if exempt in site.text]
        assert matching, f"exemption {exempt!r} matches no message any more: remove it"
        assert not any(f in site.text for site in matching for f in fragments), f"{exempt!r} has an entry now"


def test_the_sites_are_the_ones_the_docstring_names():
    """A sample of known sites, one per kind, so a collector that finds nothing cannot pass."""
    texts = {site.text for site in message_sites()}
    for expected in (
        "…: could not find …. …",  # AnchorNotFound's template (first line of its sites)
        "timed out after … s",  # FetchError(_timed_out(...)): followed into the helper
        "…: read-only, but the wiring must edit",  # a *_problem return through a local name
        "models.dev unreachable (…); using …",  # _warn(...)
        "Nothing was changed.",  # print(..., file=sys.stderr)
        "provider.id is missing",  # a detail *_problem reached through `a or b`
        "… does not contain …",  # Marker.problem
    ):
        assert any(text.startswith(expected) or expected in text for text in texts), expected


def test_a_new_message_or_a_stale_entry_fails(tmp_path):
    """The checks catch what they are for: a message with no entry, and an entry the code lost."""
    package = tmp_path / "extensions"
    package.mkdir()
    (package / "new.py").write_text(
        "class WiringError(Exception):\n"
        "    pass\n"
        "def step(path):\n"
        "    raise WiringError(f'{path}: a brand new refusal')\n"
        "def colour_problem(value):\n"
        "    message = f'{value!r} is a brand new problem' if value else ''\n"
        "    return message\n"
        "def quiet(error):\n"
        "    raise WiringError(str(error))\n",
        encoding="utf-8",
    )
    sites = message_sites(parse_folder(package), tmp_path)
    assert {site.text for site in uncovered_sites(_entries(), sites)} == {
        "…: a brand new refusal",
        "… is a brand new problem",
    }
    row = "| `no message says this` | | |"
    stale = _entries() + [Entry(("no message says this",), False, row)]
    ours = literal_texts(our_code().values())
    assert stale_fragments(stale, ours, copier_literals()) == [f"`no message says this` in: {row}"]

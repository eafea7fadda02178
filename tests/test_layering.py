"""The modules of extensions/ import bottom-up (docs/repository.md), and copier.yml does not restate a rule
the code owns (extensions/scaffolding/names.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

EXTENSIONS = Path(__file__).resolve().parent.parent / "extensions"
PACKAGE = EXTENSIONS / "scaffolding"

#: Layer of each module, lowest first; a module may import only from its own layer or lower ones.
LAYERS = {
    # 0: pure validators, shared names and the models.dev catalogue: no checkout.
    "names": 0,
    "validators": 0,
    "pyliteral": 0,
    "fileio": 0,
    "user_cache": 0,
    "module_cache": 0,
    "replay": 0,
    "extra_answers": 0,
    "capabilities": 0,
    "models_dev": 0,
    "facts": 0,
    "catalogue_facts": 0,
    "required": 0,
    "sdks": 0,
    # 1: the checkout: layouts, what it already has, text edits, all-or-nothing writes.
    "layouts": 1,
    "inventory": 1,
    "edits": 1,
    "transaction": 1,
    # 2: the wiring steps and their runner.
    "wiring": 2,
    # 3: the questionnaire: checkout-aware validators, the one dry run, the --pretend preview.
    "dry_run": 3,
    "questionnaire": 3,
    "preview": 3,
}
#: The modules beside the package (the Jinja glue, the task): they sit on top.
GLUE = {"jinja_globals", "wire_checkout", "migrate_answers"}


def module_name(path: Path) -> str:
    """``wiring/runner.py`` -> ``wiring.runner``; a package's ``__init__.py`` -> its name ("" for the top)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The package's modules ``path`` imports (at any depth of the file, also inside functions)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            module = [*base, *(node.module.split(".") if node.module else [])]
            # `from . import x` and `from .wiring import runner` may name modules: keep those that exist.
            for alias in node.names:
                candidate = ".".join([*module, alias.name])
                if (PACKAGE / f"{candidate.replace('.', '/')}.py").is_file():
                    found.add(candidate)
            if module:
                found.add(".".join(module))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            text = node.module if isinstance(node, ast.ImportFrom) else None
            for target in [text] if text else [alias.name for alias in node.names]:
                if target and target.split(".")[0] == "scaffolding":
                    found.add(".".join(target.split(".")[1:]))
    return {module for module in found if module and module != name}


def import_graph() -> dict[str, set[str]]:
    return {module_name(path): imported_modules(path) for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as a list of modules (first == last), or []."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == "open":
                return [*path[path.index(other) :], other]
            if other not in state and (cycle := visit(other)):
                return cycle
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_every_module_has_a_layer():
    unplaced = sorted(module for module in import_graph() if module and module.split(".")[0] not in LAYERS)
    assert unplaced == [], "give each new module a layer in LAYERS (and docs/repository.md)"


def test_the_import_graph_has_no_cycle():
    assert find_cycle(import_graph()) == []


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{module} (layer {layer(module)}) imports {other} (layer {layer(other)})"
        for module, imports in import_graph().items()
        if module
        for other in sorted(imports)
        if layer(other) > layer(module)
    ]
    assert upward == []


def test_the_package_never_imports_the_glue_beside_it():
    glue = [
        f"{module} imports {name}"
        for path in PACKAGE.rglob("*.py")
        for module in [module_name(path)]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module else [a.name for a in node.names]
        )
        if name in GLUE
    ]
    assert glue == []


def test_the_checks_find_a_cycle_and_an_upward_import():
    """The two checks can fail: a made-up graph with a cycle, and a lower module importing a higher one."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
    assert layer("wiring.runner") > layer("edits")


def test_the_repository_page_shows_every_layer_module():
    page = (EXTENSIONS.parent / "docs" / "repository.md").read_text(encoding="utf-8")
    missing = [module for module in LAYERS if not re.search(rf"\b{module}(\.py|/)", page)]
    assert missing == []


# ── Each rule stated once: copier.yml uses the code's, it does not restate it ──

COPIER_YML = (EXTENSIONS.parent / "copier.yml").read_text(encoding="utf-8")

#: A rule the code owns (scaffolding/names.py) -> how copier.yml would restate it.
RESTATED = {
    "has_api_key": r"auth\s*[!=]=\s*['\"]endpoint['\"]",
    "class_prefix_for": r"capitalize",
    "answers_file_for": r"\.copier-answers\.\{\{",
}


@pytest.mark.parametrize("rule", sorted(RESTATED))
def test_copier_yml_does_not_restate_a_rule_of_the_code(rule):
    restated = [line.strip() for line in COPIER_YML.splitlines() if re.search(RESTATED[rule], line)]
    if rule == "answers_file_for":  # Copier's own setting is the one place it must be spelled out
        restated = [line for line in restated if not line.startswith("_answers_file:")]
    assert restated == [], f"use the code's rule ({rule}) instead"


#: The templates and their partials: they take these rules from partials/flags.jinja, which uses the code's.
TEMPLATE_FILES = sorted(
    path for folder in ("template", "partials") for path in (EXTENSIONS.parent / folder).rglob("*.jinja")
)


@pytest.mark.parametrize("rule", ["has_api_key", "class_prefix_for"])
def test_no_template_restates_a_rule_of_the_code(rule):
    restated = [
        f"{path.relative_to(EXTENSIONS.parent)}: {line.strip()}"
        for path in TEMPLATE_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(RESTATED[rule], line)
    ]
    assert TEMPLATE_FILES
    assert restated == [], f"use the code's rule ({rule}) through partials/flags.jinja"


def test_the_restatement_patterns_match_what_they_stand_for():
    assert re.search(RESTATED["has_api_key"], "when: \"{{ auth != 'endpoint' }}\"")
    assert re.search(RESTATED["has_api_key"], '{% if auth == "endpoint" %}')

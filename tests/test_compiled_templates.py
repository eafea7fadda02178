"""Compiled templates are reused across Copier's fresh clones of the template, never across sources
or syntaxes (extensions/jinja_globals.py: CompiledTemplates)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from jinja_globals import CompiledTemplates


def _environment(folder: Path, source: str, cache: Path, **options) -> Environment:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "driver.py.jinja").write_text(source, encoding="utf-8")
    cache.mkdir(exist_ok=True)
    environment = Environment(loader=FileSystemLoader(str(folder)), **options)
    environment.bytecode_cache = CompiledTemplates(str(cache), environment)
    return environment


def _cached_code(environment: Environment, source: str) -> object:
    """The code the cache holds for ``driver.py.jinja`` with ``source`` (None when it holds none)."""
    bucket = environment.bytecode_cache.get_bucket(environment, "driver.py.jinja", None, source)
    return bucket.code


def test_a_fresh_clone_of_the_same_template_finds_the_compiled_code(tmp_path):
    source = "class {{ name }}Driver: ...\n"
    first = _environment(tmp_path / "clone-1", source, tmp_path / "cache")
    assert _cached_code(first, source) is None
    assert first.get_template("driver.py.jinja").render(name="Acme") == "class AcmeDriver: ..."
    second = _environment(tmp_path / "clone-2", source, tmp_path / "cache")
    assert _cached_code(second, source) is not None
    assert second.get_template("driver.py.jinja").render(name="Acme") == "class AcmeDriver: ..."


def test_a_changed_source_or_syntax_is_compiled_again(tmp_path):
    source = "[[ name ]] {{ name }}"
    _environment(tmp_path / "clone-1", source, tmp_path / "cache").get_template("driver.py.jinja").render(name="x")
    changed = _environment(tmp_path / "clone-2", source + "!", tmp_path / "cache")
    assert _cached_code(changed, source + "!") is None
    other_syntax = _environment(
        tmp_path / "clone-3", source, tmp_path / "cache", variable_start_string="[[", variable_end_string="]]"
    )
    assert _cached_code(other_syntax, source) is None
    assert other_syntax.get_template("driver.py.jinja").render(name="x") == "x {{ name }}"

"""Compiled templates are reused across Copier's fresh clones of the template, never across sources
or syntaxes (extensions/jinja_globals.py: CompiledTemplates); so are copier.yml's strings, which
Copier compiles with ``from_string`` (``_compile_each_string_once``)."""

from __future__ import annotations

from pathlib import Path

import jinja_globals
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


def _string_environment(cache: Path, compiled: list[str], **options) -> Environment:
    """An environment whose ``from_string`` is the template's, noting each source it compiles in ``compiled``."""
    environment = _environment(cache.parent / "clone", "", cache, **options)
    real_compile = environment.compile
    environment.compile = lambda source, *args: compiled.append(source) or real_compile(source, *args)
    jinja_globals._compile_each_string_once(environment)
    return environment


def test_copier_yml_strings_compile_once_per_syntax_and_are_kept_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(jinja_globals, "_COMPILED_STRINGS", {})
    source = "{{ provider | upper }}_API_KEY"
    compiled: list[str] = []
    first = _string_environment(tmp_path / "cache", compiled)
    assert first.from_string(source).render(provider="acme") == "ACME_API_KEY"
    assert first.from_string(source).render(provider="nimbus") == "NIMBUS_API_KEY"
    assert compiled == [source]  # the second render reused the code
    # Another process (an empty memo) finds the code in the user's cache.
    monkeypatch.setattr(jinja_globals, "_COMPILED_STRINGS", {})
    second = _string_environment(tmp_path / "cache", compiled)
    assert second.from_string(source).render(provider="basalt") == "BASALT_API_KEY"
    assert compiled == [source]
    # Another syntax compiles the same text to other code.
    other = _string_environment(tmp_path / "cache", compiled, variable_start_string="[[", variable_end_string="]]")
    assert other.from_string(source).render(provider="acme") == source
    assert compiled == [source, source]

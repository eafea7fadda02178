"""The capability rule of the questionnaire (extensions/scaffolding/capabilities.py) and its wiring into copier.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from scaffolding import capabilities
from scaffolding.capabilities import FLAGS, STYLE_CAPABILITIES, STYLES, capability_problem

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = yaml.safe_load((ROOT / "copier.yml").read_text())


def test_the_styles_are_the_questionnaire_choices():
    assert sorted(QUESTIONS["api_style"]["choices"].values()) == sorted(STYLES)


def test_every_capability_question_is_validated_with_the_rule():
    flags = [key for key in QUESTIONS if key.startswith("supports_")]
    assert sorted(flags) == sorted(FLAGS)
    for flag in flags:
        assert f"capability_problem('{flag}', api_style" in QUESTIONS[flag]["validator"], flag


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("flag", FLAGS)
def test_every_style_renders_every_capability(style, flag):
    assert flag in STYLE_CAPABILITIES[style]
    assert capability_problem(True, flag, style, {"supports_messages": True}) == ""


def test_no_is_always_accepted():
    for flag in FLAGS:
        assert capability_problem(False, flag, "http", {"supports_messages": False}) == ""


def test_vision_needs_messages():
    problem = capability_problem(True, "supports_vision", "openai_compatible", {"supports_messages": False})
    assert "supports_vision needs supports_messages" in problem
    assert "[image]" in problem
    assert capability_problem(True, "supports_vision", "openai_compatible", {"supports_messages": True}) == ""


def test_a_style_without_a_flag_is_refused(monkeypatch):
    monkeypatch.setitem(capabilities.STYLE_CAPABILITIES, "http", frozenset(FLAGS) - {"supports_streaming"})
    problem = capability_problem(True, "supports_streaming", "http", {"supports_messages": True})
    assert problem == "The http API style cannot render supports_streaming: answer no."


def test_the_rendered_tests_never_overwrite_a_file(tmp_path):
    assert capabilities.tests_problem(True, "acme", tmp_path) == ""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_acme_driver.py").write_text("# the user's own\n")
    assert "tests/test_acme_driver.py already exists" in capabilities.tests_problem(True, "acme", tmp_path)
    assert capabilities.tests_problem(False, "acme", tmp_path) == ""
    (tmp_path / ".copier-answers.acme.yml").write_text("provider: acme\n")
    assert capabilities.tests_problem(True, "acme", tmp_path) == ""  # our own earlier render: an update may rewrite it

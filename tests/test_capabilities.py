"""The capability rule of the questionnaire (extensions/scaffolding/capabilities.py) and its wiring into copier.yml."""

from __future__ import annotations

from pathlib import Path

import yaml
from scaffolding import questionnaire
from scaffolding.capabilities import FLAGS, REQUIRES, capability_problem
from scaffolding.names import API_STYLES

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = yaml.safe_load((ROOT / "copier.yml").read_text())


def test_the_styles_are_the_questionnaire_choices():
    assert sorted(QUESTIONS["api_style"]["choices"].values()) == sorted(API_STYLES)


def test_every_capability_question_is_validated_with_the_rule():
    flags = [key for key in QUESTIONS if key.startswith("supports_")]
    assert sorted(flags) == sorted(FLAGS)
    for flag in flags:
        assert f"capability_problem('{flag}', " in QUESTIONS[flag]["validator"], flag


def test_no_is_always_accepted():
    for flag in FLAGS:
        assert capability_problem(False, flag, {"supports_messages": False}) == ""


def test_a_flag_without_a_rule_is_accepted_whatever_else_is_answered():
    for flag in set(FLAGS) - set(REQUIRES):
        assert capability_problem(True, flag, {"supports_messages": False}) == "", flag


def test_vision_needs_messages():
    problem = capability_problem(True, "supports_vision", {"supports_messages": False})
    assert "supports_vision needs supports_messages" in problem
    assert "[image]" in problem
    assert capability_problem(True, "supports_vision", {"supports_messages": True}) == ""


def test_the_rendered_tests_never_overwrite_a_file(tmp_path):
    assert questionnaire.tests_problem(True, "acme", tmp_path) == ""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_acme_driver.py").write_text("# the user's own\n")
    assert "tests/test_acme_driver.py already exists" in questionnaire.tests_problem(True, "acme", tmp_path)
    assert questionnaire.tests_problem(False, "acme", tmp_path) == ""
    (tmp_path / ".copier-answers.acme.yml").write_text("provider: acme\n")
    assert questionnaire.tests_problem(True, "acme", tmp_path) == ""  # our own earlier render: an update may rewrite it

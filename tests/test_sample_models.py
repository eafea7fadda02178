"""sample_models: the real model the rendered tests use for each trait, from the recorded facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scaffolding.facts import default_model, provider_facts
from scaffolding.sample_models import sample_models

CATALOGUE = json.loads((Path(__file__).parent / "fixtures" / "models-dev.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (
            "acme-ai",
            {
                "chat": "acme-chat-1",
                "other": "acme-chat-0",
                "reasoning": "acme-think-1",
                "no_temperature": "acme-think-1",
                "structured_output": "acme-chat-1",
                "no_structured_output": "acme-think-1",
                "vision": "acme-vision-1",
            },
        ),
        (
            "basalt",  # the default is a reasoning model with structured output and a '/' in its id
            {
                "chat": "basalt-labs/reason-2",
                "other": "basalt-think-1",
                "reasoning": "basalt-labs/reason-2",
                "no_temperature": "basalt-think-1",
                "structured_output": "basalt-labs/reason-2",
                "no_structured_output": "basalt-think-1",
                "vision": "basalt-vision-1",
            },
        ),
    ],
)
def test_each_trait_gets_a_recorded_model_that_has_it(provider, expected):
    facts = provider_facts(CATALOGUE, provider)
    assert sample_models(facts, default_model(facts)) == expected


def test_a_trait_no_model_has_is_left_out():
    facts = {"models": {"m-1": {"temperature": True, "structured_output": False}}}
    assert sample_models(facts, "m-1") == {"chat": "m-1", "no_structured_output": "m-1"}


def test_structured_output_prefers_a_model_marked_true_then_one_not_ruled_out_the_default_first():
    structured = {"structured_output": True}
    models = {"a": {"structured_output": False}, "b": {}, "c": structured, "d": structured}
    assert sample_models({"models": models}, "d")["structured_output"] == "d"
    assert sample_models({"models": models}, "b")["structured_output"] == "c"
    del models["c"], models["d"]
    assert sample_models({"models": models}, "a")["structured_output"] == "b"


def test_vision_prefers_a_model_other_than_the_default():
    image = {"modalities": {"input": ["text", "image"]}}
    assert sample_models({"models": {"a": image, "b": image}}, "a")["vision"] == "b"
    assert sample_models({"models": {"a": image, "b": {}}}, "a")["vision"] == "a"


def test_without_facts_the_default_model_answer_is_used():
    assert sample_models({}, "acme-1") == {"chat": "acme-1", "structured_output": "acme-1"}

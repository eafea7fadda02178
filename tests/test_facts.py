"""The facts taken from models.dev, the defaults derived from them, and Prompture's rate file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from scaffolding import facts
from scaffolding.facts import FactsError
from support.prompture_runtime import checkout_env, run_python, runtime_python
from support.sdists import extract_checkout

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
PROMPTURE_RATE_KEYS = [
    "supports_temperature",
    "supports_tool_use",
    "supports_structured_output",
    "supports_vision",
    "is_reasoning",
    "context_window",
    "max_output_tokens",
    "modalities_input",
    "modalities_output",
    "api_type",
    "tokens_param",
]


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def acme(catalogue) -> dict:
    return facts.provider_facts(catalogue, "acme-ai")


@pytest.fixture(scope="module")
def nimbus(catalogue) -> dict:
    return facts.provider_facts(catalogue, "nimbus")


# ── provider_facts ───────────────────────────────────────────────────────────


def test_provider_facts_keep_only_the_provider_fields_the_template_uses(acme, nimbus):
    assert acme["provider"] == {
        "id": "acme-ai",
        "name": "Acme AI",
        "env": ["ACME_API_KEY"],
        "api": "https://api.acme.example/v1",
        "doc": "https://docs.acme.example/models",
        "npm": "@ai-sdk/openai-compatible",
    }
    assert "api" not in nimbus["provider"]


def test_model_facts_are_the_documented_subset(acme):
    assert acme["models"]["acme-chat-1"] == {
        "name": "Acme Chat 1",
        "reasoning": False,
        "tool_call": True,
        "structured_output": True,
        "attachment": False,
        "temperature": True,
        "modalities": {"input": ["text"], "output": ["text"]},
        "limit": {"context": 131072, "output": 8192},
        "cost": {"input": 0.5, "output": 1.5, "cache_read": 0.05},
        "release_date": "2025-10-01",
    }


def test_odd_values_are_converted_or_dropped(acme, nimbus):
    think = acme["models"]["acme-think-1"]
    assert think["cost"] == {"input": 2.0, "output": 8.0}  # "2.00" parsed, 8 made a float, "n/a" dropped
    assert think["limit"] == {"context": 200000, "output": 32768}  # "200000" parsed
    assert "interleaved" not in think and "family" not in think
    assert "structured_output" not in acme["models"]["acme-chat-0"]  # "sometimes" is not a bool
    assert acme["models"]["acme-chat-0"]["status"] == "deprecated"
    assert "cost" not in nimbus["models"]["nimbus-large"]


def test_models_are_sorted_by_id(acme):
    assert list(acme["models"]) == ["acme-chat-0", "acme-chat-1", "acme-think-1", "acme-vision-1"]


def test_facts_survive_a_json_round_trip_and_pass_their_own_check(catalogue):
    for provider_id in catalogue:
        provider = facts.provider_facts(catalogue, provider_id)
        assert json.loads(json.dumps(provider, allow_nan=False)) == provider
        assert facts.facts_problem(provider) == ""


def test_an_empty_id_gives_empty_facts(catalogue):
    assert facts.provider_facts(catalogue, "") == {}


def test_an_unknown_id_names_it_and_suggests_close_matches(catalogue):
    with pytest.raises(FactsError) as raised:
        facts.provider_facts(catalogue, "acme")
    message = str(raised.value)
    assert '"acme"' in message
    assert "Close matches: acme-ai." in message
    assert "leave models_dev_provider empty" in message


def test_at_most_five_close_matches_are_offered():
    catalogue = {f"acme-{n}": {"models": {}} for n in range(9)}
    with pytest.raises(FactsError) as raised:
        facts.provider_facts(catalogue, "acme")
    listed = str(raised.value).split("Close matches: ", 1)[1].split(".", 1)[0].split(", ")
    assert len(listed) == 5 and all(name.startswith("acme-") for name in listed)


def test_an_unknown_id_with_nothing_close_has_no_suggestion(catalogue):
    with pytest.raises(FactsError, match="leave models_dev_provider empty") as raised:
        facts.provider_facts(catalogue, "zzzzzz")
    assert "Close matches" not in str(raised.value)


# ── guess_provider_id ────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("provider", "expected"),
    [("moonshotai", "moonshotai"), ("nimbus", "nimbus"), ("acme_ai", "acme-ai"), ("moonshot", ""), ("", "")],
)
def test_guess_provider_id_wants_an_exact_match(catalogue, provider, expected):
    assert facts.guess_provider_id(catalogue, provider) == expected


def test_guess_provider_id_without_a_catalogue_is_empty():
    assert facts.guess_provider_id(None, "nimbus") == ""


# ── facts_problem ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "acme-ai",
        {"provider": {"id": "x"}},
        {"models": {}},
        {"provider": {"id": "x"}, "models": {}, "extra": 1},
        {"provider": {"id": ""}, "models": {}},
        {"provider": {"id": "x", "env": "X_API_KEY"}, "models": {}},
        {"provider": {"id": "x", "colour": "red"}, "models": {}},
        {"provider": {"id": "x"}, "models": {"m": {"tool_call": "yes"}}},
        {"provider": {"id": "x"}, "models": {"m": {"cost": {"input": -1}}}},
        {"provider": {"id": "x"}, "models": {"m": {"cost": {"input": True}}}},
        {"provider": {"id": "x"}, "models": {"m": {"limit": {"context": 1.5}}}},
        {"provider": {"id": "x"}, "models": {"m": {"modalities": {"input": "text"}}}},
        {"provider": {"id": "x"}, "models": {"m": {"modalities": {"sideways": ["text"]}}}},
        {"provider": {"id": "x"}, "models": {"m": {"family": "y"}}},
        {"provider": {"id": "x"}, "models": {"m": []}},
    ],
)
def test_facts_problem_reports_malformed_facts_in_one_line(bad):
    problem = facts.facts_problem(bad)
    assert problem and "\n" not in problem


def test_facts_problem_accepts_empty_facts_and_minimal_facts():
    assert facts.facts_problem({}) == ""
    assert facts.facts_problem({"provider": {"id": "x"}, "models": {}}) == ""


# ── Defaults ─────────────────────────────────────────────────────────────────


def provider_only(**fields) -> dict:
    return {"provider": {"id": "p", **fields}, "models": {}}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "openai_compatible"),
        (provider_only(npm="@ai-sdk/openai-compatible"), "openai_compatible"),
        (provider_only(npm="@openrouter/ai-sdk-provider", api="https://openrouter.ai/api/v1"), "openai_compatible"),
        (provider_only(npm="@ai-sdk/anthropic", api="https://api.minimax.io/anthropic/v1"), "anthropic_compatible"),
        (provider_only(npm="@ai-sdk/anthropic"), "custom_sdk"),
        (provider_only(npm="@nimbus/sdk"), "custom_sdk"),
    ],
)
def test_default_api_style(given, expected):
    assert facts.default_api_style(given) == expected


def test_default_api_style_from_the_fixture(acme, nimbus):
    assert facts.default_api_style(acme) == "openai_compatible"
    assert facts.default_api_style(nimbus) == "custom_sdk"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "api_key"),
        (provider_only(api="https://api.acme.example/v1", env=["ACME_API_KEY"]), "api_key"),
        (provider_only(api="http://127.0.0.1:1234/v1", env=["LMSTUDIO_API_KEY"]), "endpoint"),
        (provider_only(api="https://${DATABRICKS_HOST}/v1", env=["DATABRICKS_TOKEN"]), "api_key_and_endpoint"),
        (provider_only(env=["NEON_TOKEN", "NEON_BASE_URL"]), "api_key_and_endpoint"),
    ],
)
def test_default_auth(given, expected):
    assert facts.default_auth(given) == expected


@pytest.mark.parametrize(
    ("env", "provider", "expected"),
    [
        (["ACME_API_KEY"], "acme", "ACME_API_KEY"),
        (["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_KEY"], "cf", "CLOUDFLARE_API_KEY"),
        (["DATABRICKS_HOST", "DATABRICKS_TOKEN"], "databricks", "DATABRICKS_TOKEN"),
        (["SOME_ACCOUNT"], "some", "SOME_ACCOUNT"),
        (["302AI_API_KEY"], "ai302", "AI302_API_KEY"),
        (None, "my_prov", "MY_PROV_API_KEY"),
        (None, "", "PROVIDER_API_KEY"),
    ],
)
def test_default_api_key_env(env, provider, expected):
    given = provider_only(env=env) if env else {}
    assert facts.default_api_key_env(given, provider) == expected


def test_default_api_key_env_from_the_fixture(acme, nimbus):
    assert facts.default_api_key_env(acme, "acme") == "ACME_API_KEY"
    assert facts.default_api_key_env(nimbus, "nimbus") == "NIMBUS_TOKEN"


def test_default_endpoint(acme, nimbus):
    assert facts.default_endpoint(acme) == "https://api.acme.example/v1"
    # No `api` on models.dev: no default at all (the question is asked), never a placeholder URL.
    assert facts.default_endpoint(nimbus) == ""
    assert facts.default_endpoint({}) == ""
    assert facts.default_endpoint(provider_only(api="/chat/completions")) == ""
    # ${VAR} parts are kept: the driver fills them in from the environment.
    host_var = provider_only(api="https://${DATABRICKS_HOST}/ai-gateway/v1/chat/completions")
    assert facts.default_endpoint(host_var) == "https://${DATABRICKS_HOST}/ai-gateway/v1"
    # ...unless the endpoint question would refuse them: malformed, or the provider's own key variable.
    assert facts.default_endpoint(provider_only(api="https://api.acme.example/${acme id}/v1")) == ""
    key_in_url = provider_only(api="https://api.acme.example/${ACME_API_KEY}/v1")
    assert facts.default_endpoint(key_in_url) == "https://api.acme.example/${ACME_API_KEY}/v1"
    assert facts.default_endpoint(key_in_url, "acme", "ACME_API_KEY") == ""
    chat_url = provider_only(api="https://api.tbox.cn/api/llm/v1/chat/completions")
    assert facts.default_endpoint(chat_url) == "https://api.tbox.cn/api/llm/v1"


def test_default_model_skips_deprecated_and_breaks_date_ties_by_id(acme):
    # acme-chat-0 is the newest but deprecated; acme-chat-1 and acme-think-1 share a date.
    assert facts.default_model(acme) == "acme-chat-1"


def test_default_model_wants_text_output_and_tool_calls(nimbus):
    # nimbus-draw is newer, but draws images and has no tool calls.
    assert facts.default_model(nimbus) == "nimbus-large"


def test_ranked_models_put_the_default_first_then_the_weaker_tiers(acme, nimbus):
    # acme-chat-0 is deprecated (last tier); acme-chat-1 and acme-think-1 tie on date (id order).
    assert facts.ranked_models(acme)[0] == facts.default_model(acme) == "acme-chat-1"
    assert facts.ranked_models(acme)[-1] == "acme-chat-0"
    assert sorted(facts.ranked_models(acme)) == sorted(acme["models"])
    assert facts.ranked_models(nimbus) == ["nimbus-large", "nimbus-draw"]
    assert facts.ranked_models({}) == []


def test_the_default_model_help_fits_one_line_with_a_count_and_the_best_ids(acme):
    assert facts.default_model_help({}) == "Default model"
    line = facts.default_model_help(acme)
    assert line.startswith("Default model (models.dev lists 4: acme-chat-1, ")
    many = {"provider": {"id": "p"}, "models": {f"m-{n:03}": {} for n in range(120)}}
    line = facts.default_model_help(many)
    assert len(line) <= facts.HELP_WIDTH < 80
    assert line.startswith("Default model (models.dev lists 120: m-000, m-001, ")
    assert line.endswith(" more)")
    shown = line.split(": ", 1)[1].rstrip(")").split(", ")
    assert shown[-1] == f"+{120 - len(shown) + 1} more"
    # An id too long to fit leaves just the count.
    huge = {"provider": {"id": "p"}, "models": {"x" * 90: {}}}
    assert facts.default_model_help(huge) == "Default model (models.dev lists 1)"


def test_key_env_names_are_models_dev_s_env(acme):
    assert facts.key_env_names(acme) == ["ACME_API_KEY"]
    assert facts.key_env_names({}) == []


def test_default_model_picks_the_newest(catalogue):
    assert facts.default_model(facts.provider_facts(catalogue, "moonshotai")) == "kimi-k2.5"


def test_default_model_ranks_undated_models_last_and_relaxes_when_nothing_qualifies():
    undated = {
        "provider": {"id": "p"},
        "models": {"a": {"tool_call": True}, "b": {"tool_call": True, "release_date": "2020-01"}},
    }
    assert facts.default_model(undated) == "b"
    no_tools = {
        "provider": {"id": "p"},
        "models": {"old": {"release_date": "2024-01-01"}, "new": {"status": "deprecated"}},
    }
    assert facts.default_model(no_tools) == "old"


def test_default_model_without_facts_is_empty():
    assert facts.default_model({}) == ""
    assert facts.default_model(provider_only()) == ""


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("acme-chat-1", {"json_mode": True, "json_schema": True, "tool_use": True, "vision": False}),
        ("acme-think-1", {"json_mode": False, "json_schema": False, "tool_use": True, "vision": False}),
        ("acme-vision-1", {"json_mode": True, "json_schema": False, "tool_use": True, "vision": True}),
        ("not-on-models-dev", {"json_mode": True, "json_schema": False, "tool_use": True, "vision": False}),
    ],
)
def test_model_flags(acme, model, expected):
    assert {flag: facts.model_flag(acme, model, flag) for flag in expected} == expected


def test_model_flags_without_facts_and_from_attachment_alone(nimbus):
    assert {flag: facts.model_flag({}, "x", flag) for flag in facts.DRIVER_FLAGS} == {
        "json_mode": True,
        "json_schema": False,
        "tool_use": True,
        "vision": False,
    }
    assert facts.model_flag(nimbus, "nimbus-draw", "tool_use") is False
    attachment_only = {"provider": {"id": "p"}, "models": {"m": {"attachment": True}}}
    assert facts.model_flag(attachment_only, "m", "vision") is True
    files_not_images = {
        "provider": {"id": "p"},
        "models": {"m": {"attachment": True, "modalities": {"input": ["text"]}}},
    }
    assert facts.model_flag(files_not_images, "m", "vision") is False


def test_model_flag_refuses_an_unknown_flag(acme):
    with pytest.raises(ValueError, match="streaming"):
        facts.model_flag(acme, "acme-chat-1", "streaming")


# ── rate_file_text ───────────────────────────────────────────────────────────


def test_rate_file_lists_every_model_with_capabilities_and_no_cost(acme):
    text = facts.rate_file_text(acme, "acme-chat-1", 0.0, 0.0, "openai_compatible")
    rates = json.loads(text)
    assert list(rates) == sorted(acme["models"])
    for entry in rates.values():
        assert list(entry) == PROMPTURE_RATE_KEYS
        assert entry["api_type"] == "openai-compatible" and entry["tokens_param"] == "max_tokens"
    assert "cost" not in text
    assert rates["acme-think-1"] == {
        "supports_temperature": False,
        "supports_tool_use": True,
        "supports_structured_output": False,
        "supports_vision": False,
        "is_reasoning": True,
        "context_window": 200000,
        "max_output_tokens": 32768,
        "modalities_input": ["text"],
        "modalities_output": ["text"],
        "api_type": "openai-compatible",
        "tokens_param": "max_tokens",
    }
    assert rates["acme-vision-1"]["supports_vision"] is True
    assert rates["acme-vision-1"]["supports_structured_output"] is None  # unknown stays unknown


def test_rate_file_text_is_formatted_like_promptures_files(acme):
    text = facts.rate_file_text(acme, "acme-chat-1", 0.0, 0.0, "openai_compatible")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "acme-chat-1": {\n    "supports_temperature": true,\n' in text
    assert '    "modalities_input": ["text", "image"],\n' in text


def test_rate_file_text_does_not_depend_on_the_order_of_the_facts(acme):
    shuffled_ids = list(acme["models"])
    random.Random(4).shuffle(shuffled_ids)
    shuffled = {"models": {m: acme["models"][m] for m in shuffled_ids}, "provider": acme["provider"]}
    assert facts.rate_file_text(shuffled, "acme-chat-1", 0, 0, "openai_compatible") == facts.rate_file_text(
        acme, "acme-chat-1", 0, 0, "openai_compatible"
    )


def test_rate_file_names_the_api_type_after_the_provider_for_other_styles(nimbus):
    rates = json.loads(facts.rate_file_text(nimbus, "nimbus-large", 0, 0, "custom_sdk", provider="nimbus_cloud"))
    assert {entry["api_type"] for entry in rates.values()} == {"nimbus_cloud"}
    rates = json.loads(facts.rate_file_text(nimbus, "nimbus-large", 0, 0, "custom_sdk"))
    assert {entry["api_type"] for entry in rates.values()} == {"nimbus"}


def test_rate_file_adds_a_default_model_models_dev_does_not_list_without_a_price(acme):
    rates = json.loads(facts.rate_file_text(acme, "acme-chat-2-preview", 9.0, 9.0, "openai_compatible"))
    assert "acme-chat-2-preview" in rates
    assert "cost" not in rates["acme-chat-2-preview"]


def test_rate_file_without_facts_prices_the_default_model():
    rates = json.loads(facts.rate_file_text({}, "acme-chat-1", 0.25, 2, "openai_compatible"))
    assert list(rates) == ["acme-chat-1"]
    entry = rates["acme-chat-1"]
    assert list(entry) == [*PROMPTURE_RATE_KEYS, "cost"]
    assert entry["cost"] == {"input": 0.25, "output": 2.0}
    assert isinstance(entry["cost"]["output"], float)
    assert entry["modalities_input"] == ["text"] and entry["modalities_output"] == ["text"]


def test_rate_file_refuses_bad_input(acme):
    with pytest.raises(ValueError):
        facts.rate_file_text({}, "m", -1, 1, "openai_compatible")
    with pytest.raises(ValueError):
        facts.rate_file_text(acme, "acme-chat-1", 0, 0, "grpc")
    with pytest.raises(FactsError):
        facts.rate_file_text({"provider": {}}, "m", 0, 0, "openai_compatible")


@pytest.mark.e2e
def test_prompture_reads_the_rate_file_as_intended(acme, tmp_path):
    """Prompture 1.15.1's own loaders: capabilities from every entry, the price only where we wrote one."""
    rates = tmp_path / "rates"
    rates.mkdir()
    (rates / "acme.json").write_text(facts.rate_file_text(acme, "acme-chat-1", 0, 0, "openai_compatible"))
    (rates / "bolt.json").write_text(facts.rate_file_text({}, "bolt-1", 0.25, 2.0, "openai_compatible"))
    checkout = extract_checkout("1.15.1", tmp_path / "src")
    code = f"""
import json
from pathlib import Path
from prompture.infra import model_rates, pricing
pricing._RATES_DIR = model_rates._RATES_DIR = Path({str(rates)!r})
prices = pricing._load_local_rates_kb()
caps = model_rates._load_capabilities()
think, vision, bolt = caps[("acme", "acme-think-1")], caps[("acme", "acme-vision-1")], caps[("bolt", "bolt-1")]
print(json.dumps({{
    "priced": sorted("/".join(key) for key in prices),
    "bolt_price": prices[("bolt", "bolt-1")].current(),
    "think": [think.supports_temperature, think.is_reasoning, think.context_window],
    "vision_structured": vision.supports_structured_output,
    "bolt_tokens_param": bolt.tokens_param,
}}))
"""
    result = run_python(runtime_python("1.15.1"), checkout, code, checkout_env(checkout, tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["priced"] == ["bolt/bolt-1"]
    assert seen["bolt_price"] == {"input": 0.25, "output": 2.0}
    assert seen["think"] == [False, True, 200000]
    assert seen["vision_structured"] is None
    assert seen["bolt_tokens_param"] == "max_tokens"


def test_provider_flags_say_whether_any_model_has_the_capability(acme, nimbus):
    # acme-chat-1 has structured output, acme-vision-1 images, every acme model tool calls.
    assert {flag: facts.provider_flag(acme, flag) for flag in facts.DRIVER_FLAGS} == {
        "json_mode": True,
        "json_schema": True,
        "tool_use": True,
        "vision": True,
    }
    assert facts.provider_flag(nimbus, "json_schema") is False  # no nimbus model says it has structured output
    assert facts.provider_flag({}, "json_mode") is facts.model_flag({}, "", "json_mode")

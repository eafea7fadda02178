"""Endpoints with ``${NAME}`` parts (filled in by the rendered driver from the environment): the endpoint
question's check, the default from models.dev, and the key-check URL's refusal. The rendered driver
itself is tested end to end in tests/test_endpoint_vars.py."""

from __future__ import annotations

import pytest
from scaffolding import facts
from scaffolding.edits import WiringError
from scaffolding.extra_answers import key_check_url_problem
from scaffolding.validators import endpoint_problem, endpoint_vars
from scaffolding.wiring.answers import Answers

ANSWERS = {
    "provider": "acme",
    "class_prefix": "Acme",
    "display_name": "Acme",
    "api_style": "openai_compatible",
    "auth": "api_key_and_endpoint",
    "default_model": "acme-chat-1",
    "api_key_env": "ACME_API_KEY",
}


@pytest.mark.parametrize(
    "url",
    [
        "https://api.acme.example/client/v4/accounts/${ACME_ACCOUNT_ID}/ai/v1",  # Cloudflare's kind
        "https://${ACME_HOST}/ai-gateway/mlflow/v1",  # Databricks'
        "https://${ACME_ACCOUNT}.acme.example/api/v2/cortex/v1",  # Snowflake's
        "${ACME_GATEWAY_BASE_URL}/ai-gateway/mlflow/v1",  # Neon's: the variable is the scheme and host
        "https://${ACME_REGION}.acme.example/${ACME_PROJECT}/v1",
    ],
)
def test_named_parts_are_accepted(url):
    assert endpoint_problem(url, "acme", "ACME_API_KEY") == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://api.acme.example/${acme_id}/v1", "has ${acme_id}: a ${...} part names the environment variable"),
        ("https://api.acme.example/${}/v1", "has ${}: a ${...} part names"),
        ("https://api.acme.example/${ACME ID}/v1", "has ${ACME ID}: a ${...} part names"),
        ("https://api.acme.example/${1D}/v1", "has ${1D}: a ${...} part names"),
        ("https://api.acme.example/${IF}/v1", "(no Python keyword)"),
        ("https://api.acme.example/${ACME_ID/v1", "has a ${ without its closing }"),
        ("https://api.acme.example/${ACME_API_KEY}/v1", "the API key variable: the key would go into the URL"),
        ("https://api.acme.example/${ACME_MODEL}/v1", "has ${ACME_MODEL}, the variable of the default model."),
        ("https://api.acme.example/${ACME_ENDPOINT}/v1", "has ${ACME_ENDPOINT}, the variable of the endpoint."),
        ("https://api.acme.example:${ACME_PORT}/v1", "is not a usable endpoint"),
        ("ftp://${ACME_HOST}/v1", "is not a usable endpoint"),
        ("https://${ACME_HOST}/v1?key=${ACME_TOKEN}", "has a query or fragment"),
    ],
)
def test_malformed_or_taken_parts_are_refused(url, message):
    assert message in endpoint_problem(url, "acme", "ACME_API_KEY")


def test_endpoint_vars_lists_each_variable_once_in_order():
    assert endpoint_vars("https://${B_HOST}/${A_ID}/x/${B_HOST}") == ["B_HOST", "A_ID"]
    assert endpoint_vars("https://api.acme.example/v1") == []


def test_the_wiring_reads_the_parts_and_rechecks_them():
    url = "https://api.acme.example/accounts/${ACME_ACCOUNT_ID}/v1"
    assert Answers.from_mapping({**ANSWERS, "endpoint": url}).endpoint_vars == ["ACME_ACCOUNT_ID"]
    with pytest.raises(WiringError, match="the API key variable"):
        Answers.from_mapping({**ANSWERS, "endpoint": "https://api.acme.example/${ACME_API_KEY}/v1"})


def test_the_default_keeps_the_parts_of_the_fixture_provider():
    skyforge = {"provider": {"id": "skyforge", "api": "https://x.example/accounts/${SKYFORGE_ACCOUNT_ID}/ai/v1"}}
    assert facts.default_endpoint(skyforge, "skyforge", "SKYFORGE_API_KEY") == skyforge["provider"]["api"]
    assert facts.default_auth(skyforge) == "api_key_and_endpoint"


def test_a_key_check_url_with_parts_is_refused():
    problem = key_check_url_problem("https://api.acme.example/accounts/${ACME_ACCOUNT_ID}/v1/models")
    assert "has ${...} parts: `prompture setup` calls the key-check URL as written" in problem

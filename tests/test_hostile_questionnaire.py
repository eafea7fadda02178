"""Hostile answers: every bad answer is refused at its question with a message naming the rule.

Three levels, all on a real Prompture 1.15.1 sdist checkout:

1. the validators in ``scaffolding.validators`` and ``scaffolding.questionnaire``, called directly
   (refused and accepted tables);
2. real ``copier copy --defaults --data key=value`` runs for a representative subset: Copier
   ends with ``ValueError: Validation error for question '<key>': <our message>`` and the
   checkout's tree is unchanged (nothing is rendered before the last question);
3. property-based (hypothesis): arbitrary text for every free-text answer is either refused
   by its validator or renders, with Copier's own Jinja environment and our extensions, into
   files that parse and hold the value exactly (Python literals, JSON, the answers file),
   and wires into settings / .env.copy that parse and hold it too.
"""

from __future__ import annotations

import ast
import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scaffolding import extra_answers, facts, questionnaire, validators
from scaffolding.names import API_STYLES, AUTHS
from scaffolding.transaction import Transaction
from support.copier_cli import TEMPLATE_DIR, copier_env, file_digests, tree_digest
from support.hostile import copy, fresh_checkout, tree_changes, validation_line

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
refused = pytest.mark.hostile("questionnaire", "refused")
kept = pytest.mark.hostile("questionnaire", "kept")


def problem(question: str, value, checkout: Path, **answers) -> str:
    """What the question's validator in copier.yml says about ``value`` (same functions, same arguments)."""
    provider = answers.get("provider", "acme")
    api_key_env = answers.get("api_key_env", "ACME_API_KEY")
    by_question = {
        "provider": lambda: questionnaire.provider_problem(value, checkout),
        "class_prefix": lambda: questionnaire.class_prefix_problem(value, provider, checkout),
        "display_name": lambda: validators.text_problem(value, "display_name"),
        "sdk_package": lambda: validators.distribution_problem(value),
        "sdk_min_version": lambda: validators.version_problem(value),
        "sdk_import": lambda: validators.import_problem(value),
        "api_key_env": lambda: questionnaire.env_name_problem(value, provider, checkout),
        "endpoint": lambda: validators.endpoint_problem(value, provider, api_key_env),
        "endpoint_env": lambda: questionnaire.env_name_problem(value, provider, checkout, api_key_env),
        "default_model": lambda: validators.model_id_problem(value),
        "price_input": lambda: validators.price_problem(value),
        "with_example": lambda: questionnaire.example_problem(value, provider, checkout),
        "canonical_name": lambda: extra_answers.canonical_name_problem(value),
        "key_check_url": lambda: extra_answers.key_check_url_problem(value),
        "brand_domain": lambda: extra_answers.brand_domain_problem(value),
        "brand_color": lambda: extra_answers.brand_color_problem(value),
    }
    return by_question[question]()


# ── 1. the validators, directly ───────────────────────────────────────────────

ID_RULE = "is not a valid provider name: use lowercase letters, digits and underscores"
PREFIX_RULE = "is not a valid class prefix: use letters and digits starting with an uppercase letter"
LINE_RULE = "must be one line of printable text"
ENV_RULE = "is not a valid environment variable name here: use uppercase letters, digits and underscores"
URL_RULE = "is not a usable endpoint: give an http:// or https:// URL with a host and no spaces, quotes or backslashes"
PEP440_RULE = "is not a PEP 440 version"
DIST_RULE = "is not a valid PyPI distribution name"
IMPORT_RULE = "is not an importable module path: use dotted Python identifiers"
MODEL_RULE = (
    "is not a usable model id: use letters, digits and . _ : / @ + - (no spaces, quotes, backslashes or braces)"
)

REFUSED = [
    ("provider", "", "A provider name is required"),
    ("provider", "Acme", ID_RULE),
    ("provider", "ACME", ID_RULE),
    ("provider", "acme-ai", ID_RULE),
    ("provider", "acme ai", ID_RULE),
    ("provider", "9lives", ID_RULE),
    ("provider", "_acme", ID_RULE),
    ("provider", "acmé", ID_RULE),
    ("provider", "acme\n", ID_RULE),
    ("provider", "class", "is a Python keyword and cannot name a module"),
    ("provider", "import", "is a Python keyword and cannot name a module"),
    ("provider", "match", "is a Python keyword and cannot name a module"),
    ("provider", "a" * 41, "is 41 characters long: keep provider names to 40 at most"),
    ("provider", "openai", 'Prompture already has a provider "openai"'),
    ("provider", "moonshot", 'Prompture already has a provider "moonshot"'),
    ("provider", "claude", 'Prompture already has a provider "claude"'),
    ("provider", "ollama", 'Prompture already has a provider "ollama"'),
    ("provider", "lmstudio", 'Prompture already has a provider "lmstudio"'),
    ("provider", "async_moonshot", "prompture/drivers/async_moonshot_driver.py already exists"),
    ("provider", "cerebras", "prompture/infra/rates/cerebras.json already exists"),
    ("class_prefix", "", PREFIX_RULE),
    ("class_prefix", "acme", PREFIX_RULE),
    ("class_prefix", "Acme-AI", PREFIX_RULE),
    ("class_prefix", "Acme_AI", PREFIX_RULE),
    ("class_prefix", "1Acme", PREFIX_RULE),
    ("class_prefix", "Acme AI", PREFIX_RULE),
    ("class_prefix", "Ácme", PREFIX_RULE),
    ("class_prefix", "A" * 41, "is 41 characters long: keep class prefixes to 40 at most"),
    ("class_prefix", "Moonshot", "AsyncMoonshotDriver, MoonshotDriver already exists in prompture/drivers"),
    ("class_prefix", "OpenAI", "AsyncOpenAIDriver, OpenAIDriver already exists in prompture/drivers"),
    ("class_prefix", "Async", "AsyncDriver already exists in prompture/drivers"),
    ("display_name", "", "display_name must not be empty"),
    ("display_name", "   ", "display_name must not be empty"),
    ("display_name", "Acme\nAI", LINE_RULE),
    ("display_name", "Acme\rAI", LINE_RULE),
    ("display_name", "Acme\tAI", LINE_RULE),
    ("display_name", "Acme\x00", LINE_RULE),
    ("display_name", "Acme\u2028AI", LINE_RULE),
    ("display_name", "\x1b[31mAcme", LINE_RULE),
    ("display_name", "x" * 81, "display_name is 81 characters long: keep it to 80 at most"),
    ("api_key_env", "", ENV_RULE),
    ("api_key_env", "acme_api_key", ENV_RULE),
    ("api_key_env", "Acme_Api_Key", ENV_RULE),
    ("api_key_env", "ACME API KEY", ENV_RULE),
    ("api_key_env", "ACME=KEY", ENV_RULE),
    ("api_key_env", "1ACME", ENV_RULE),
    ("api_key_env", "_ACME", ENV_RULE),
    ("api_key_env", "ACME-KEY", ENV_RULE),
    ("api_key_env", "ACME_KEY\n", ENV_RULE),
    ("api_key_env", "OPENAI_API_KEY", "OPENAI_API_KEY is already used in .env.copy"),
    ("api_key_env", "ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY is already used in prompture/infra/settings.py"),
    ("api_key_env", "AI_PROVIDER", "AI_PROVIDER is already used in .env.copy"),
    ("api_key_env", "ACME_MODEL", "ACME_MODEL is the variable for the default model"),
    ("endpoint_env", "acme_endpoint", ENV_RULE),
    ("endpoint_env", "ACME ENDPOINT", ENV_RULE),
    ("endpoint_env", "ACME_ENDPOINT=x", ENV_RULE),
    ("endpoint_env", "ACME_API_KEY", "ACME_API_KEY is already the API key variable"),
    ("endpoint_env", "MOONSHOT_ENDPOINT", "MOONSHOT_ENDPOINT is already used in .env.copy"),
    ("endpoint", "", URL_RULE),
    ("endpoint", "ftp://api.acme.example/v1", URL_RULE),
    ("endpoint", "api.acme.example/v1", URL_RULE),
    ("endpoint", "https://", URL_RULE),
    ("endpoint", "file:///etc/passwd", URL_RULE),
    ("endpoint", "javascript:alert(1)", URL_RULE),
    ("endpoint", "https://api acme.example/v1", URL_RULE),
    ("endpoint", "https://api.acme.example/v1 ", URL_RULE),
    ("endpoint", 'https://api.acme.example/"v1"', URL_RULE),
    ("endpoint", "https://api.acme.example/'v1'", URL_RULE),
    ("endpoint", "https://api.acme.example/v1\n", URL_RULE),
    ("endpoint", "https://api.acme.example\\v1", URL_RULE),
    ("endpoint", "https://api.acme.example/{{ x }}", URL_RULE),
    ("endpoint", "http://[::1", URL_RULE),
    ("endpoint", "https://api.acme.example:99999/v1", URL_RULE),
    ("endpoint", "https://user:secret@api.acme.example/v1", "holds credentials (user:password@)"),
    ("endpoint", "https://api.acme.example/v1?key=abc", "has a query or fragment (? or #)"),
    ("endpoint", "https://api.acme.example/v1#top", "has a query or fragment (? or #)"),
    ("sdk_min_version", "", PEP440_RULE),
    ("sdk_min_version", "latest", PEP440_RULE),
    ("sdk_min_version", ">=1.0", PEP440_RULE),
    ("sdk_min_version", "1.0 ", PEP440_RULE),
    ("sdk_min_version", " 1.0", PEP440_RULE),
    ("sdk_min_version", "1.0\n", PEP440_RULE),
    ("sdk_min_version", "1..0", PEP440_RULE),
    ("sdk_package", "", DIST_RULE),
    ("sdk_package", "-acme", DIST_RULE),
    ("sdk_package", "acme-", DIST_RULE),
    ("sdk_package", "acme sdk", DIST_RULE),
    ("sdk_package", "acme/sdk", DIST_RULE),
    ("sdk_package", "acme;rm -rf", DIST_RULE),
    ("sdk_package", "acme>=1", DIST_RULE),
    ("sdk_package", "acme[extra]", DIST_RULE),
    ("sdk_package", "ácme", DIST_RULE),
    ("sdk_import", "", IMPORT_RULE),
    ("sdk_import", "acme-sdk", IMPORT_RULE),
    ("sdk_import", "1acme", IMPORT_RULE),
    ("sdk_import", "acme.", IMPORT_RULE),
    ("sdk_import", ".acme", IMPORT_RULE),
    ("sdk_import", "acme..sdk", IMPORT_RULE),
    ("sdk_import", "class", IMPORT_RULE),
    ("sdk_import", "acme.import", IMPORT_RULE),
    ("sdk_import", "acme sdk", IMPORT_RULE),
    ("default_model", "", "A default model id is required"),
    ("default_model", 'acme"chat', MODEL_RULE),
    ("default_model", "acme'chat", MODEL_RULE),
    ("default_model", "acme\\chat", MODEL_RULE),
    ("default_model", "acme\nchat", MODEL_RULE),
    ("default_model", "acme chat", MODEL_RULE),
    ("default_model", "{{ 7*7 }}", MODEL_RULE),
    ("default_model", 'a"""b', MODEL_RULE),
    ("default_model", "{% if x %}", MODEL_RULE),
    ("default_model", "-acme", MODEL_RULE),
    ("default_model", "acme#1", MODEL_RULE),
    ("price_input", -1.0, "is not a usable price"),
    ("price_input", float("nan"), "is not a usable price"),
    ("price_input", float("inf"), "is not a usable price"),
    ("price_input", "abc", "is not a number"),
    ("price_input", None, "is not a number"),
    ("canonical_name", "Acme AI", "is not a provider name"),
    ("canonical_name", "acme\n", "is not a provider name"),
    ("canonical_name", "-acme", "is not a provider name"),
    ("canonical_name", "a" * 41, "is not a provider name"),
    ("key_check_url", "api.acme.example/v1/models", "is not a usable key-check URL"),
    ("key_check_url", "ftp://api.acme.example/models", "is not a usable key-check URL"),
    ("key_check_url", 'https://api.acme.example/"models"', "is not a usable key-check URL"),
    ("key_check_url", "https://api.acme.example/v1/models?api_key=sk-123", "carries a credential (api_key=)"),
    ("key_check_url", "https://api.acme.example/v1/models?access_token=x", "carries a credential (access_token=)"),
    ("key_check_url", "https://me:pw@api.acme.example/v1/models", "carries a credential (user:password@)"),
    ("key_check_url", "https://api.acme.example/v1/models#x", "has a fragment (#)"),
    ("brand_domain", "https://acme.com", "is not a bare public domain"),
    ("brand_domain", "acme.com/about", "is not a bare public domain"),
    ("brand_domain", "localhost", "is not a bare public domain"),
    ("brand_domain", "127.0.0.1", "is not a bare public domain"),
    ("brand_domain", "acme", "is not a bare public domain"),
    ("brand_color", "blue", "is not a hex color"),
    ("brand_color", "#12345", "is not a hex color"),
    ("brand_color", "1E40AFF", "is not a hex color"),
]

ACCEPTED = [
    ("provider", "acme"),
    ("provider", "acme_ai"),
    ("provider", "a1"),
    ("provider", "x" * 40),
    ("class_prefix", "Acme"),
    ("class_prefix", "ACME"),
    ("class_prefix", "Acme2"),
    ("display_name", 'Acme "AI"'),
    ("display_name", "Acme's {{ 7*7 }} {% raw %}"),
    ("display_name", '"""'),
    ("display_name", "C:\\new\\table"),
    ("display_name", "Ünïcödé 🚀"),
    ("api_key_env", "ACME_API_KEY"),
    ("api_key_env", "ACME_TOKEN"),
    ("endpoint_env", "ACME_BASE_URL"),
    ("endpoint", "https://api.acme.example/v1"),
    ("endpoint", "http://localhost:1234/v1"),
    ("endpoint", "http://[::1]:8080/v1"),
    ("endpoint", "https://bücher.example/v1"),
    ("sdk_min_version", "1"),
    ("sdk_min_version", "2!1.0rc1.post2.dev3"),
    ("sdk_min_version", "v1.2"),
    # No plugin module or class is rendered (the provider joins a family plugin): these names are free.
    ("provider", "local"),
    ("class_prefix", "Cloud"),
    ("sdk_package", "acme-sdk"),
    ("sdk_package", "Acme.SDK_2"),
    ("sdk_import", "acme.sdk.v1"),
    ("sdk_import", "match"),
    ("sdk_import", "ñandú"),
    ("default_model", "acme-chat-1"),
    ("default_model", "@cf/meta/llama-3.1-8b"),
    ("default_model", "gpt-4o:free"),
    ("default_model", "org/model+v2"),
    ("price_input", 0.0),
    ("price_input", "1.25"),
    ("with_example", True),
    ("canonical_name", ""),
    ("canonical_name", "anthropic"),
    ("canonical_name", "z-ai.v2"),
    ("key_check_url", ""),
    ("key_check_url", "https://api.acme.example/v1/models?limit=1"),
    ("key_check_url", "http://127.0.0.1:8000/v1/models"),
    ("brand_domain", ""),
    ("brand_domain", "acme.co.uk"),
    ("brand_color", ""),
    ("brand_color", "#1e40af"),
]


@refused
@pytest.mark.parametrize(("question", "value", "rule"), REFUSED, ids=[f"{q}={v!r}"[:60] for q, v, _ in REFUSED])
def test_a_bad_answer_is_refused_with_its_rule(pristine, question, value, rule):
    before = file_digests(pristine)
    message = problem(question, value, pristine)
    assert rule in message, message
    assert "\n" not in message  # one line: Copier shows it after "Validation error for question"
    assert file_digests(pristine) == before


@kept
@pytest.mark.parametrize(("question", "value"), ACCEPTED, ids=[f"{q}={v!r}"[:60] for q, v in ACCEPTED])
def test_a_good_answer_is_accepted(pristine, question, value):
    assert problem(question, value, pristine) == ""


@refused
def test_an_example_file_of_the_users_is_never_overwritten(pristine, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    (checkout / "examples").mkdir()
    (checkout / "examples" / "acme_example.py").write_text("print('mine')\n")
    assert "examples/acme_example.py already exists" in problem("with_example", True, checkout)
    assert problem("with_example", False, checkout) == ""


# ── 2. the same refusals through real `copier copy --data` runs ───────────────

OPENAI_STYLE = {"provider": "acme", "models_dev_provider": "acme-ai"}
SDK_STYLE = {**OPENAI_STYLE, "api_style": "custom_sdk", "auth": "api_key_and_endpoint"}
# Without models.dev facts --defaults has no endpoint, model or prices to take: they are given.
NO_FACTS = {
    "provider": "acme",
    "models_dev_provider": "",
    "endpoint": "https://api.acme.example/v1",
    "default_model": "acme-chat-1",
    "price_input": "0.5",
    "price_output": "1.5",
}

# (question, bad value, the other answers given): a representative subset of REFUSED, one or more per question.
COPIER_CASES = [
    ("provider", "", {}),
    ("provider", "Acme", {}),
    ("provider", "class", {}),
    ("provider", "openai", {}),
    ("provider", "cerebras", {}),
    ("class_prefix", "Moonshot", OPENAI_STYLE),
    ("class_prefix", "Async", OPENAI_STYLE),
    ("display_name", "Acme\nAI", OPENAI_STYLE),
    ("api_key_env", "ACME=KEY", OPENAI_STYLE),
    ("api_key_env", "OPENAI_API_KEY", OPENAI_STYLE),
    ("endpoint", 'https://api.acme.example/v1"; import os; "', OPENAI_STYLE),
    ("endpoint", "https://user:secret@api.acme.example/v1", OPENAI_STYLE),
    ("endpoint_env", "ACME_API_KEY", OPENAI_STYLE),
    ("sdk_package", "acme sdk", SDK_STYLE),
    ("sdk_min_version", "latest", SDK_STYLE),
    ("sdk_import", "acme-sdk", SDK_STYLE),
    ("default_model", 'acme"chat', OPENAI_STYLE),
    ("default_model", "acme\nchat", OPENAI_STYLE),
    ("default_model", "{{ 7*7 }}", OPENAI_STYLE),
    ("price_input", "-1", NO_FACTS),
    ("canonical_name", "Acme AI", OPENAI_STYLE),
    ("key_check_url", "https://api.acme.example/v1/models?api_key=sk-123", OPENAI_STYLE),
    ("brand_color", "blue", OPENAI_STYLE),
]


@refused
@pytest.mark.parametrize(
    ("question", "value", "others"), COPIER_CASES, ids=[f"{q}={v!r}"[:60] for q, v, _ in COPIER_CASES]
)
def test_copier_refuses_the_answer_and_writes_nothing(
    pristine, template, models_dev, tmp_path, question, value, others
):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before, tree_before = file_digests(checkout), tree_digest(checkout)
    result = copy(template, checkout, {**others, question: value}, copier_env(tmp_path, models_dev.url))
    assert result.returncode != 0
    answers = {**others, question: value}
    expected = problem(question, float(value) if question == "price_input" else value, checkout, **answers)
    assert expected
    assert validation_line(result.stderr) == f"ValueError: Validation error for question '{question}': {expected}"
    assert tree_changes(before, file_digests(checkout)) == {"added": [], "removed": [], "modified": []}
    assert tree_digest(checkout) == tree_before


# Choices and numbers Copier checks itself, before our validators run.
COPIER_OWN_CHECKS = [
    (
        "api_style",
        "grpc",
        f"Invalid choice for 'api_style': 'grpc' is not in {list(API_STYLES)}",
    ),
    (
        "auth",
        "oauth",
        f"Invalid choice for 'auth': 'oauth' is not in {list(AUTHS)}",
    ),
    ("price_input", "abc", "could not convert string to float: 'abc'"),
]


@refused
@pytest.mark.parametrize(("question", "value", "message"), COPIER_OWN_CHECKS)
def test_copiers_own_type_checks_refuse_too_and_write_nothing(
    pristine, template, models_dev, tmp_path, question, value, message
):
    """Choices and numbers are checked by Copier before our validators: its message, the same safety."""
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)
    result = copy(template, checkout, {**NO_FACTS, question: value}, copier_env(tmp_path, models_dev.url))
    assert result.returncode != 0
    assert validation_line(result.stderr) == f"ValueError: {message}"
    assert tree_digest(checkout) == before


@kept
def test_hostile_but_valid_answers_reach_the_files_exactly(pristine, template, models_dev, tmp_path):
    """Quotes, braces, backslashes and non-ASCII that the validators allow come out byte-exact."""
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    answers = {
        "provider": "acme",
        "models_dev_provider": "acme-ai",
        "display_name": 'Acme "AI" \'s {{ 7*7 }} {% raw %} """ C:\\new Ünï 🚀',
        "default_model": "@cf/acme/chat-1:free+v2",
        "endpoint": "http://[::1]:8080/v1",
        "api_key_env": "ACME_TOKEN",
        "endpoint_env": "ACME_BASE_URL",
    }
    result = copy(template, checkout, answers, copier_env(tmp_path, models_dev.url))
    assert result.returncode == 0, result.stderr
    constants = module_constants((checkout / "prompture/drivers/acme_driver.py").read_text(encoding="utf-8"))
    assert constants["_DISPLAY_NAME"] == answers["display_name"]
    assert constants["_DEFAULT_MODEL"] == answers["default_model"]
    assert constants["_DEFAULT_ENDPOINT"] == answers["endpoint"]
    assert (constants["_API_KEY_ENV"], constants["_ENDPOINT_ENV"]) == ("ACME_TOKEN", "ACME_BASE_URL")
    recorded = yaml.safe_load((checkout / ".copier-answers.acme.yml").read_text(encoding="utf-8"))
    assert {key: recorded[key] for key in answers} == answers
    settings_text = (checkout / "prompture/infra/settings.py").read_text(encoding="utf-8")
    fields = settings_defaults(settings_text)
    assert (fields["acme_model"], fields["acme_endpoint"]) == (answers["default_model"], answers["endpoint"])
    assert "    # " + " ".join(answers["display_name"].split()) + "\n" in settings_text
    env_lines = (checkout / ".env.copy").read_text(encoding="utf-8").splitlines()
    assert "ACME_MODEL=" + answers["default_model"] in env_lines
    assert "ACME_BASE_URL=" + answers["endpoint"] in env_lines
    touched = [rel for rel in tree_changes(file_digests(pristine), file_digests(checkout))["modified"]]
    touched += ["prompture/drivers/acme_driver.py", "prompture/drivers/async_acme_driver.py"]
    py_files = [rel for rel in touched if rel.endswith(".py")]
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *py_files], cwd=checkout, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


# ── 3. property-based: arbitrary text is refused, or it round-trips exactly ───

# Pieces that break naive templating or quoting, mixed into generated answers.
HOSTILE_PIECES = [
    '"', "'", '"""', "'''", "\\", "\\n", "\\x00", "{{", "}}", "{%", "%}", "{#", "#}", "\n", "\r", "\t", "\x00",
    "\x1b", "\u2028", "\x85", "\ufeff", "é", "ß", "🚀", "\U0010ffff", " ", "$", "${X}", "#", "%", "&", "<", ">", "`",
    ";", ":", "/", "@", "+", "-", ".", "_", "?", "=", "A", "a", "0", "raw", "endraw", "import os",
]  # fmt: skip
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), max_size=10).map("".join)


def answer_text(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Arbitrary text, hostile pieces, and valid answers with hostile pieces stuck on either side."""
    return st.one_of(
        st.text(max_size=60),
        hostile_text,
        valid,
        valid,  # twice: half the draws exercise the render with an accepted, often odd, answer
        st.builds(lambda a, b, c: a + b + c, hostile_text, valid, hostile_text),
    )


# What str.isprintable() accepts: no control, format, private, unassigned or separator characters but " ".
PRINTABLE = st.one_of(
    st.just(" "), st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
)


#: Free-text questions in copier.yml order -> generated answers (each validated like Copier does).
FREE_TEXT = {
    "provider": answer_text(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)),
    "class_prefix": answer_text(st.from_regex(r"[A-Z][A-Za-z0-9]{0,12}", fullmatch=True)),
    "display_name": answer_text(st.text(PRINTABLE, min_size=1, max_size=60)),
    "sdk_package": answer_text(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?", fullmatch=True)),
    "sdk_min_version": answer_text(st.sampled_from(["1", "0.1.0", "2!1.0rc1", "1.0.post1.dev2", "v3"])),
    "sdk_import": answer_text(st.from_regex(r"[a-z_][a-z0-9_]{0,8}(\.[a-z_][a-z0-9_]{0,8}){0,2}", fullmatch=True)),
    "api_key_env": answer_text(st.from_regex(r"[A-Z][A-Z0-9_]{0,16}", fullmatch=True)),
    "endpoint": answer_text(
        st.builds(
            "{}://{}/{}".format,
            st.sampled_from(["http", "https", "HTTPS"]),
            st.sampled_from(["api.acme.example", "127.0.0.1:8080", "[::1]:1234", "bücher.example", "localhost"]),
            st.from_regex(r"[A-Za-z0-9._~!$&()*+,;=:@%/-]{0,24}", fullmatch=True),
        )
    ),
    "endpoint_env": answer_text(st.from_regex(r"[A-Z][A-Z0-9_]{0,16}", fullmatch=True)),
    "default_model": answer_text(st.from_regex(r"[A-Za-z0-9@][A-Za-z0-9._:/@+-]{0,24}", fullmatch=True)),
}
BASE = {
    "provider": "acme",
    "class_prefix": "Acme",
    "display_name": "Acme AI",
    "sdk_package": "acme-sdk",
    "sdk_min_version": "1.0",
    "sdk_import": "acme_sdk",
    "api_key_env": "ACME_API_KEY",
    "endpoint": "https://api.acme.example/v1",
    "endpoint_env": "ACME_ENDPOINT",
    "default_model": "acme-chat-1",
}
CHOICES = {
    "api_style": st.sampled_from(["openai_compatible", "custom_sdk", "http"]),
    "auth": st.sampled_from(["api_key", "endpoint", "api_key_and_endpoint"]),
    "lazy_import": st.booleans(),
    "with_facts": st.booleans(),
    **{flag: st.booleans() for flag in ("json_mode", "json_schema", "tool_use", "streaming", "vision", "messages")},
}


def validated(generated: dict[str, str], checkout: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(answers: each generated value, or the base one where its validator refused it; refusals)."""
    answers, refusals = dict(BASE), {}
    for question in FREE_TEXT:
        value = generated[question]
        message = problem(question, value, checkout, **answers)
        assert isinstance(message, str)
        if message:
            assert message.strip() and "\n" not in message
            refusals[question] = message
        else:
            answers[question] = value
    return answers, refusals


@pytest.fixture(scope="module")
def jinja(tmp_path_factory):
    """Copier's own Jinja environment for this template (our extensions loaded as Copier loads them)."""
    from copier._main import Worker

    source = tmp_path_factory.mktemp("template-files")
    for path in TEMPLATE_DIR.rglob("*"):
        rel = path.relative_to(TEMPLATE_DIR)
        if path.is_file() and rel.parts[0] in ("template", "partials", "extensions") and "__pycache__" not in rel.parts:
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / rel)
    shutil.copy2(TEMPLATE_DIR / "copier.yml", source / "copier.yml")
    worker = Worker(src_path=str(source), dst_path=str(tmp_path_factory.mktemp("dst")), unsafe=True, quiet=True)
    return worker.jinja_env


TEMPLATE_FILES = sorted(
    path.relative_to(TEMPLATE_DIR).as_posix() for path in (TEMPLATE_DIR / "template").rglob("*.jinja")
)


def render_all(jinja, answers: dict) -> dict[str, str]:
    """Rendered file name (under the checkout) -> text, for every template file the answers select."""
    copier_answers = {"_commit": "v0.1.0", "_src_path": "gh:example/prompture-driver-template", **answers}
    context = {
        **answers,
        "_copier_answers": copier_answers,
        "_copier_conf": {"answers_file": f".copier-answers.{answers['provider']}.yml"},
    }
    rendered = {}
    for rel in TEMPLATE_FILES:
        name = jinja.from_string(rel.removeprefix("template/").removesuffix(".jinja")).render(**context)
        if name.endswith("/"):
            continue  # a file the answers switch off (e.g. no example)
        rendered[name] = jinja.get_template(rel).render(**context)
    return rendered


def module_constants(source: str) -> dict[str, object]:
    """Top-level ``NAME = <literal>`` assignments of a module."""
    constants = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError):
                constants[node.targets[0].id] = ast.literal_eval(node.value)
    return constants


def call_keywords(source: str, function: str) -> dict[str, object]:
    """Literal keyword arguments of the first call to ``function``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function:
            return {k.arg: ast.literal_eval(k.value) for k in node.keywords if isinstance(k.value, ast.Constant)}
    raise AssertionError(f"no call to {function}")


def full_answers(answers: dict[str, str], choices: dict, catalogue: dict) -> dict:
    model_facts = facts.provider_facts(catalogue, "acme-ai") if choices["with_facts"] else {}
    return {
        **answers,
        "prompture_layout": "L4",
        "ruff_line_length": 120,  # 1.15.1's
        "models_dev_provider": "acme-ai" if choices["with_facts"] else "",
        "models_dev_facts": model_facts,
        "api_style": choices["api_style"],
        "auth": choices["auth"],
        "lazy_import": choices["lazy_import"],
        "price_input": 0.5,
        "price_output": 1.5,
        "with_example": True,
        **{f"supports_{flag}": choices[flag] for flag in ("json_mode", "json_schema", "tool_use", "streaming")},
        "supports_vision": choices["vision"],
        "supports_messages": choices["messages"],
    }


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.mark.hostile("questionnaire", "property")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=st.fixed_dictionaries(FREE_TEXT), choices=st.fixed_dictionaries(CHOICES))
def test_any_answer_is_refused_or_renders_exactly(pristine, jinja, catalogue, generated, choices, tmp_path):
    answers, refusals = validated(generated, pristine)
    for question in FREE_TEXT:
        event(f"{question}: {'refused' if question in refusals else 'accepted'}")
    context = full_answers(answers, choices, catalogue)
    files = render_all(jinja, context)
    provider = answers["provider"]
    sdk = choices["api_style"] == "custom_sdk"
    has_key = choices["auth"] != "endpoint"

    for name, text in files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")  # a SyntaxError fails the property
        elif name.endswith(".json"):
            json.loads(text)
    driver = module_constants(files[f"prompture/drivers/{provider}_driver.py"])
    assert driver["_PROVIDER"] == provider
    assert driver["_DISPLAY_NAME"] == answers["display_name"]
    assert driver["_DEFAULT_MODEL"] == answers["default_model"]
    if has_key:
        assert driver["_API_KEY_ENV"] == answers["api_key_env"]
    assert (driver["_DEFAULT_ENDPOINT"], driver["_ENDPOINT_ENV"]) == (answers["endpoint"], answers["endpoint_env"])
    if sdk:
        assert driver["_SDK_IMPORT"] == answers["sdk_import"]
    rate_file = facts.rate_file_text(
        context["models_dev_facts"], answers["default_model"], 0.5, 1.5, choices["api_style"], provider
    )  # what the wiring writes
    assert answers["default_model"] in json.loads(rate_file)
    example = call_keywords(files[f"examples/{provider}_example.py"], "extract_and_jsonify")
    assert example["model_name"] == f"{provider}/{answers['default_model']}"
    # The drivers and the example are laid out as ruff format lays them out (1.15.1's configuration), whatever
    # the answers.
    sources = [f"prompture/drivers/{provider}_driver.py", f"prompture/drivers/async_{provider}_driver.py"]
    sources.append(f"examples/{provider}_example.py")
    for name in sources:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(files[name], encoding="utf-8")
    config = str(pristine / "pyproject.toml")
    ruff = [sys.executable, "-m", "ruff", "format", "--check", "--diff", "--no-cache", "--config", config]
    formatted = subprocess.run([*ruff, *sources], cwd=tmp_path, capture_output=True, text=True)
    assert formatted.returncode == 0, formatted.stdout[-3000:] + formatted.stderr[-1000:]
    recorded = yaml.safe_load(files[f".copier-answers.{provider}.yml"])
    assert {key: recorded[key] for key in answers} == answers


def settings_defaults(source: str) -> dict[str, object]:
    """Field -> literal default of ``class Settings`` (``Field(default=...)`` included)."""
    tree = ast.parse(source)
    settings_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    fields = {}
    for node in settings_class.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call):
                value = next((k.value for k in value.keywords if k.arg == "default"), value)
            with contextlib.suppress(ValueError):
                fields[node.target.id] = ast.literal_eval(value)
    return fields


@pytest.mark.hostile("questionnaire", "property")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=st.fixed_dictionaries(FREE_TEXT), auth=st.sampled_from(["api_key_and_endpoint", "api_key"]))
def test_any_accepted_answer_wires_exactly(pristine, generated, auth):
    """The wiring's edits (staged, never written) parse and hold the accepted values exactly."""
    from scaffolding.layouts import detect_layout
    from scaffolding.wiring import STEPS, Answers, Context

    answers, _refusals = validated(generated, pristine)
    data = {**answers, "api_style": "openai_compatible", "auth": auth}
    if auth == "api_key":
        data.pop("endpoint")
    layout = detect_layout(pristine)
    tx = Transaction(pristine)
    for step in layout.steps:
        STEPS[step](Context(pristine, layout, Answers.from_mapping(data), tx))
    tx.check()  # every edited .py parses, every .toml loads
    provider, upper = answers["provider"], answers["provider"].upper()
    fields = settings_defaults(tx.text(layout.path("settings")))
    assert fields[f"{provider}_model"] == answers["default_model"]
    assert fields[f"{provider}_api_key"] is None
    assert fields.get(f"{provider}_endpoint") == (answers["endpoint"] if auth != "api_key" else None)
    assert "    # " + " ".join(answers["display_name"].split()) + "\n" in tx.text(layout.path("settings"))
    env_lines = tx.text(layout.path("env")).splitlines()
    assert f"{upper}_MODEL={answers['default_model']}" in env_lines
    assert f"{answers['api_key_env']}=your-{provider}-api-key" in env_lines
    if auth != "api_key":
        assert f"{answers['endpoint_env']}={answers['endpoint']}" in env_lines

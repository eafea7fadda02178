"""``--defaults`` runs: what has no default is refused in one line, and a shared key variable is accepted.

On the 1.15.1 pin with real ``copier copy --defaults`` runs:

- a question with no default (``provider``; without models.dev data the ``endpoint``,
  ``default_model`` and prices) is refused before anything is written, in one line without a
  traceback, naming every ``--data`` key still to give; offline, it also says why (models.dev
  unreachable and the error) and what to do (``MODELS_DEV_URL``);
- given those keys, the run succeeds with exactly the values given (no placeholder);
- a models.dev provider whose key variable an existing provider already reads (a regional
  variant, here ``moonshotai-cn`` reading Moonshot's ``MOONSHOT_API_KEY``) scaffolds with only
  ``provider`` given: ``.env.copy`` keeps one line for the variable, and both providers get the key.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from scaffolding import questionnaire
from support.copier_cli import copier_env, tree_digest
from support.hostile import VERSION, copy, fresh_checkout
from support.models_dev_server import ModelsDevServer, fixture_catalogue, refused_url
from support.prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from support.scaffold import FIXTURE, printed_checks

pytestmark = pytest.mark.e2e

PLACEHOLDERS = ("example.com", "api.example.", "your-endpoint")


def refused_in_one_line(result, checkout: Path, before: str) -> str:
    """The run failed, printed its refusal as the last line with no traceback, and wrote nothing."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert tree_digest(checkout) == before
    return result.stderr.strip().splitlines()[-1]


def test_no_provider_is_refused_naming_its_data_key(pristine, template, models_dev, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)
    result = copy(template, checkout, {}, copier_env(tmp_path, models_dev.url))
    line = refused_in_one_line(result, checkout, before)
    assert line.startswith("provider has no default: it names the new provider. ")
    assert "give --data provider=acme (your values)" in line and line.endswith("Nothing was written.")


def test_offline_every_missing_answer_is_named_with_the_reason_and_what_to_do(pristine, template, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)
    result = copy(template, checkout, {"provider": "zephyr"}, copier_env(tmp_path, refused_url()))
    line = refused_in_one_line(result, checkout, before)
    assert line.startswith("endpoint has no default: models.dev unreachable (ConnectError: ")
    assert "and no cached copy exists. --defaults asks nothing, so give --data endpoint=" in line
    assert "--data default_model=acme-chat-1 --data price_input=0.5 --data price_output=1.5 (your values)" in line
    assert "set MODELS_DEV_URL to a reachable copy" in line
    # The warning before it says the same and how to skip the network.
    assert "MODELS_DEV_OFFLINE=1 to skip the network" in result.stderr

    given = {"provider": "zephyr", "endpoint": "https://api.zephyr.dev/v1"}
    line = refused_in_one_line(copy(template, checkout, given, copier_env(tmp_path, refused_url())), checkout, before)
    assert line.startswith("default_model has no default: models.dev unreachable (")
    assert "give --data default_model=acme-chat-1 --data price_input=0.5 --data price_output=1.5" in line
    assert "--data endpoint" not in line


def test_a_models_dev_provider_without_an_api_url_is_refused_at_the_endpoint(pristine, template, models_dev, tmp_path):
    """nimbus has an SDK and no `api` on models.dev: asked for an endpoint, there is none to take."""
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)
    data = {"provider": "nimbus", "auth": "api_key_and_endpoint"}
    line = refused_in_one_line(copy(template, checkout, data, copier_env(tmp_path, models_dev.url)), checkout, before)
    assert line.startswith('endpoint has no default: models.dev gives no API URL for "nimbus". ')
    assert "give --data endpoint=https://api.acme.example/v1 (your values)" in line
    assert "MODELS_DEV_URL" not in line  # models.dev answered


def test_a_models_dev_api_url_the_endpoint_question_would_refuse_is_no_default(pristine, template, tmp_path):
    """A ${...} part models.dev names badly: no default (so no traceback), and --defaults names --data endpoint.
    Well-formed ${VAR} parts are kept (tests/test_endpoint_vars.py)."""

    def bad_part(catalogue: dict) -> None:
        catalogue["skyforge"]["api"] = "https://api.skyforge.example/accounts/${account id}/ai/v1"

    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)
    with ModelsDevServer(fixture_catalogue(bad_part)) as server:
        result = copy(template, checkout, {"provider": "skyforge"}, copier_env(tmp_path, server.url))
    line = refused_in_one_line(result, checkout, before)
    assert line.startswith(
        'endpoint has no default: models.dev\'s API URL for "skyforge" is not usable as an endpoint '
        "(https://api.skyforge.example/accounts/${account id}/ai/v1). "
    )
    assert "give --data endpoint=https://api.acme.example/v1 (your values)" in line


def added_lines(checkout: Path, pristine: Path) -> list[str]:
    """Lines of the checkout's files that the pristine sdist does not have (new files: all their lines)."""
    added = []
    for path in sorted(p for p in checkout.rglob("*") if p.is_file()):
        old = pristine / path.relative_to(checkout)
        before = set(_lines(old)) if old.exists() else set()
        added += [line for line in _lines(path) if line not in before]
    return added


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def test_given_the_named_keys_the_run_writes_exactly_them(pristine, template, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    data = {
        "provider": "zephyr",
        "endpoint": "https://api.zephyr.dev/v1",
        "default_model": "zephyr-chat-2",
        "price_input": "0.3",
        "price_output": "1.2",
    }
    result = copy(template, checkout, data, copier_env(tmp_path, refused_url(), MODELS_DEV_OFFLINE="1"))
    assert result.returncode == 0, result.stderr
    rates = json.loads((checkout / "prompture/infra/rates/zephyr.json").read_text())
    assert rates["zephyr-chat-2"]["cost"] == {"input": 0.3, "output": 1.2}
    added = added_lines(checkout, pristine)
    assert any("https://api.zephyr.dev/v1/models" in line for line in added)  # the key check, from the endpoint
    assert any('"zephyr.dev"' in line for line in added)  # the brand's domain, from the endpoint
    assert [line for line in added if any(p in line for p in PLACEHOLDERS)] == []


# ── a key variable shared with a provider the checkout has ────────────────────


def test_the_validator_accepts_an_existing_key_variable_only_when_models_dev_names_it(pristine):
    assert "already used in" in questionnaire.env_name_problem("MOONSHOT_API_KEY", "moonshotai_cn", pristine)
    assert questionnaire.env_name_problem("MOONSHOT_API_KEY", "moonshotai_cn", pristine, "", ["MOONSHOT_API_KEY"]) == ""
    # Naming one variable does not free the others.
    assert "already used in" in questionnaire.env_name_problem(
        "OPENAI_API_KEY", "x", pristine, "", ["MOONSHOT_API_KEY"]
    )
    # The model's variable stays the model's even when named.
    assert "default model" in questionnaire.env_name_problem("X_MODEL", "x", pristine, "", ["X_MODEL"])


def test_a_regional_variant_sharing_its_vendors_key_scaffolds_with_defaults(pristine, template, models_dev, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    env = copier_env(tmp_path, models_dev.url)
    result = copy(template, checkout, {"provider": "moonshotai_cn"}, env)
    assert result.returncode == 0, result.stderr
    answers = (checkout / ".copier-answers.moonshotai_cn.yml").read_text()
    assert "models_dev_provider: moonshotai-cn" in answers and "api_key_env: MOONSHOT_API_KEY" in answers

    env_copy = (checkout / ".env.copy").read_text()
    assert env_copy.count("MOONSHOT_API_KEY=") == 1
    assert "MOONSHOTAI_CN_MODEL=kimi-k2.5\nMOONSHOTAI_CN_ENDPOINT=https://api.moonshot.cn/v1\n" in env_copy
    settings = (checkout / "prompture/infra/settings.py").read_text()
    assert settings.count("moonshot_api_key:") == 1
    assert 'AliasChoices("moonshotai_cn_api_key", "MOONSHOT_API_KEY")' in settings

    # Copying again changes nothing (the shared line is not added on a second pass either).
    digest = tree_digest(checkout)
    again = copy(template, checkout, {"provider": "moonshotai_cn"}, env, "--overwrite")
    assert again.returncode == 0, again.stderr
    assert tree_digest(checkout) == digest

    # The add-driver checks, and both providers read the one key.
    code = """
from prompture import MoonshotaiCnDriver
from prompture.drivers import AsyncMoonshotaiCnDriver, get_driver_for_model
from prompture import get_available_models
for model in ("moonshot/kimi-k2.5", "moonshotai_cn/kimi-k2.5"):
    driver = get_driver_for_model(model)
    print(type(driver).__name__, driver.api_key, driver.base_url)
print(sorted(m for m in get_available_models() if m.startswith("moonshotai_cn/")))
"""
    seed_models_dev_cache(tmp_path / "home", FIXTURE)  # Prompture's own models.dev cache, so it lists offline
    run_env = checkout_env(checkout, tmp_path / "home", MOONSHOT_API_KEY="shared-key")
    done = run_python(runtime_python(VERSION), checkout, code, run_env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "MoonshotDriver shared-key https://api.moonshot.ai/v1"
    assert lines[1] == "MoonshotaiCnDriver shared-key https://api.moonshot.cn/v1"
    assert "moonshotai_cn/kimi-k2.5" in lines[2]

    # The spec's verification commands as the copy printed them, then the checkout's tests (the rendered
    # ones among them); offline: a request to a provider's host fails at once at a dead proxy.
    offline = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"}
    checks = printed_checks(result.stderr)
    assert [variables for variables, _ in checks[2:]] == [{"MOONSHOT_API_KEY": "dummy"}] * 2
    for variables, check in checks:
        done = run_python(
            runtime_python(VERSION), checkout, check, checkout_env(checkout, tmp_path / "home", **offline, **variables)
        )
        assert done.returncode == 0, check + "\n" + done.stdout + done.stderr
    tests = subprocess.run(
        [str(runtime_python(VERSION)), "-m", "pytest", "tests/", "-x", "-q", "-p", "no:cacheprovider"],
        cwd=checkout, env=checkout_env(checkout, tmp_path / "home", **offline),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]

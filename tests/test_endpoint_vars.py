"""Endpoints with ``${VAR}`` parts, on every layout's pin, with ``--defaults`` and only the provider given.

The fixture's ``skyforge`` has models.dev's ``api`` with an account id to fill in
(``.../accounts/${SKYFORGE_ACCOUNT_ID}/ai/v1``, as Cloudflare's). Copied with only
``provider`` and ``models_dev_provider``:

- the endpoint keeps the part; Settings gets a field for the variable and ``.env.copy`` a line
  (once; the endpoint's line single-quoted, so python-dotenv leaves ``${...}`` to the driver);
- the spec's verification commands pass as printed (they set the variable to a dummy value);
- through Prompture's public API the driver builds its URL from the variable at run time, also
  from ``.env``; without it, it says which variable to set before any request.
"""

from __future__ import annotations

import ast
import json
import subprocess

import pytest
from scaffolding.layouts import LAYOUTS
from support.copier_cli import copier_env, tree_digest
from support.fake_openai import FakeOpenAI
from support.hostile import copy
from support.prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from support.scaffold import FIXTURE, prepare_runtimes, printed_checks
from support.sdists import extract_checkout

pytestmark = pytest.mark.e2e

PINS = {layout.name: layout.pin for layout in LAYOUTS}
DATA = {"provider": "skyforge", "models_dev_provider": "skyforge"}
ENTRY = json.loads(FIXTURE.read_text())["skyforge"]
MODEL = next(iter(ENTRY["models"]))  # "@sf/forge-chat-2"
ENDPOINT = ENTRY["api"]  # https://api.skyforge.example/client/v4/accounts/${SKYFORGE_ACCOUNT_ID}/ai/v1
DEAD_PROXY = "http://127.0.0.1:9"  # discovery's call to api.skyforge.example fails at once, offline


class Copied:
    def __init__(self, version, checkout, home, result, again_changed):
        self.version, self.checkout, self.home, self.result = version, checkout, home, result
        self.again_changed = again_changed

    def run(self, code: str, **env: str) -> subprocess.CompletedProcess:
        environment = checkout_env(self.checkout, self.home, HTTPS_PROXY=DEAD_PROXY, NO_PROXY="127.0.0.1", **env)
        return run_python(runtime_python(self.version), self.checkout, code, environment)

    def out(self, code: str, **env: str) -> str:
        done = self.run(code, **env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


@pytest.fixture(scope="module", params=list(PINS), ids=[f"{name}-{pin}" for name, pin in PINS.items()])
def copied(request, tmp_path_factory, template, models_dev):
    prepare_runtimes(list(PINS.values()))
    tmp = tmp_path_factory.mktemp(request.param)
    checkout = extract_checkout(PINS[request.param], tmp / "src")
    env = copier_env(tmp, models_dev.url)
    result = copy(template, checkout, DATA, env)
    assert result.returncode == 0, result.stdout + result.stderr
    digest = tree_digest(checkout)
    again = copy(template, checkout, DATA, env, "--overwrite")
    assert again.returncode == 0, again.stdout + again.stderr
    seed_models_dev_cache(tmp / "home", FIXTURE)  # Prompture lists the fixture's models offline
    return Copied(PINS[request.param], checkout, tmp / "home", result, tree_digest(checkout) != digest)


def test_the_endpoint_keeps_its_part_and_settings_and_env_copy_list_the_variable(copied):
    answers = (copied.checkout / ".copier-answers.skyforge.yml").read_text()
    assert f"endpoint: {ENDPOINT}" in answers and "auth: api_key_and_endpoint" in answers
    env_copy = (copied.checkout / ".env.copy").read_text()
    assert env_copy.count("SKYFORGE_ACCOUNT_ID=") == 1
    assert f"SKYFORGE_ACCOUNT_ID=your-skyforge-account-id\nSKYFORGE_ENDPOINT='{ENDPOINT}'\n" in env_copy
    settings = next(p for p in copied.checkout.glob("prompture/**/settings.py") if "class Settings" in p.read_text())
    assert settings.read_text().count("    skyforge_account_id: ") == 1
    assert not copied.again_changed  # a second copy adds no second line or field


def test_the_spec_verification_commands_pass_as_printed(copied):
    checks = printed_checks(copied.result.stderr)
    assert [env for env, _ in checks[2:]] == [{"SKYFORGE_API_KEY": "dummy", "SKYFORGE_ACCOUNT_ID": "dummy"}] * 2
    (_, imports), (_, async_import), (env, registry), (_, listing) = checks
    assert copied.out(imports).strip() == "OK"
    assert copied.out(async_import).strip() == "OK"
    assert copied.out(registry, **env).strip() == "SkyforgeDriver test"
    listed = copied.out(listing, **env).splitlines()
    assert listed[0] == "Found 1 models" and ast.literal_eval(listed[1]) == [f"skyforge/{MODEL}"]
    tests = subprocess.run(
        [str(runtime_python(copied.version)), "-m", "pytest", "tests/", "-x", "-q", "-p", "no:cacheprovider"],
        cwd=copied.checkout,
        env=checkout_env(copied.checkout, copied.home, HTTPS_PROXY=DEAD_PROXY, NO_PROXY="127.0.0.1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]


PUBLIC_API = f"""
import asyncio
from prompture import Conversation, extract_and_jsonify
from prompture.drivers import get_async_driver_for_model, get_driver_for_model
name = "skyforge/{MODEL}"
print(get_driver_for_model(name).base_url)
print(get_async_driver_for_model(name).base_url)
schema = {{"type": "object", "properties": {{"name": {{"type": "string"}}}}}}
print(extract_and_jsonify("Maria is 31.", schema, model_name=name)["json_object"])
print(Conversation(model_name=name).ask("Hi"))
"""


def test_the_driver_fills_the_endpoint_in_from_the_variable_at_run_time(copied):
    """The default endpoint, filled in; then an override on the fake server, reached through the variable."""
    out = copied.out(PUBLIC_API.split("schema =")[0], SKYFORGE_API_KEY="k", SKYFORGE_ACCOUNT_ID="acct-42")
    filled = ENDPOINT.replace("${SKYFORGE_ACCOUNT_ID}", "acct-42")
    assert out.splitlines() == [filled, filled]
    with FakeOpenAI() as server:
        local = f"http://127.0.0.1:{server.port}/client/v4/accounts/${{SKYFORGE_ACCOUNT_ID}}/ai/v1"
        out = copied.out(PUBLIC_API, SKYFORGE_API_KEY="k", SKYFORGE_ACCOUNT_ID="acct-42", SKYFORGE_ENDPOINT=local)
        requests = server.chat_requests
    lines = out.splitlines()
    assert lines[:2] == [local.replace("${SKYFORGE_ACCOUNT_ID}", "acct-42")] * 2
    # The model has no structured output on models.dev: JSON mode, which the fake answers with {"answer": ...}.
    assert requests[0]["json"]["response_format"] == {"type": "json_object"}
    assert lines[2:] == ["{'answer': 'Hello from the fake OpenAI server.'}", "Hello from the fake OpenAI server."]
    assert [r["path"] for r in requests] == ["/client/v4/accounts/acct-42/ai/v1/chat/completions"] * 2
    assert {r["headers"]["authorization"] for r in requests} == {"Bearer k"}
    assert {r["json"]["model"] for r in requests} == {MODEL}


def test_the_variable_may_come_from_dot_env(copied):
    (copied.checkout / ".env").write_text("SKYFORGE_API_KEY=k\nSKYFORGE_ACCOUNT_ID=from-dotenv\n")
    try:
        out = copied.out(PUBLIC_API.split("print(get_async")[0])
    finally:
        (copied.checkout / ".env").unlink()
    assert out.strip() == ENDPOINT.replace("${SKYFORGE_ACCOUNT_ID}", "from-dotenv")


def test_a_missing_variable_is_named_before_any_request(copied):
    for lookup in ("get_driver_for_model", "get_async_driver_for_model"):
        code = f"from prompture.drivers import {lookup}\n{lookup}('skyforge/{MODEL}')"
        done = copied.run(code, SKYFORGE_API_KEY="k")
        assert done.returncode != 0
        assert done.stderr.strip().splitlines()[-1] == (
            f"ValueError: Skyforge AI endpoint {ENDPOINT} needs SKYFORGE_ACCOUNT_ID: set SKYFORGE_ACCOUNT_ID in the "
            "environment or in .env, or set SKYFORGE_ENDPOINT to the full URL."
        )

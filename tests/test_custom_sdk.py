"""custom_sdk drivers never send a key to a host the answers did not name.

Real ``copier copy --defaults`` runs add ``basalt`` (tests/fixtures/models-dev.json) to a
Prompture 1.15.1 sdist in the ``custom_sdk`` style. With the real ``openai`` SDK (a known SDK)
the client is built for the answered endpoint, whatever the SDK's own environment variables
say; with an SDK the template does not know, the first use fails before any request, naming
the settings to adapt. The public-API scenarios of the known SDK are tests/test_differential.py's.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from support.fake_openai import FakeOpenAI
from support.prompture_runtime import checkout_env, run_python, runtime_python
from support.scaffold import copied_checkout

pytestmark = pytest.mark.e2e

VERSION = "1.15.1"
MODEL = "basalt-labs/reason-2"
OPENAI_SECRET = "sk-openai-key-of-another-vendor"


def basalt(tmp_path_factory, *data: str) -> dict:
    tmp = tmp_path_factory.mktemp("custom-sdk")
    root, result = copied_checkout(VERSION, tmp, "basalt", "api_style=custom_sdk", *data)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"root": root, "home": tmp / "home"}


def run(checkout: dict, python, code: str, **env: str):
    environment = checkout_env(checkout["root"], checkout["home"], **env)
    return run_python(python, checkout["root"], textwrap.dedent(code), environment)


def result_of(completed) -> dict:
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, completed.stdout + completed.stderr
    return json.loads(lines[-1][len("RESULT ") :])


USE_EVERY_WAY = f"""
import asyncio, json
from prompture import AsyncConversation, Conversation
from prompture.drivers import get_driver_for_model
from prompture.drivers.basalt_driver import BasaltDriver
conv = Conversation(model_name="basalt/{MODEL}")
conv.ask("hi")
list(conv.ask_stream("hi"))
async def main():
    return await AsyncConversation(model_name="basalt/{MODEL}").ask("hi")
asyncio.run(main())
models = BasaltDriver.list_models()
print("RESULT " + json.dumps({{"models": models}}))
"""


@pytest.fixture(scope="module")
def with_openai(tmp_path_factory):
    return basalt(tmp_path_factory, "sdk_package=openai")


@pytest.fixture(scope="module")
def keyless_with_openai(tmp_path_factory):
    """A server that needs no key (``auth=endpoint``), reached through the openai SDK."""
    return basalt(tmp_path_factory, "sdk_package=openai", "auth=endpoint")


@pytest.fixture(scope="module")
def with_unknown_sdk(tmp_path_factory):
    return basalt(tmp_path_factory, "sdk_package=acme-sdk")


def test_the_client_goes_to_the_endpoint_whatever_the_sdk_environment_says(with_openai):
    """OPENAI_BASE_URL (the SDK's own override of its default host) and OPENAI_API_KEY are set: neither is used."""
    answers = (with_openai["root"] / ".copier-answers.basalt.yml").read_text()
    assert "endpoint: https://inference.basalt.example/v1" in answers  # asked, and defaulted from models.dev
    with FakeOpenAI(models=[MODEL]) as endpoint, FakeOpenAI() as elsewhere:
        env = {"BASALT_API_KEY": "basalt-key", "BASALT_ENDPOINT": endpoint.url}
        env.update(OPENAI_BASE_URL=elsewhere.url, OPENAI_API_KEY=OPENAI_SECRET)
        out = result_of(run(with_openai, runtime_python(VERSION, "openai"), USE_EVERY_WAY, **env))
        assert out["models"] == [MODEL]
        assert elsewhere.requests == []
        assert len(endpoint.chat_requests) == 3, endpoint.requests
        assert {request["headers"].get("authorization") for request in endpoint.requests} == {"Bearer basalt-key"}


def test_a_server_without_a_key_never_gets_the_sdk_environment_key(keyless_with_openai):
    with FakeOpenAI(models=[MODEL]) as endpoint, FakeOpenAI() as elsewhere:
        env = {"BASALT_ENDPOINT": endpoint.url, "OPENAI_BASE_URL": elsewhere.url, "OPENAI_API_KEY": OPENAI_SECRET}
        result_of(run(keyless_with_openai, runtime_python(VERSION, "openai"), USE_EVERY_WAY, **env))
        assert elsewhere.requests == []
        assert len(endpoint.chat_requests) == 3, endpoint.requests
        assert not any(OPENAI_SECRET in json.dumps(request["headers"]) for request in endpoint.requests)


def test_an_unknown_sdk_is_refused_at_first_use_before_any_request(with_unknown_sdk):
    """The SDK need not even be installed: the refusal comes first, naming the settings to adapt."""
    code = f"""
    import asyncio, json
    from prompture.drivers import get_async_driver_for_model, get_driver_for_model
    messages = []
    try:
        get_driver_for_model("basalt/{MODEL}").generate("hi", {{}})
    except RuntimeError as exc:
        messages.append(str(exc))
    async def main():
        await get_async_driver_for_model("basalt/{MODEL}").generate("hi", {{}})
    try:
        asyncio.run(main())
    except RuntimeError as exc:
        messages.append(str(exc))
    print("RESULT " + json.dumps(messages))
    """
    with FakeOpenAI() as endpoint:
        env = {"BASALT_API_KEY": "basalt-key", "BASALT_ENDPOINT": endpoint.url}
        messages = result_of(run(with_unknown_sdk, runtime_python(VERSION), code, **env))
        assert endpoint.requests == []
    assert len(messages) == 2, messages
    for message in messages:
        assert "does not know how to build a 'acme_sdk' client yet" in message, message
        for setting in ("_SDK_CLIENT_CLASS", "_SDK_ASYNC_CLIENT_CLASS", "_SDK_BASE_URL_KEYWORD"):
            assert setting in message, message
        assert "prompture.drivers.basalt_driver" in message, message

"""Issue 2 end to end: one real `copier copy` into a real Prompture 1.15.1 sdist, then the checkout is used for real.

The copy runs once per module (it is the expensive part); each test checks one
acceptance point against that result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from support.copier_cli import run_copier, tree_digest
from support.fake_openai import FakeOpenAI
from support.models_dev_server import ModelsDevServer
from support.prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from support.sdists import extract_checkout
from support.template_repo import git, snapshot_template

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
VERSION = "1.15.1"
PROVIDER, MODELS_DEV_ID = "acme", "acme-ai"


def copier_env(tmp: Path, server: ModelsDevServer) -> dict[str, str]:
    env = checkout_env(tmp, tmp / "home")
    env.pop("PYTHONPATH")
    env.update(MODELS_DEV_URL=server.url, MODELS_DEV_CACHE_DIR=str(tmp / "models-dev-cache"))
    return env


def copy_args(template: Path, checkout: Path, *extra: str) -> list[str]:
    return [
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
        "--data", f"provider={PROVIDER}", "--data", f"models_dev_provider={MODELS_DEV_ID}",
        *extra, str(template), str(checkout),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("l4")
    checkout = extract_checkout(VERSION, tmp / "src")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "sdist")
    seed_models_dev_cache(tmp / "home", FIXTURE)
    template = snapshot_template(tmp / "template")
    with ModelsDevServer(FIXTURE) as server:
        env = copier_env(tmp, server)
        first = run_copier(*copy_args(template, checkout), cwd=tmp, env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        status_after_first = git(checkout, "status", "--porcelain", "--untracked-files=all")
        digest_after_first = tree_digest(checkout)
        second = run_copier(*copy_args(template, checkout, "--overwrite"), cwd=tmp, env=env)
    return SimpleNamespace(
        template=template,
        checkout=checkout,
        home=tmp / "home",
        first=first,
        second=second,
        status_after_first=status_after_first,
        digest_after_first=digest_after_first,
        python=runtime_python(VERSION),
        answers=yaml.safe_load((checkout / f".copier-answers.{PROVIDER}.yml").read_text()),
    )


def run_in_checkout(scaffolded, code: str, **env: str) -> str:
    environment = checkout_env(scaffolded.checkout, scaffolded.home, ACME_API_KEY="test-key", **env)
    result = run_python(scaffolded.python, scaffolded.checkout, textwrap.dedent(code), environment)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_spec_verification_commands(scaffolded):
    assert run_in_checkout(scaffolded, "from prompture import AcmeDriver; print('OK')").strip() == "OK"
    assert run_in_checkout(scaffolded, "from prompture.drivers import AsyncAcmeDriver; print('OK')").strip() == "OK"
    registry = run_in_checkout(
        scaffolded,
        "from prompture.drivers import get_driver_for_model; d = get_driver_for_model('acme/test');"
        " print(type(d).__name__, d.model)",
    )
    assert registry.strip() == "AcmeDriver test"
    listing = run_in_checkout(
        scaffolded,
        """
        from prompture import get_available_models
        ms = [m for m in get_available_models() if m.startswith('acme/')]
        print(f'Found {len(ms)} models'); print(sorted(ms))
        """,
        ACME_ENDPOINT="http://127.0.0.1:9/v1",
    )
    fixture_models = sorted(json.loads(FIXTURE.read_text())[MODELS_DEV_ID]["models"])
    assert f"Found {len(fixture_models)} models" in listing
    for model in fixture_models:
        assert f"acme/{model}" in listing


def test_capability_contract_holds_for_both_classes(scaffolded):
    out = run_in_checkout(
        scaffolded,
        """
        from prompture.testing import validate_driver_capabilities
        from prompture.drivers import AcmeDriver, AsyncAcmeDriver
        print(validate_driver_capabilities(AcmeDriver), validate_driver_capabilities(AsyncAcmeDriver))
        """,
    )
    assert out.strip() == "[] []"


def test_registry_builds_both_drivers_from_the_environment(scaffolded):
    out = run_in_checkout(
        scaffolded,
        """
        from prompture.drivers import get_driver_for_model, get_async_driver_for_model
        for d in (get_driver_for_model('acme/acme-chat-1'), get_async_driver_for_model('acme/acme-chat-1')):
            print(type(d).__name__, d.model, d.api_key, d.base_url)
        """,
        ACME_ENDPOINT="http://127.0.0.1:1234/v1",
    )
    assert out.splitlines() == [
        "AcmeDriver acme-chat-1 test-key http://127.0.0.1:1234/v1",
        "AsyncAcmeDriver acme-chat-1 test-key http://127.0.0.1:1234/v1",
    ]


def test_drivers_talk_to_an_openai_compatible_server(scaffolded):
    price = json.loads(FIXTURE.read_text())[MODELS_DEV_ID]["models"]["acme-chat-1"]["cost"]
    with FakeOpenAI(prompt_tokens=1000, completion_tokens=500) as server:
        out = run_in_checkout(
            scaffolded,
            """
            import asyncio, json
            from prompture.drivers import get_driver_for_model, get_async_driver_for_model
            tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
            messages = [{"role": "user", "content": "hi"}]
            sync = get_driver_for_model('acme/acme-chat-1')
            reply = sync.generate("hello", {})
            calls = sync.generate_messages_with_tools(messages, tools, {})
            chunks = list(sync.generate_messages_stream(messages, {}))

            async def run_async():
                d = get_async_driver_for_model('acme/acme-chat-1')
                r = await d.generate("hello", {})
                t = await d.generate_messages_with_tools(messages, tools, {})
                c = [chunk async for chunk in d.generate_messages_stream(messages, {})]
                return r, t, c

            areply, acalls, achunks = asyncio.run(run_async())
            print(json.dumps({
                "text": reply["text"], "cost": reply["meta"]["cost"], "tool": calls["tool_calls"][0]["name"],
                "args": calls["tool_calls"][0]["arguments"], "stream": "".join(c.get("text", "") for c in chunks[:-1]),
                "stream_done": chunks[-1]["type"], "stream_cost": chunks[-1]["meta"]["cost"],
                "atext": areply["text"], "acost": areply["meta"]["cost"], "atool": acalls["tool_calls"][0]["name"],
                "astream": "".join(c.get("text", "") for c in achunks[:-1]),
                "astream_cost": achunks[-1]["meta"]["cost"],
            }))
            """,
            ACME_ENDPOINT=server.url,
        )
        requests = list(server.requests)
    result = json.loads(out.strip().splitlines()[-1])
    expected_cost = round((1000 * price["input"] + 500 * price["output"]) / 1_000_000, 6)
    assert expected_cost > 0
    assert result["cost"] == result["acost"] == result["stream_cost"] == result["astream_cost"] == expected_cost
    assert result["text"] == result["atext"] != ""
    assert result["stream"] == result["astream"] == result["text"]
    assert result["tool"] == result["atool"] == "get_weather"
    assert result["stream_done"] == "done"
    assert {r["headers"].get("authorization") for r in requests} == {"Bearer test-key"}


def test_second_identical_copy_changes_nothing(scaffolded):
    assert scaffolded.second.returncode == 0, scaffolded.second.stdout + scaffolded.second.stderr
    assert git(scaffolded.checkout, "status", "--porcelain", "--untracked-files=all") == scaffolded.status_after_first
    assert tree_digest(scaffolded.checkout) == scaffolded.digest_after_first


def test_every_rendered_or_edited_file_is_ruff_clean(scaffolded):
    touched = [line[3:] for line in scaffolded.status_after_first.splitlines() if line[3:].endswith(".py")]
    assert f"prompture/drivers/{PROVIDER}_driver.py" in touched
    assert "prompture/plugins/builtins/__init__.py" in touched
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *touched], cwd=scaffolded.checkout, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_no_secret_reaches_the_answers_file(scaffolded):
    text = (scaffolded.checkout / f".copier-answers.{PROVIDER}.yml").read_text()
    assert "test-key" not in text
    assert scaffolded.answers["api_key_env"] == "ACME_API_KEY"
    assert scaffolded.answers["models_dev_facts"]["provider"]["id"] == MODELS_DEV_ID


@pytest.mark.parametrize(
    ("target", "provider", "expected"),
    [
        ("empty", PROVIDER, "is not a Prompture checkout this template recognises"),
        ("prompture", "moonshot", 'Prompture already has a provider "moonshot"'),
    ],
)
def test_refusals_write_nothing(scaffolded, tmp_path, target, provider, expected):
    folder = tmp_path / "empty" if target == "empty" else scaffolded.checkout
    folder.mkdir(exist_ok=True)
    before = tree_digest(folder)
    with ModelsDevServer(FIXTURE) as server:
        result = run_copier(
            "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", f"provider={provider}",
            str(scaffolded.template), str(folder), cwd=tmp_path, env=copier_env(tmp_path, server),
        )  # fmt: skip
    assert result.returncode != 0
    assert expected in result.stderr
    assert tree_digest(folder) == before

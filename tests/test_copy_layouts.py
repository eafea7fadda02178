"""End to end on every Prompture layout: one real `copier copy` into a real sdist of each layout's pin.

The same answers (``--defaults``, provider "acme", models.dev id "acme-ai" from a local
models.dev) go into Prompture 1.0.12 (L1 flat), 1.0.49 (L2 infra), 1.0.57 (L3 descriptors)
and 1.15.1 (L4 plugins); the pins come from the layout data (``Layout.pin``). The copy runs
once per pin (the expensive part, twice: the second must change nothing); each test checks
one acceptance point against that result, with the release's own dependencies.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from scaffolding.layouts import LAYOUTS, layout_named
from support.copier_cli import copier_env, run_copier, tree_digest
from support.fake_openai import FakeOpenAI
from support.models_dev_server import ModelsDevServer
from support.scaffold import (
    FIXTURE,
    MODELS_DEV_ID,
    PROVIDER,
    compile_on_python310,
    copy_args,
    format_complaints,
    prepare_runtimes,
    printed_checks,
    python310,
    run_in_checkout,
    scaffold,
)
from support.template_repo import git

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

PINS = {layout.name: layout.pin for layout in LAYOUTS}
FIXTURE_MODELS = sorted(json.loads(FIXTURE.read_text())[MODELS_DEV_ID]["models"])


@pytest.fixture(scope="module")
def template(template_repo) -> Path:
    prepare_runtimes(list(PINS.values()))  # cold cache: the four installs run side by side
    return template_repo


@pytest.fixture(scope="module", params=list(PINS), ids=[f"{name}-{pin}" for name, pin in PINS.items()])
def scaffolded(request, tmp_path_factory, template, models_dev):
    return scaffold(PINS[request.param], tmp_path_factory.mktemp(request.param), template, models_dev)


@pytest.fixture
def layout(scaffolded):
    return layout_named(scaffolded.answers["prompture_layout"])


# ── the layout is detected, printed once and rendered for ────────────────────


def test_the_layout_is_detected_recorded_and_printed_once(scaffolded):
    name = next(name for name, pin in PINS.items() if pin == scaffolded.version)
    layout = layout_named(name)
    assert scaffolded.answers["prompture_layout"] == name
    assert scaffolded.first.stdout.count("Prompture layout:") == 1
    assert f"Prompture layout: {layout.label}" in scaffolded.first.stdout


def test_only_the_files_the_layout_has_places_for_are_rendered(scaffolded, layout):
    created = {rel for rel in scaffolded.touched if not (scaffolded.pristine / rel).exists()}
    expected = {layout.rendered_path(kind, PROVIDER) for kind in layout.rendered}
    assert {rel for rel in created if rel.startswith("prompture/")} == expected
    if "rates" not in layout.rendered:  # L1: no rate folder, and the task says so instead
        assert not (scaffolded.checkout / "prompture" / "infra").exists()
        assert "– rate file: not applicable (layout L1 'flat' has no prompture/infra/rates/ folder" in (
            scaffolded.first.stdout
        )
    # No layout gets a plugin module of its own: L4's descriptor joins a family plugin.
    assert not list(scaffolded.checkout.glob(f"prompture/**/{PROVIDER}_plugin.py"))


# ── 1. the spec's verification commands, 2. the async factory ─────────────────


def test_spec_verification_commands_printed_after_the_copy_work(scaffolded):
    """The commands the run tells the contributor to try are the spec's, for this provider, and they pass."""
    imports, async_import, registry, listing = [code for _, code in printed_checks(scaffolded.first.stderr)]
    assert run_in_checkout(scaffolded, imports).strip() == "OK"
    assert run_in_checkout(scaffolded, async_import).strip() == "OK"
    assert run_in_checkout(scaffolded, registry).strip() == "AcmeDriver test"
    # Where discovery asks the driver for its models, that fails fast; the catalogue lists them.
    listed = run_in_checkout(scaffolded, listing, ACME_ENDPOINT="http://127.0.0.1:9/v1")
    assert listed.splitlines()[0] == f"Found {len(FIXTURE_MODELS)} models"
    assert sorted(ast.literal_eval(listed.splitlines()[1])) == [f"acme/{model}" for model in FIXTURE_MODELS]


def test_the_run_reports_every_step_the_files_and_what_to_do_next(scaffolded, layout):
    out, message = scaffolded.first.stdout.splitlines(), scaffolded.first.stderr
    steps = [line for line in out if line[:2] in ("✓ ", "= ", "– ")]
    assert len(steps) == len(layout.steps)
    rendered = next(line for line in out if line.startswith("Rendered: ")).removeprefix("Rendered: ").split(", ")
    expected = [layout.rendered_path(kind, PROVIDER) for kind in layout.rendered if kind != "rates"]
    assert rendered == [*expected, "examples/acme_example.py", "tests/test_acme_driver.py", ".copier-answers.acme.yml"]
    edited = next(line for line in out if line.startswith("Edited: ")).removeprefix("Edited: ").split(", ")
    rate_file = {layout.rendered_path("rates", PROVIDER)} if "rates" in layout.rendered else set()  # the wiring's
    assert set(edited) == {rel for rel in scaffolded.touched if (scaffolded.pristine / rel).exists()} | rate_file
    assert "    .venv/bin/python -m pytest tests/test_acme_driver.py -q\n" in message
    assert "checks only need ACME_API_KEY\n   set, so they set it to a dummy value" in message
    assert "    ACME_API_KEY=dummy .venv/bin/python -c " in message
    assert "    copier update --trust --defaults -a .copier-answers.acme.yml" in message
    again = scaffolded.second.stdout.splitlines()
    assert "Edited: nothing (every edit was already there)" in again


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


def test_a_consumer_key_in_provider_environment_reaches_the_driver(scaffolded, layout):
    if "provider_env" not in layout.steps:
        assert not (scaffolded.checkout / "prompture" / "infra" / "provider_env.py").exists()
        return  # L1 has no ProviderEnvironment
    out = run_in_checkout(
        scaffolded,
        """
        from prompture.drivers import get_driver_for_model
        from prompture.infra.provider_env import ProviderEnvironment
        d = get_driver_for_model('acme/acme-chat-1', env=ProviderEnvironment(acme_api_key='sk-consumer'))
        print(type(d).__name__, d.api_key)
        """,
    )
    assert out.splitlines() == ["AcmeDriver sk-consumer"]
    assert "✓ provider environment: prompture/infra/provider_env.py" in scaffolded.first.stdout


def test_capability_contract_holds_for_both_classes(scaffolded):
    if not (scaffolded.checkout / "prompture" / "testing").is_dir():
        pytest.skip(f"Prompture {scaffolded.version} ships no prompture.testing (it arrived with 1.0.5x)")
    out = run_in_checkout(
        scaffolded,
        """
        from prompture.testing import validate_driver_capabilities
        from prompture.drivers import AcmeDriver, AsyncAcmeDriver
        print(validate_driver_capabilities(AcmeDriver), validate_driver_capabilities(AsyncAcmeDriver))
        """,
    )
    assert out.strip() == "[] []"


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
    assert result["args"] == {"city": "fake"}
    assert result["stream_done"] == "done"
    assert {r["headers"].get("authorization") for r in requests} == {"Bearer test-key"}


def test_a_schema_the_model_cannot_enforce_goes_into_the_prompt(scaffolded):
    """Reasoning models get no response_format: the schema is written into the last user message, by
    Prompture's ``_inject_schema_into_messages`` where the release has it, else by the driver's own helper."""
    out = run_in_checkout(
        scaffolded,
        """
        import json
        from prompture.drivers import get_driver_for_model
        from prompture.drivers.acme_driver import _build_request
        driver = get_driver_for_model('acme/acme-think-1')
        schema = {"type": "object", "properties": {"name": {"type": "string"}}}
        body = _build_request(driver, 'acme-think-1', [{"role": "user", "content": "Who?"}],
                              {"json_mode": True, "json_schema": schema}, max_tokens=64)
        print(json.dumps({"response_format": body.get("response_format"), "last": body["messages"][-1]["content"]}))
        """,
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["response_format"] is None
    assert result["last"].startswith("Who?") and "validates against this schema" in result["last"]
    assert '"name"' in result["last"]


# ── 3. a second identical run changes no byte ────────────────────────────────


def test_second_identical_copy_changes_nothing(scaffolded):
    assert scaffolded.second.returncode == 0, scaffolded.second.stdout + scaffolded.second.stderr
    assert git(scaffolded.checkout, "status", "--porcelain", "--untracked-files=all") == scaffolded.status_after_first
    assert tree_digest(scaffolded.checkout) == scaffolded.digest_after_first


# ── 4. ruff under the checkout's own config, Python 3.10 ─────────────────────


def test_every_rendered_or_edited_file_is_ruff_clean(scaffolded, layout):
    touched = [rel for rel in scaffolded.touched if rel.endswith(".py")]
    assert layout.rendered_path("driver", PROVIDER) in touched
    edited = {layout.path(step) for step in layout.steps if step in layout.files}
    assert {rel for rel in edited if rel.endswith(".py")} <= set(touched)  # every step edited its file
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", *touched],
        cwd=scaffolded.checkout,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    for rel in touched:
        before = format_complaints(scaffolded.pristine, rel) if (scaffolded.pristine / rel).exists() else []
        # An edited file the release itself ships unformatted (1.0.57's provider_descriptors.py) keeps exactly
        # its own complaints: the lines the wiring added are formatted.
        assert format_complaints(scaffolded.checkout, rel) == before, rel


def test_every_rendered_or_edited_file_compiles_on_python310(scaffolded, tmp_path):
    touched = [rel for rel in scaffolded.touched if rel.endswith(".py")]
    if python310() is None:
        warnings.warn("no Python 3.10 here: checked with ast.parse(feature_version=(3, 10))", stacklevel=1)
    assert compile_on_python310(scaffolded.checkout, touched, tmp_path / "pycache") == ""


def test_no_secret_reaches_the_answers_file(scaffolded):
    text = (scaffolded.checkout / f".copier-answers.{PROVIDER}.yml").read_text()
    assert "test-key" not in text
    assert scaffolded.answers["api_key_env"] == "ACME_API_KEY"
    assert scaffolded.answers["models_dev_provider"] == MODELS_DEV_ID
    assert "models_dev_facts" not in scaffolded.answers  # recorded once, in the rate file


# ── refusals: nothing written ─────────────────────────────────────────────────


def _refused(template: Path, folder: Path, tmp: Path, server: ModelsDevServer, provider: str = PROVIDER) -> str:
    before = tree_digest(folder)
    result = run_copier(*copy_args(template, folder, provider=provider), cwd=tmp, env=copier_env(tmp, server.url))
    assert result.returncode != 0, result.stdout
    assert tree_digest(folder) == before
    return result.stderr


def test_an_existing_provider_is_refused(scaffolded, tmp_path, models_dev):
    stderr = _refused(scaffolded.template, scaffolded.checkout, tmp_path, models_dev, provider="moonshot")
    assert 'Prompture already has a provider "moonshot"' in stderr


def test_an_anchor_edited_away_is_refused_naming_file_and_anchor(scaffolded, layout, tmp_path, models_dev):
    marker = next(marker for marker in layout.markers if marker.anchor)
    checkout = Path(shutil.copytree(scaffolded.pristine, tmp_path / "checkout"))
    file = checkout / marker.path
    file.write_text(file.read_text(encoding="utf-8").replace(marker.anchor, "EDITED_AWAY"), encoding="utf-8")
    stderr = _refused(scaffolded.template, checkout, tmp_path, models_dev)
    assert f"{marker.path} does not contain {marker.anchor!r}" in " ".join(stderr.split())


def test_a_folder_that_is_no_prompture_is_refused(template, tmp_path, models_dev):
    folder = tmp_path / "empty"
    folder.mkdir()
    stderr = _refused(template, folder, tmp_path, models_dev)
    assert "is not a Prompture checkout this template recognises" in stderr
    for layout in LAYOUTS:
        assert layout.identity in " ".join(stderr.split())

"""`copier update` keeps generated drivers current as the template evolves.

One scenario, run once per module (real Copier, real git, a real Prompture 1.15.1 sdist):

* the template becomes a git repo with two tags: v1.0.0 is a snapshot of this working
  tree; v2.0.0 changes the driver body, adds a wiring step (a second task) and renames
  the question ``with_example`` to ``include_example`` through a ``_migrations`` entry;
* v1 is copied for two providers (``acme`` on models.dev as ``acme-ai``, ``nimbus``
  with a non-default ``with_example=false``), committed, and the acme driver is edited
  by hand and committed;
* each provider is updated to v2 offline (``MODELS_DEV_OFFLINE=1``, empty caches, a
  models.dev URL that refuses connections), committed, and updated again;
* models.dev changes its catalogue: an update without a refresh changes nothing and
  asks models.dev nothing; ``--data refresh_models_dev=true`` brings exactly the change,
  to the rate file alone (the one record of the facts);
* a conflicting hand edit (in a clone) ends as Copier's inline conflict; an update on a
  dirty tree is refused before anything changes.

Each test below checks one acceptance point against what the scenario recorded.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from scaffolding import facts as facts_module
from support.copier_cli import copier_env, run_copier, tree_digest
from support.models_dev_server import ModelsDevServer, fixture_catalogue, refused_url
from support.prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from support.sdists import extract_checkout
from support.template_repo import git, snapshot_template

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
VERSION = "1.15.1"
V1, V2 = "v1.0.0", "v2.0.0"
PROVIDERS = {"acme": "acme-ai", "nimbus": "nimbus"}
SECRETS = {"ACME_API_KEY": "sk-acme-secret-in-env", "NIMBUS_TOKEN": "nimbus-secret-in-env"}
WARNING = "prompture-driver-template: warning"

# ── Template v2, built from the v1 snapshot ──────────────────────────────────

DRIVER_TEMPLATE = "template/prompture/drivers/{{ provider }}_driver.py.jinja"
V2_DRIVER_TAIL = '''

def template_revision() -> int:
    """The revision of prompture-driver-template that rendered this module."""
    return 2
'''
V2_STEP = '''"""Template v2's added wiring step: mark the provider in CLAUDE.md, once."""

import sys
from pathlib import Path

import yaml
from scaffolding.replay import is_update_replay

operation, answers_file = sys.argv[1:]
if not is_update_replay(operation, Path.cwd(), answers_file):
    provider = yaml.safe_load(Path(answers_file).read_text(encoding="utf-8"))["provider"]
    mark = f"<!-- prompture-driver-template: {provider} -->"
    claude = Path("CLAUDE.md")
    text = claude.read_text(encoding="utf-8")
    if mark in text.splitlines():
        print(f"= CLAUDE.md mark for {provider}: already there")
    else:
        claude.write_text(text.rstrip("\\n") + "\\n" + mark + "\\n", encoding="utf-8")
        print(f"✓ CLAUDE.md mark for {provider}")
'''


def claude_mark(provider: str) -> str:
    return f"<!-- prompture-driver-template: {provider} -->"


def make_v2(repo: Path) -> None:
    """Driver body change, an added wiring step, `with_example` renamed through a migration."""
    driver = repo / DRIVER_TEMPLATE
    driver.write_text(driver.read_text(encoding="utf-8") + V2_DRIVER_TAIL, encoding="utf-8")
    (repo / "extensions" / "wire_claude_mark.py").write_text(V2_STEP, encoding="utf-8")

    renamed = re.compile(r"\bwith_example\b")
    for path in sorted((repo / "template").rglob("*"), reverse=True):  # files before their folders
        if path.is_file() and renamed.search(path.read_text(encoding="utf-8")):
            path.write_text(renamed.sub("include_example", path.read_text(encoding="utf-8")), encoding="utf-8")
        if renamed.search(path.name):
            path.rename(path.with_name(renamed.sub("include_example", path.name)))

    config = yaml.safe_load((repo / "copier.yml").read_text(encoding="utf-8"))
    config = {
        ("include_example" if key == "with_example" else key): (
            yaml.safe_load(renamed.sub("include_example", yaml.safe_dump(value))) if isinstance(value, dict) else value
        )
        for key, value in config.items()
    }
    python, src = "{{ _copier_python }}", "{{ _copier_conf.src_path / 'extensions' / "
    answers_file = "{{ _copier_conf.answers_file }}"
    step = [python, src + "'wire_claude_mark.py' }}", "{{ _copier_operation }}", answers_file]
    config["_tasks"].append({"command": step})
    config["_migrations"] = [
        {
            "version": V2,
            "when": "{{ _stage == 'before' }}",
            "command": [
                python,
                src + "'migrate_answers.py' }}",
                "{{ _copier_conf.answers_file }}",
                "--rename",
                "with_example=include_example",
            ],  # fmt: skip
        }
    ]
    (repo / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False, width=10_000), encoding="utf-8")


def changed_catalogue() -> bytes:
    """models.dev a while later: acme-ai lists a new model and acme-think-1's context grew."""

    def change(catalogue: dict) -> None:
        models = catalogue["acme-ai"]["models"]
        models["acme-think-1"]["limit"]["context"] = 256000
        models["acme-zeta-9"] = copy.deepcopy(models["acme-chat-1"]) | {"id": "acme-zeta-9", "name": "Acme Zeta 9"}

    return fixture_catalogue(change)


# ── Running things ───────────────────────────────────────────────────────────


def offline_env(tmp: Path) -> dict[str, str]:
    return copier_env(tmp, refused_url(), name="offline", MODELS_DEV_OFFLINE="1", **SECRETS)


def copier(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = run_copier(*args, cwd=cwd, env=env)
    assert result.returncode == 0, f"copier {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def update(checkout: Path, provider: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return run_copier(
        "update", "--trust", "--defaults", *extra, "-a", f".copier-answers.{provider}.yml", cwd=checkout, env=env
    )


def status(checkout: Path) -> list[str]:
    return git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()


def changed_paths(checkout: Path) -> set[str]:
    return {line[3:] for line in status(checkout)}


def commit(checkout: Path, message: str) -> None:
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "--allow-empty", "-m", message)


def nimbus_files(checkout: Path) -> dict[str, bytes]:
    return {p: (checkout / p).read_bytes() for p in git(checkout, "ls-files").splitlines() if "nimbus" in p}


def answers(checkout: Path, provider: str) -> dict:
    return yaml.safe_load((checkout / f".copier-answers.{provider}.yml").read_text(encoding="utf-8"))


def hand_edit(text: str) -> str:
    """A user's own edits to the rendered acme driver: a note after the docstring, a helper before the first def."""
    lines = text.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if i > 0 and line.rstrip().endswith('"""'))
    first_def = next(i for i, line in enumerate(lines) if line.startswith("def ") and not lines[i - 1].strip())
    lines[first_def:first_def] = [HAND_HELPER]
    lines.insert(end + 1, f"{HAND_NOTE}\n")
    return "".join(lines)


HAND_NOTE = "# Local note: our gateway rewrites model ids (kept across template updates)."
HAND_HELPER = '''def gateway_model(model: str) -> str:
    """Our own helper, not the template's."""
    return f"gw/{model}"


'''
CONFLICTING_TAIL = '''

def template_revision() -> int:
    """Pinned by hand."""
    return 1
'''

# ── The scenario ─────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("update")
    template = snapshot_template(tmp / "template")
    git(template, "tag", V1)
    make_v2(template)
    commit(template, "v2: driver body, an added wiring step, with_example renamed")
    git(template, "tag", V2)

    checkout = extract_checkout(VERSION, tmp / "src")
    git(checkout, "init", "-q")
    commit(checkout, "Prompture 1.15.1 sdist")
    seed_models_dev_cache(tmp / "runtime-home", FIXTURE)
    rec = SimpleNamespace(template=template, checkout=checkout, runtime_home=tmp / "runtime-home")
    driver = checkout / "prompture/drivers/acme_driver.py"

    with ModelsDevServer(FIXTURE) as server:
        online = copier_env(tmp, server.url, name="online", **SECRETS)
        for provider, models_dev_id in PROVIDERS.items():
            # nimbus: an SDK provider models.dev gives no API URL for.
            nimbus = ["--data", "with_example=false", "--data", "endpoint=https://api.nimbus.example/v1"]
            extra = nimbus if provider == "nimbus" else []
            copier(
                "copy", "--trust", "--defaults", "--vcs-ref", V1, "--data", f"provider={provider}",
                "--data", f"models_dev_provider={models_dev_id}", *extra, str(template), str(checkout),
                cwd=tmp, env=online,
            )  # fmt: skip
        commit(checkout, "acme and nimbus drivers (template v1)")
        rec.v1_answers = {p: answers(checkout, p) for p in PROVIDERS}
        rec.v1_driver = driver.read_text(encoding="utf-8")
        driver.write_text(hand_edit(rec.v1_driver), encoding="utf-8")
        commit(checkout, "acme: our own edits")
        rec.hand_edit_commit = git(checkout, "rev-parse", "HEAD").strip()

        # A clone where the hand edit collides with v2's change (both add template_revision at the end).
        clash = tmp / "clash"
        git(tmp, "clone", "-q", str(checkout), str(clash))
        (clash / driver.relative_to(checkout)).write_text(rec.v1_driver.rstrip("\n") + "\n" + CONFLICTING_TAIL)
        commit(clash, "acme: pin the revision by hand")
        rec.clash = clash

        # v1 -> v2, offline: no catalogue anywhere, models.dev refuses connections.
        offline = offline_env(tmp)
        rec.nimbus_before = nimbus_files(checkout)
        rec.pretend_digest_before = tree_digest(checkout)
        rec.pretend = update(checkout, "acme", offline, "--pretend")
        rec.pretend_digest_after = tree_digest(checkout)
        rec.acme_update = update(checkout, "acme", offline)
        rec.acme_changed = changed_paths(checkout)
        rec.nimbus_after_acme_update = nimbus_files(checkout)
        commit(checkout, "acme: template v2")
        rec.nimbus_update = update(checkout, "nimbus", offline)
        rec.nimbus_changed = changed_paths(checkout)
        commit(checkout, "nimbus: template v2")
        rec.v2_answers = {p: answers(checkout, p) for p in PROVIDERS}
        rec.offline_cache_created = (tmp / "models-dev-cache-offline").exists()

        rec.second_updates = {p: update(checkout, p, offline) for p in PROVIDERS}
        rec.status_after_second = status(checkout)

        # models.dev changes; an update without a refresh neither asks it nor changes anything.
        server.set_catalogue(changed_catalogue())
        later = copier_env(tmp, server.url, name="later", **SECRETS)
        requests_before = server.request_count
        rec.no_refresh = update(checkout, "acme", later)
        rec.status_after_no_refresh = status(checkout)
        rec.requests_without_refresh = server.request_count - requests_before

        rec.rates_before_refresh = (checkout / "prompture/infra/rates/acme.json").read_text(encoding="utf-8")
        rec.refresh = update(checkout, "acme", later, "--data", "refresh_models_dev=true")
        rec.requests_with_refresh = server.request_count - requests_before
        rec.refresh_changed = changed_paths(checkout)
        rec.refresh_answers = answers(checkout, "acme")
        rec.refresh_diff = git(checkout, "diff")
        commit(checkout, "acme: models.dev refreshed")
        rec.refresh_again = update(checkout, "acme", later, "--data", "refresh_models_dev=true")
        rec.status_after_refresh_again = status(checkout)

    # Dirty tree: refused, nothing touched.
    (checkout / "NOTES.txt").write_text("work in progress\n")
    driver.write_text(driver.read_text(encoding="utf-8") + "# unsaved thought\n", encoding="utf-8")
    rec.dirty_digest_before = tree_digest(checkout)
    rec.dirty_head_before = git(checkout, "rev-parse", "HEAD").strip()
    rec.dirty = update(checkout, "acme", offline_env(tmp))
    rec.dirty_digest_after = tree_digest(checkout)
    rec.dirty_head_after = git(checkout, "rev-parse", "HEAD").strip()
    git(checkout, "checkout", "--", str(driver.relative_to(checkout)))
    (checkout / "NOTES.txt").unlink()

    rec.clash_update = update(clash, "acme", offline_env(tmp))
    rec.clash_driver = (clash / driver.relative_to(checkout)).read_text(encoding="utf-8")
    rec.clash_unmerged = git(clash, "ls-files", "--unmerged").splitlines()
    rec.python = runtime_python(VERSION)
    return rec


def in_checkout(history, code: str, **env: str) -> str:
    environment = checkout_env(history.checkout, history.runtime_home, **SECRETS, **env)
    result = run_python(history.python, history.checkout, textwrap.dedent(code), environment)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


# ── 1. Two providers side by side, one answers file each ─────────────────────


def test_one_answers_file_per_provider_without_secrets(history):
    for provider, models_dev_id in PROVIDERS.items():
        path = history.checkout / f".copier-answers.{provider}.yml"
        text = path.read_text(encoding="utf-8")
        recorded = yaml.safe_load(text)
        assert recorded["provider"] == provider
        assert recorded["models_dev_provider"] == models_dev_id
        assert "models_dev_facts" not in recorded  # the facts are recorded once, in the rate file
        assert len(text.splitlines()) <= 80, text
        assert recorded["_commit"] == V2
        assert not any(secret in text for secret in SECRETS.values())
        assert "refresh_models_dev" not in recorded
    assert history.v1_answers["acme"]["_commit"] == history.v1_answers["nimbus"]["_commit"] == V1


# ── 2. Update to v2: template change, hand edit, new wiring step, other provider ──


def test_update_runs_offline_and_quietly(history):
    for result in (history.acme_update, history.nimbus_update, *history.second_updates.values()):
        assert_ok(result)
        assert WARNING not in result.stderr  # models.dev was not even looked for
    for result in (history.acme_update, history.nimbus_update):
        assert "Updating to template version 2.0.0" in result.stderr
    for result in history.second_updates.values():
        assert "Keeping template version 2.0.0" in result.stderr
    assert not history.offline_cache_created


def test_update_pretend_writes_nothing_and_previews_the_wiring(history):
    assert_ok(history.pretend)
    assert history.pretend_digest_after == history.pretend_digest_before
    assert "Wiring preview (--pretend: nothing was written)" in history.pretend.stderr
    assert "= plugin family: already there" in history.pretend.stderr
    assert "copier update --trust" not in history.pretend.stderr  # the preview replaces the next steps


def test_update_pretend_says_it_previews_only_the_wiring(history):
    """The wiring has nothing to do, yet the update changes the driver: the preview must not read as "nothing"."""
    preview = " ".join(history.pretend.stderr.split())
    assert "The wiring would change no file." in preview
    assert "This previews the wiring only. Copier may also change the rendered files" in preview
    assert "prompture/drivers/acme_driver.py, prompture/drivers/async_acme_driver.py" in preview
    assert "prompture/drivers/acme_driver.py" in history.acme_changed  # and the real update does change it


def test_the_update_ends_with_the_next_steps(history):
    assert "Edited: " in history.acme_update.stdout
    assert "python -m pytest tests/test_acme_driver.py -q" in history.acme_update.stderr
    assert "    copier update --trust --defaults -a .copier-answers.acme.yml" in history.acme_update.stderr


def test_v2_driver_change_and_the_hand_edit_both_survive(history):
    text = (history.checkout / "prompture/drivers/acme_driver.py").read_text(encoding="utf-8")
    assert HAND_NOTE in text and HAND_HELPER in text and V2_DRIVER_TAIL in text
    # Exactly v2's render with the user's edits on top: nothing lost, nothing doubled, no markers.
    assert text == hand_edit(history.v1_driver) + V2_DRIVER_TAIL


def test_added_wiring_step_runs_once_per_provider_and_only_in_the_checkout(history):
    claude = (history.checkout / "CLAUDE.md").read_text(encoding="utf-8").splitlines()
    for provider in PROVIDERS:
        assert claude.count(claude_mark(provider)) == 1
    # It ran in the checkout only (not in Copier's scratch copy of v2), and the second update found it there.
    assert history.acme_update.stdout.count("✓ CLAUDE.md mark for acme") == 1
    assert history.second_updates["acme"].stdout.count("= CLAUDE.md mark for acme: already there") == 1
    for result in (history.acme_update, history.nimbus_update, *history.second_updates.values()):
        assert result.stdout.count("= plugin family: already there") == 1  # the L4 wiring, likewise
    # The L4 wiring edits are not duplicated either.
    assert sum("acme" in line and "prompture/drivers/" in line for line in claude) == 1
    settings = (history.checkout / "prompture/infra/settings.py").read_text(encoding="utf-8")
    assert settings.count("acme_model:") == settings.count("nimbus_model:") == 1


def test_updating_one_provider_leaves_the_other_alone(history):
    assert not any("nimbus" in path for path in history.acme_changed), history.acme_changed
    assert history.nimbus_after_acme_update == history.nimbus_before
    assert not any("acme" in path and path != "CLAUDE.md" for path in history.nimbus_changed), history.nimbus_changed
    assert "prompture/drivers/acme_driver.py" in history.acme_changed
    assert "CLAUDE.md" in history.acme_changed  # the v2 wiring step


def test_migration_carries_the_renamed_answer(history):
    for provider in PROVIDERS:
        before, after = history.v1_answers[provider], history.v2_answers[provider]
        assert "with_example" not in after
        assert after["include_example"] == before["with_example"]
    assert history.v2_answers["nimbus"]["include_example"] is False  # not the default: carried, not re-defaulted
    assert (history.checkout / "examples/acme_example.py").is_file()
    assert not (history.checkout / "examples/nimbus_example.py").exists()
    for provider in PROVIDERS:  # everything else is as recorded
        before = {k: v for k, v in history.v1_answers[provider].items() if k not in ("_commit", "with_example")}
        after = {k: v for k, v in history.v2_answers[provider].items() if k not in ("_commit", "include_example")}
        assert after == before


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_spec_verification_commands_still_pass(history, provider):
    cls = provider.capitalize()
    assert in_checkout(history, f"from prompture import {cls}Driver; print('OK')").strip() == "OK"
    assert in_checkout(history, f"from prompture.drivers import Async{cls}Driver; print('OK')").strip() == "OK"
    registry = in_checkout(
        history,
        f"from prompture.drivers import get_driver_for_model; d = get_driver_for_model('{provider}/test');"
        " print(type(d).__name__, d.model)",
    )
    assert registry.strip() == f"{cls}Driver test"
    listing = in_checkout(
        history,
        f"""
        from prompture import get_available_models
        ms = [m for m in get_available_models() if m.startswith('{provider}/')]
        print(f'Found {{len(ms)}} models'); print(ms[:5])
        """,
        ACME_ENDPOINT="http://127.0.0.1:9/v1",
    )
    assert re.search(r"Found [1-9]\d* models", listing), listing
    revision = in_checkout(
        history, f"from prompture.drivers.{provider}_driver import template_revision as r; print(r())"
    )
    assert revision.strip() == "2"


def test_updated_files_are_ruff_clean(history):
    touched = sorted(p for p in history.acme_changed | history.nimbus_changed if p.endswith(".py"))
    assert "prompture/drivers/acme_driver.py" in touched
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *touched], cwd=history.checkout, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


# ── 3. Deterministic replays; refresh only when asked ────────────────────────


def test_second_update_is_a_no_op(history):
    for result in history.second_updates.values():
        assert_ok(result)
    assert history.status_after_second == []


def test_changed_catalogue_without_refresh_changes_nothing_and_is_not_fetched(history):
    assert_ok(history.no_refresh)
    assert history.status_after_no_refresh == []
    assert history.requests_without_refresh == 0


def test_a_refresh_with_nothing_new_changes_nothing(history):
    assert_ok(history.refresh_again)
    assert history.status_after_refresh_again == []


def test_refresh_brings_exactly_the_catalogue_change(history):
    assert_ok(history.refresh)
    assert history.requests_with_refresh >= 1
    # The facts live in the rate file alone: the answers file and the rendered tests (which read the
    # rate file when they run) are unchanged.
    assert history.refresh_changed == {"prompture/infra/rates/acme.json"}

    before = json.loads(history.rates_before_refresh)
    after = json.loads((history.checkout / "prompture/infra/rates/acme.json").read_text(encoding="utf-8"))
    assert set(after) - set(before) == {"acme-zeta-9"}
    assert {model for model in before if before[model] != after[model]} == {"acme-think-1"}
    assert before["acme-think-1"]["context_window"] != after["acme-think-1"]["context_window"] == 256000

    recorded = history.refresh_answers
    assert recorded == history.v2_answers["acme"]
    new_facts = facts_module.provider_facts(json.loads(changed_catalogue()), "acme-ai")
    expected = facts_module.rate_file_text(new_facts, recorded["default_model"], 0, 0, recorded["api_style"], "acme")
    assert json.loads(expected) == after


# ── 4. Conflicts the Copier way; a dirty tree is refused ─────────────────────


def test_a_conflicting_hand_edit_ends_as_an_inline_conflict(history):
    assert_ok(history.clash_update)
    text = history.clash_driver
    assert "<<<<<<< before updating" in text and ">>>>>>> after updating" in text
    start, end = text.index("<<<<<<< before updating"), text.index(">>>>>>> after updating")
    conflict = text[start:end]
    assert '"""Pinned by hand."""' in conflict and "return 1" in conflict  # the user's side is kept...
    assert "return 2" in conflict  # ...next to the template's
    assert any(line.endswith("prompture/drivers/acme_driver.py") for line in history.clash_unmerged)


def test_update_on_a_dirty_tree_is_refused_before_anything_changes(history):
    assert history.dirty.returncode != 0
    assert "dirty" in history.dirty.stderr.lower()
    assert history.dirty_digest_after == history.dirty_digest_before
    assert history.dirty_head_after == history.dirty_head_before

"""Telling Copier's scratch replays from the user's checkout, and carrying answers across a renamed question.

The end-to-end behaviour is in test_update.py; these pin the rules themselves, and that a
`copier copy` into a folder that is not a Prompture checkout still fails loudly even when
the answers look recorded.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from scaffolding import questionnaire
from scaffolding.replay import is_replayed_questionnaire, is_update_replay
from support.copier_cli import TEMPLATE_DIR, run_copier
from support.prompture_runtime import checkout_env
from support.template_repo import git, snapshot_template

ANSWERS = ".copier-answers.acme.yml"
MIGRATE = TEMPLATE_DIR / "extensions" / "migrate_answers.py"
WIRE = TEMPLATE_DIR / "extensions" / "wire_checkout.py"


# ── At question time ─────────────────────────────────────────────────────────


def test_questionnaire_replay_needs_a_recorded_layout_and_an_empty_destination(tmp_path):
    empty, missing, full = tmp_path / "empty", tmp_path / "missing" / "sub", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (full / "pyproject.toml").write_text("")
    assert is_replayed_questionnaire(empty, "L4")
    assert is_replayed_questionnaire(missing, "L4")
    assert not is_replayed_questionnaire(full, "L4")  # the real destination of an update is never empty
    assert not is_replayed_questionnaire(empty, "")  # a first copy has no recorded layout
    assert not is_replayed_questionnaire(empty, None)


def test_provider_check_skips_the_checkout_only_in_a_replay(tmp_path):
    assert questionnaire.provider_problem("acme", tmp_path, "L4") == ""
    assert "not a Prompture checkout" in questionnaire.provider_problem("acme", tmp_path)
    assert "not a valid provider name" in questionnaire.provider_problem("Acme", tmp_path, "L4")  # names still checked


def test_models_dev_is_read_on_a_copy_and_on_a_refresh_in_the_checkout_only(tmp_path):
    checkout, scratch = tmp_path / "checkout", tmp_path / "scratch"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("")
    assert questionnaire.reads_models_dev(False, checkout, "L4")  # a copy: no recorded answers in the context
    assert not questionnaire.reads_models_dev(True, checkout, "L4")  # an update replays recorded answers
    assert questionnaire.reads_models_dev(True, checkout, "L4", refresh=True)
    assert not questionnaire.reads_models_dev(True, scratch, "L4", refresh=True)  # Copier's scratch render
    assert not questionnaire.reads_models_dev(False, scratch, "L4")


def test_recorded_answers_are_told_from_answers_given_with_data():
    def context(**answers):
        return {"_copier_conf": {"data": answers.pop("data", {})}, **answers}

    assert not questionnaire.replays_answers(context(provider="acme"))  # a copy, before class_prefix is asked
    assert questionnaire.replays_answers(context(provider="acme", class_prefix="Acme"))  # from the answers file
    assert not questionnaire.replays_answers(context(class_prefix="Acme", data={"class_prefix": "Acme"}))


# Filters, globals and values that read models.dev or the destination folder. Copier renders the old
# template into an empty scratch folder during an update, so a render using any of them would
# differ between the replay and the checkout (or need the network): renders read recorded answers.
NOT_IN_RENDERS = re.compile(
    r"models_dev_guess|models_dev_facts|detected_layout|dst_path|wiring_problem|models_dev_problem"
)


def test_renders_read_only_recorded_answers():
    rendered = [path for path in (TEMPLATE_DIR / "template").rglob("*") if path.is_file()]
    assert rendered
    for path in rendered:
        relative = path.relative_to(TEMPLATE_DIR).as_posix()
        assert not NOT_IN_RENDERS.search(relative), relative
        assert not NOT_IN_RENDERS.search(path.read_text(encoding="utf-8")), relative


# ── At task time ─────────────────────────────────────────────────────────────


def test_wire_task_skips_only_copier_scratch_copies(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / ANSWERS).write_text("provider: acme\n")
    assert is_update_replay("update", scratch, ANSWERS)  # not a git repo yet: Copier inits it after the tasks
    assert not is_update_replay("copy", scratch, ANSWERS)
    git(scratch, "init", "-q")
    assert is_update_replay("update", scratch, ANSWERS)  # untracked answers: still not the user's checkout
    git(scratch, "add", "-A")
    git(scratch, "commit", "-qm", "answers")
    assert not is_update_replay("update", scratch, ANSWERS)  # tracked answers: the user's checkout


@pytest.mark.parametrize(("operation", "code"), [("update", 0), ("copy", 1)])
def test_wire_checkout_script_in_a_scratch_folder(tmp_path, operation, code):
    (tmp_path / ANSWERS).write_text("provider: acme\n")
    result = subprocess.run(
        [sys.executable, str(WIRE), f"--copier-operation={operation}", ANSWERS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == code, result.stdout + result.stderr
    assert (result.stdout + result.stderr == "") == (code == 0)  # skipped silently, or failed loudly


def test_copy_with_a_forged_recorded_layout_into_a_plain_folder_still_fails_loudly(tmp_path):
    template = snapshot_template(tmp_path / "template")
    folder = tmp_path / "plain"
    folder.mkdir()
    env = checkout_env(tmp_path, tmp_path / "home", MODELS_DEV_OFFLINE="1", MODELS_DEV_CACHE_DIR=str(tmp_path / "c"))
    env.pop("PYTHONPATH")
    result = run_copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "provider=acme",
        "--data", "models_dev_provider=", "--data", "prompture_layout=L4", "--data", "default_model=acme-1",
        "--data", "endpoint=https://api.acme.example/v1", "--data", "price_input=0.5", "--data", "price_output=1.5",
        str(template), str(folder), cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert "wiring failed" in result.stderr
    assert "not a Prompture checkout" in result.stderr


# ── Carrying answers across a renamed or split question ──────────────────────


def migrate(path: Path, *renames: str) -> subprocess.CompletedProcess:
    args = [arg for rename in renames for arg in ("--rename", rename)]
    return subprocess.run([sys.executable, str(MIGRATE), str(path), *args], capture_output=True, text=True)


def test_migration_renames_splits_keeps_header_and_is_idempotent(tmp_path):
    path = tmp_path / ANSWERS
    path.write_text(
        "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
        "_commit: v1.0.0\n_src_path: /t\nprovider: acme\nwith_example: false\nsupports_json: true\n"
        "json_mode: false\n"
    )
    result = migrate(path, "with_example=include_example", "supports_json=json_mode,json_schema")
    assert result.returncode == 0, result.stderr
    text = path.read_text()
    assert text.startswith("# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n")
    assert yaml.safe_load(text) == {
        "_commit": "v1.0.0",
        "_src_path": "/t",
        "provider": "acme",
        "include_example": False,
        "json_mode": False,  # already answered: kept
        "json_schema": True,
    }
    assert "with_example -> include_example: False" in result.stdout
    again = migrate(path, "with_example=include_example", "supports_json=json_mode,json_schema")
    assert again.returncode == 0 and again.stdout == "" and path.read_text() == text


@pytest.mark.parametrize("bad", ["with_example", "=new", "old=", "_commit=x"])
def test_migration_refuses_malformed_renames(tmp_path, bad):
    path = tmp_path / ANSWERS
    path.write_text("provider: acme\n")
    result = migrate(path, bad)
    assert result.returncode == 2
    assert path.read_text() == "provider: acme\n"

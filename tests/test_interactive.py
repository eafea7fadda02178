"""The questionnaire as a person answers it: the real ``copier copy`` at an 80-column pseudo-terminal.

On the 1.15.1 pin, with the local models.dev stand-in (or none reachable):

(a) typing only a provider models.dev lists, then Enter at every prompt, wires the driver and
    leaves the checkout byte-identical to the ``--defaults`` run with the same provider;
(b) a provider models.dev does not list, with models.dev unreachable: the endpoint, the
    default model and the prices are asked with no default, and no placeholder is written;
(c) a wrong answer at ``provider``, ``endpoint`` and ``brand_color`` shows its message and is
    asked again;
(d) Ctrl-C midway leaves the checkout byte-identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support.copier_cli import copier_env, run_copier, tree_digest
from support.models_dev_server import refused_url
from support.template_repo import git
from support.terminal import Questionnaire

pytestmark = pytest.mark.e2e

VERSION = "1.15.1"
LISTED = "acme_ai"  # models.dev id "acme-ai" in tests/fixtures/models-dev.json (guessed from the key)
UNLISTED = "zephyr"
PLACEHOLDERS = ("example.com", "example.org", "example.net", "your-endpoint", "changeme")


def fresh_checkout(pristine: Path, destination: Path) -> Path:
    """A copy of the sdist, committed to git as a real checkout is."""
    shutil.copytree(pristine, destination, symlinks=True)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", "sdist")
    return destination


def offline_env(tmp: Path) -> dict[str, str]:
    """No models.dev anywhere: a refused URL, an empty cache, no Prompture cache under HOME."""
    env = copier_env(tmp, refused_url())
    assert not (tmp / "home" / ".prompture").exists()
    return env


def added_lines(checkout: Path) -> list[str]:
    """Every line the copy added: the diff's + lines and the new files' lines."""
    git(checkout, "add", "-A")
    diff = git(checkout, "diff", "--cached", "--no-color", "-U0")
    return [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]


# ── (a) Enter through: the same checkout as --defaults ────────────────────────


def test_enter_through_a_listed_provider_wires_it_like_defaults(template_repo, pristine, models_dev, tmp_path):
    env = copier_env(tmp_path, models_dev.url)
    typed = fresh_checkout(pristine, tmp_path / "typed")

    with Questionnaire.start(template_repo, typed, env) as tui:
        tui.answer("provider", LISTED)
        asked = tui.enter_through()
    assert tui.exit_status == 0, tui.output[-3000:]
    assert asked[0] == "models_dev_provider"
    assert {"class_prefix", "endpoint", "default_model", "brand_color"} <= set(asked)
    assert "price_input" not in asked  # models.dev's facts price the models
    assert "✓ plugin family" in tui.output and "Next, in" in tui.output

    defaults = fresh_checkout(pristine, tmp_path / "defaults")
    args = ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", f"provider={LISTED}"]
    result = run_copier(*args, str(template_repo), str(defaults), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr

    answers = yaml.safe_load((typed / f".copier-answers.{LISTED}.yml").read_text())
    assert answers["models_dev_provider"] == "acme-ai" and answers["default_model"] == "acme-chat-1"
    assert tree_digest(typed) == tree_digest(defaults)
    assert git(typed, "status", "--porcelain") == git(defaults, "status", "--porcelain") != ""


# ── (b) offline, a provider models.dev does not list ──────────────────────────


def test_offline_an_unlisted_provider_is_asked_for_what_models_dev_would_give(
    template_repo, pristine, models_dev, tmp_path
):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")

    with Questionnaire.start(template_repo, checkout, offline_env(tmp_path)) as tui:
        tui.answer("provider", UNLISTED)
        tui.expect_text("models.dev unreachable (")
        tui.answer("models_dev_provider", "")
        for key, typed_empty_says, value in (
            ("endpoint", "'' is not a usable endpoint", "https://api.zephyr.dev/v1"),
            ("default_model", "A default model id is required", "zephyr-chat-2"),
            ("price_input", "", "0.3"),
            ("price_output", "", "1.2"),
        ):
            # Enter is refused: there is no default to take (a default would be taken and the next prompt shown).
            tui.enter_through_to(key)
            tui.enter()
            if typed_empty_says:
                tui.expect_refusal(key, typed_empty_says)
            else:
                tui.expect_text("Invalid input")  # Copier's own check of a number
            tui.retype(value)
        tui.enter_through()
    assert tui.exit_status == 0, tui.output[-3000:]

    answers = yaml.safe_load((checkout / f".copier-answers.{UNLISTED}.yml").read_text())
    assert "models_dev_facts" not in answers and answers["models_dev_provider"] == ""
    assert answers["endpoint"] == "https://api.zephyr.dev/v1"
    assert answers["key_check_url"] == "https://api.zephyr.dev/v1/models"
    assert answers["brand_domain"] == "zephyr.dev"
    rates = json.loads((checkout / f"prompture/infra/rates/{UNLISTED}.json").read_text())
    assert rates == {"zephyr-chat-2": rates["zephyr-chat-2"]}
    assert rates["zephyr-chat-2"]["cost"] == {"input": 0.3, "output": 1.2}
    added = added_lines(checkout)
    assert any("https://api.zephyr.dev/v1" in line for line in added)
    assert [line for line in added if any(p in line for p in PLACEHOLDERS)] == []


# ── (c) a wrong answer is shown and asked again ───────────────────────────────


def test_a_wrong_answer_shows_its_message_and_is_asked_again(template_repo, pristine, models_dev, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = tree_digest(checkout)

    with Questionnaire.start(template_repo, checkout, copier_env(tmp_path, models_dev.url)) as tui:
        assert tui.next_prompt() == "provider"
        tui.enter()
        tui.expect_refusal("provider", "A provider name is required")
        # At 80 columns Copier's validation line shows the start of the message.
        tui.retype("Acme AI")
        tui.expect_refusal("provider", '"Acme AI" is not a valid provider')
        tui.retype("moonshot")
        tui.expect_refusal("provider", "Prompture already has a provider")
        tui.retype("kestrel")
        tui.enter_through_to("endpoint")  # kestrel is not on models.dev: no endpoint to offer
        tui.retype("kestrel")
        tui.expect_refusal("endpoint", "'kestrel' is not a usable endpoint")
        tui.retype("https://api.kestrel.dev/v1")
        tui.enter_through_to("brand_color", {"default_model": "kestrel-1", "price_input": "0", "price_output": "0"})
        tui.retype("blue")
        tui.expect_refusal("brand_color", "'blue' is not a hex color")
        tui.retype("#1e40af")
        tui.expect_text("Rendered:")
        tui.enter_through()
    assert tui.exit_status == 0, tui.output[-3000:]
    assert tree_digest(checkout) != before
    answers = yaml.safe_load((checkout / ".copier-answers.kestrel.yml").read_text())
    assert (answers["endpoint"], answers["brand_color"]) == ("https://api.kestrel.dev/v1", "#1e40af")
    branding = (checkout / "prompture/drivers/provider_branding.py").read_text()
    assert '"1E40AF"' in branding


# ── (d) Ctrl-C midway ─────────────────────────────────────────────────────────


def test_ctrl_c_midway_leaves_the_checkout_byte_identical(template_repo, pristine, models_dev, tmp_path):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before, status = tree_digest(checkout), git(checkout, "status", "--porcelain", "--untracked-files=all")

    with Questionnaire.start(template_repo, checkout, copier_env(tmp_path, models_dev.url)) as tui:
        tui.answer("provider", LISTED)
        tui.enter_through_to("default_model")
        tui.interrupt()
    assert tui.exit_status != 0
    assert "Execution stopped by user" in tui.output
    assert tree_digest(checkout) == before
    assert git(checkout, "status", "--porcelain", "--untracked-files=all") == status == ""
    assert subprocess.run(["git", "stash", "list"], cwd=checkout, capture_output=True, text=True).stdout == ""

"""The provider-list steps on small files shaped like Prompture's (the real releases: tests/test_copy_layouts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scaffolding.layouts import L4
from scaffolding.transaction import Transaction
from scaffolding.wiring import Answers, Context
from scaffolding.wiring.provider_lists import step_driver_reference, step_issue_template, step_readme_providers

README = """\
# Prompture

- **12 providers** — OpenAI, Claude, Ollama, and generic HTTP

## Providers

| Provider | Example Model | Cost |
|---|---|---|
| `openai` | `openai/gpt-4` | Automatic |
| `ollama` | `ollama/llama3.1:8b` | Free (local) |

<details>

| Provider | Example Model | Cost |
|---|---|---|
| `moonshot` | `moonshot/kimi-k2` | Automatic |
| `lmstudio` | `lmstudio/local-model` | Free (local) |
| `local_http` | `local_http/self-hosted` | Free |
| `runway` | `runway/gen4.5` (video) | Automatic |

</details>
"""

ISSUE_TEMPLATE = """\
name: Provider / Driver Bug
body:
  - type: dropdown
    id: provider
    attributes:
      label: Provider
      options:
        - openai
        - claude (Anthropic)
        - moonshot
        - other
    validations:
      required: true
"""

REFERENCE = """\
## Existing Drivers for Reference

| Driver | File | SDK | Auth | models.dev |
|--------|------|-----|------|------------|
| OpenAI | `openai_driver.py` | `openai` | API key | `openai` |
| Moonshot | `moonshot_driver.py` | `requests` | API key + endpoint | `moonshotai` |
| Ollama | `ollama_driver.py` | `requests` | Endpoint URL | — |
| AirLLM | `airllm_driver.py` | `airllm` (lazy) | None (local) | — |
"""

STEPS = (step_readme_providers, step_issue_template, step_driver_reference)


def answers(**changes) -> Answers:
    fields = dict(
        provider="acme",
        class_prefix="Acme",
        display_name="Acme AI",
        api_style="openai_compatible",
        auth="api_key",
        default_model="acme-chat-1",
        api_key_env="ACME_API_KEY",
        models_dev_provider="acme-ai",
    )
    return Answers(**{**fields, **changes})


def checkout(tmp_path: Path, **texts: str) -> Path:
    for kind, text in texts.items():
        file = tmp_path / L4.path(kind)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    return tmp_path


def run(root: Path, a: Answers) -> tuple[dict[str, str], list[str]]:
    """Stage the three steps; the staged texts by kind and the summary lines."""
    tx = Transaction(root)
    ctx = Context(root, L4, a, tx)
    lines = [step(ctx).line() for step in STEPS]
    texts = {
        kind: tx.text(L4.path(kind))
        for kind in ("readme", "issue_template", "driver_reference")
        if (root / L4.path(kind)).is_file()
    }
    return texts, lines


def added(before: str, after: str) -> list[str]:
    old = before.splitlines()
    return [line for line in after.splitlines() if line not in old]


def test_a_keyed_provider_joins_the_priced_rows_of_the_full_table_and_the_feature_line(tmp_path):
    root = checkout(tmp_path, readme=README)
    texts, _ = run(root, answers())
    lines = texts["readme"].splitlines()
    row = "| `acme` | `acme/acme-chat-1` | Automatic |"
    assert lines.index(row) == lines.index("| `moonshot` | `moonshot/kimi-k2` | Automatic |") + 1
    assert "- **13 providers** — OpenAI, Claude, Ollama, Acme AI, and generic HTTP" in lines
    assert len(added(README, texts["readme"])) == 2


def test_an_endpoint_only_provider_follows_the_last_free_row(tmp_path):
    root = checkout(tmp_path, readme=README)
    texts, _ = run(root, answers(auth="endpoint", api_key_env=None))
    lines = texts["readme"].splitlines()
    assert (
        lines.index("| `acme` | `acme/acme-chat-1` | Free |")
        == lines.index("| `local_http` | `local_http/self-hosted` | Free |") + 1
    )


def test_an_open_ended_count_is_kept(tmp_path):
    root = checkout(tmp_path, readme=README.replace("**12 providers**", "**20+ providers**"))
    texts, _ = run(root, answers())
    assert "- **20+ providers** — OpenAI, Claude, Ollama, Acme AI, and generic HTTP" in texts["readme"]


def test_the_dropdown_gets_the_provider_before_other(tmp_path):
    root = checkout(tmp_path, issue_template=ISSUE_TEMPLATE)
    texts, _ = run(root, answers())
    assert added(ISSUE_TEMPLATE, texts["issue_template"]) == ["        - acme"]
    lines = texts["issue_template"].splitlines()
    assert lines.index("        - acme") + 1 == lines.index("        - other")


def test_the_reference_table_row_follows_the_same_kind_of_auth(tmp_path):
    root = checkout(tmp_path, driver_reference=REFERENCE)
    texts, _ = run(root, answers(auth="api_key_and_endpoint", endpoint="https://api.acme.test/v1"))
    lines = texts["driver_reference"].splitlines()
    row = "| Acme AI | `acme_driver.py` | `httpx` | API key + endpoint | `acme-ai` |"
    assert (
        lines.index(row)
        == lines.index("| Moonshot | `moonshot_driver.py` | `requests` | API key + endpoint | `moonshotai` |") + 1
    )


def test_a_custom_sdk_names_its_package_and_an_unlisted_provider_has_no_models_dev_id(tmp_path):
    root = checkout(tmp_path, driver_reference=REFERENCE)
    texts, _ = run(root, answers(api_style="custom_sdk", sdk_package="acme-sdk", models_dev_provider=None))
    assert "| Acme AI | `acme_driver.py` | `acme-sdk` | API key | — |" in texts["driver_reference"]


def test_a_second_run_adds_nothing(tmp_path):
    root = checkout(tmp_path, readme=README, issue_template=ISSUE_TEMPLATE, driver_reference=REFERENCE)
    first, _ = run(root, answers())
    for kind, text in first.items():
        (root / L4.path(kind)).write_text(text, encoding="utf-8")
    second, lines = run(root, answers())
    assert second == first
    assert all(line.startswith("= ") for line in lines), lines


def test_an_entry_a_maintainer_wrote_differently_is_kept(tmp_path):
    readme = README.replace("| `moonshot` |", "| `acme` | `acme/acme-pro` | Automatic |\n| `moonshot` |")
    root = checkout(tmp_path, readme=readme.replace("Ollama, and", "Ollama, Acme AI, and"))
    texts, lines = run(root, answers())
    assert texts["readme"] == readme.replace("Ollama, and", "Ollama, Acme AI, and")
    assert lines[0] == "= README provider table: already there"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        ({}, "this release has no README.md"),
        ({"readme": "# Prompture\n\nNo table here.\n"}, "it has no 'Provider | Example Model | Cost' table"),
    ],
)
def test_a_missing_file_or_list_is_not_applicable_and_changes_nothing(tmp_path, texts, expected):
    root = checkout(tmp_path, **texts)
    staged, lines = run(root, answers())
    assert lines[0] == f"– README provider table: not applicable ({expected})"
    assert staged == texts
    assert lines[1].startswith("– issue template provider list: not applicable (this release has no ")


def test_a_pipe_in_a_name_does_not_break_the_table(tmp_path):
    root = checkout(tmp_path, driver_reference=REFERENCE)
    texts, _ = run(root, answers(display_name="Acme | Labs"))
    assert "| Acme \\| Labs | `acme_driver.py` |" in texts["driver_reference"]

#!/usr/bin/env python3
"""Write the questionnaire reference (docs/questionnaire.md) from copier.yml, so the two cannot drift.

    python scripts/questionnaire_reference.py          # rewrite the section in docs/questionnaire.md
    python scripts/questionnaire_reference.py --check  # exit 1 when docs/questionnaire.md is stale

The table sits between the markers below; everything else in docs/questionnaire.md is left alone.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- questionnaire:start -->", "<!-- questionnaire:end -->"

# Where a default comes from, by the filter or global its expression uses.
# A default using anything not listed here stops the script: say where it comes from.
DEFAULT_SOURCES = {
    "models_dev_guess": "models.dev: the provider id when models.dev lists it",
    "models_dev_facts": "models.dev: the provider's record, fetched once",
    "models_dev_facts.provider.name": "models.dev: the provider's `name`, else `class_prefix`",
    "detected_layout": "detected from the checkout's files",
    "detected_helpers": "detected from the checkout's files",
    "default_class_prefix": "`provider` in CamelCase",
    "default_api_style": "models.dev: the provider's npm package and API URL",
    "default_auth": "models.dev: the provider's API URL and env variables",
    "default_api_key_env": "models.dev: the provider's `env`",
    "default_endpoint": "models.dev: the provider's `api`",
    "default_model": "models.dev: newest tool-capable, non-deprecated text model",
    "provider_flag": "models.dev: yes when any of the provider's models has it",
    "default_key_check_url": "`endpoint` + `/models` for OpenAI-compatible APIs, else empty",
    "default_brand_domain": "registrable domain (public suffix rules) of the endpoint, else `doc`; empty if local",
}
_FILTER_OR_CALL = re.compile(r"(models_dev_facts(?:\.\w+)+)|\|\s*(\w+)|(\w+)\(")


def default_source(default: object, help_text: str = "") -> str:
    """Describe where a question's default comes from (an empty default is optional when the help says so)."""
    if default == "":
        return "empty (optional)" if "empty" in help_text.lower() else "none: required"
    if not isinstance(default, str) or "{{" not in default:
        return f"`{default!r}`" if not isinstance(default, bool) else ("yes" if default else "no")
    names = [name for pair in _FILTER_OR_CALL.findall(default) for name in pair if name]
    known = [DEFAULT_SOURCES[name] for name in names if name in DEFAULT_SOURCES]
    if known:
        return known[0]
    unknown = [name for name in names if name not in {"replace", "upper", "lower", "default", "tojson"}]
    if unknown:
        raise SystemExit(f"copier.yml: say in DEFAULT_SOURCES where {', '.join(unknown)} comes from")
    return "derived from earlier answers: `" + default.replace("|", "\\|") + "`"


def asked_when(details: dict) -> str:
    if details.get("ask") is False:
        return "never (recorded)"
    when = details.get("when")
    if when is None:
        return "always"
    if when is False:
        return "never (`--data` only, not recorded)"
    return "`" + str(when).strip("{} ").replace("|", "\\|") + "`"


def reference_table(questions: dict[str, dict]) -> str:
    rows = ["| key | type | asked | default from | what |", "|---|---|---|---|---|"]
    for key, details in questions.items():
        help_text = " ".join(str(details.get("help", "")).split())
        help_text = re.sub(r"\{%.*?%\}.*?\{%.*?%\}", "", help_text).replace("|", "\\|").strip()
        choices = details.get("choices")
        if isinstance(choices, dict):
            help_text += " Choices: " + ", ".join(f"`{value}`" for value in choices.values()) + "."
        rows.append(
            f"| `{key}` | {details.get('type', 'str')} | {asked_when(details)} "
            f"| {default_source(details.get('default'), help_text)} | {help_text} |"
        )
    return "\n".join(rows)


def questions() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {key: value for key, value in config.items() if not key.startswith("_")}


def updated_readme(readme: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"docs/questionnaire.md: add the markers {START} and {END} where the table goes")
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{reference_table(questions())}\n{END}{after}"


def main(argv: list[str]) -> int:
    path = ROOT / "docs" / "questionnaire.md"
    current = path.read_text(encoding="utf-8")
    wanted = updated_readme(current)
    if "--check" in argv:
        if current != wanted:
            print("docs/questionnaire.md is stale: run python scripts/questionnaire_reference.py")
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

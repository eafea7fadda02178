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
from generated_page import write_or_check

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
    "ruff_line_length": "the checkout's ruff `line-length` (ruff.toml, pyproject.toml), else ruff's 88",
    "default_class_prefix": "`provider` in CamelCase",
    "default_api_style": "models.dev: the provider's npm package and API URL",
    "default_auth": "models.dev: the provider's API URL and env variables",
    "default_api_key_env": "models.dev: the provider's `env`",
    "default_endpoint": "models.dev: the provider's `api`, `${VAR}` parts kept; else none (asked)",
    "default_model": "models.dev: newest tool-capable, non-deprecated text model; else none (asked)",
    "no_default": "none (asked)",
    "default_sdk_min_version": "a known SDK's first usable release (`openai`: 1.0), else `0.1.0`",
    "provider_flag": "models.dev: yes when any of the provider's models has it",
    "default_key_check_url": "`endpoint` + `/models` for OpenAI-compatible APIs without `${VAR}` parts, else empty",
    "default_brand_domain": "registrable domain (public suffix rules) of the endpoint, else `doc`; empty if local",
}
# What the README adds to a question's one-line help (copier.yml keeps each help to one 80-column line).
DETAILS = {
    "provider": 'The registry name and the prefix of "provider/model" ids; it must be new in the checkout.',
    "models_dev_provider": "See https://models.dev. Empty: the endpoint, default model and prices are asked.",
    "lazy_import": "Yes: `pip install prompture[<provider>]` installs it; no: a hard dependency of Prompture.",
    "api_key_env": (
        "It must be new in the checkout, unless models.dev names it for this provider: a regional variant may "
        "read its vendor's key (`.env.copy` then keeps the one line, and both providers read it)."
    ),
    "endpoint": (
        "`${NAME}` parts (an account id, a host) are filled in by the driver from the variable `NAME` when it "
        "starts, else from `.env` through Prompture's settings; a missing one is named before any request. "
        "Settings get a field and `.env.copy` a line for each (none when another provider has it already)."
    ),
    "default_model": (
        "The model used when a call names none. The prompt shows how many models models.dev lists and the "
        "best ids that fit the line."
    ),
    "supports_messages": "Every API style renders every capability; a no removes the method and its tests.",
    "supports_vision": (
        'Images come inside chat messages; without generate_messages Prompture would flatten them to "[image]".'
    ),
    "with_tests": (
        "Offline pytest tests of both drivers against a fake provider server on 127.0.0.1 (no network, no API "
        "key), covering only the capabilities answered yes."
    ),
    "provider_env_fields": "In prompture/infra/provider_env.py, so one app can give each consumer its own key.",
    "canonical_name": "What `provider_for_model(..., canonical=True)` returns. Empty: the map is left alone.",
    "key_check_url": (
        "The provider's cheapest authenticated read, e.g. a model listing (prompture/infra/provider_keys.py). "
        "Empty: no live check, the key is saved unchecked."
    ),
    "brand": "In prompture/drivers/provider_branding.py, for apps that show providers.",
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
        help_text = "" if "{{" in help_text else help_text  # a help rendered from the answers: see DETAILS
        if help_text and help_text[-1] not in ".?!":
            help_text += "."
        help_text = " ".join(filter(None, [help_text, DETAILS.get(key, "")])).replace("|", "\\|")
        choices = details.get("choices")
        if isinstance(choices, dict):
            help_text += " Choices: " + ", ".join(f"`{value}`" for value in choices.values()) + "."
        rows.append(
            f"| `{key}` | {details.get('type', 'str')} | {asked_when(details)} "
            f"| {default_source(details.get('default'), help_text)} | {help_text} |"
        )
    rows += ["", RULES]
    return "\n".join(rows)


#: The rules the `asked` column names (extensions/scaffolding/names.py states them once).
RULES = (
    "In the `asked` column, `has_api_key(auth)` is every auth but `endpoint`. `endpoint` is asked for every "
    "auth and style: a key only goes to an endpoint the answers name "
    "(for `custom_sdk` too: the SDK's client is built for it, never for the SDK's own default host)."
)


def questions() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    found = {key: value for key, value in config.items() if not key.startswith("_")}
    stale = sorted(set(DETAILS) - set(found))
    if stale:
        raise SystemExit(f"scripts/questionnaire_reference.py: DETAILS names no question {', '.join(stale)}")
    return found


def updated_readme(readme: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"docs/questionnaire.md: add the markers {START} and {END} where the table goes")
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{reference_table(questions())}\n{END}{after}"


def main(argv: list[str]) -> int:
    path = ROOT / "docs" / "questionnaire.md"
    fresh = updated_readme(path.read_text(encoding="utf-8"))
    return write_or_check(
        path, fresh, check="--check" in argv, what="docs/questionnaire.md",
        command="python scripts/questionnaire_reference.py",
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

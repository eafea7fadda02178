"""The questionnaire reference (docs/questionnaire.md) is generated from copier.yml and must match it."""

from __future__ import annotations

from pathlib import Path

from support.doc_scripts import check_page, load_script

ROOT = Path(__file__).resolve().parents[1]


def test_readme_reference_matches_copier_yml():
    result = check_page("questionnaire_reference")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_question_has_a_row_and_a_stale_row_is_detected():
    script = load_script("questionnaire_reference")
    readme = (ROOT / "docs" / "questionnaire.md").read_text(encoding="utf-8")
    for key in script.questions():
        assert f"| `{key}` |" in readme
    stale = readme.replace("| `provider` | str |", "| `provider` | int |")
    assert stale != readme
    assert script.updated_readme(stale) == readme


def test_every_help_fits_one_80_column_line():
    """Copier prints a help after its prompt mark (two columns) and a space: 77 columns are left."""
    script = load_script("questionnaire_reference")
    for key, details in script.questions().items():
        help_text = str(details.get("help", ""))
        assert "\n" not in help_text.strip(), key
        if "{{" in help_text:  # rendered from the answers: default_model's, checked in tests/test_facts.py
            assert help_text == "{{ models_dev_facts | default_model_help }}", key
            continue
        assert 0 < len(help_text) <= 77, (key, len(help_text))

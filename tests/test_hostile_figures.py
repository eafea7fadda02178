"""The hostile-input figures (docs/hostile-input.md) are counted from the marked test cases and must match them."""

from __future__ import annotations

from pathlib import Path

from support.doc_scripts import check_page, load_script

ROOT = Path(__file__).resolve().parents[1]


def test_readme_figures_match_the_marked_cases():
    result = check_page("hostile_figures")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_figures_count_every_parametrized_case_and_a_stale_table_is_detected():
    import test_hostile_checkout
    import test_hostile_questionnaire

    script = load_script("hostile_figures")
    cases = script.collect()
    questionnaire_refused = [c for c in cases if c[1:3] == ("questionnaire", "refused")]
    module = test_hostile_questionnaire
    expected = len(module.REFUSED) + len(module.COPIER_CASES) + len(module.COPIER_OWN_CHECKS) + 1
    assert len(questionnaire_refused) == expected  # + the example-file case
    checkout_refused = [c for c in cases if c[1:3] == ("target checkout", "refused")]
    assert len(checkout_refused) == len(test_hostile_checkout.REFUSALS) + 1  # + the missing folder
    readme = (ROOT / "docs" / "hostile-input.md").read_text(encoding="utf-8")
    block = script.figures(cases)
    assert block in readme
    stale = readme.replace(block, block.replace("| questionnaire |", "| questionnaire | 1 |", 1))
    assert script.updated_readme(stale, block) == readme

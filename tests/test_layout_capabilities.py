"""The capability table of docs/layouts.md is written from the layout data and must match it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from scaffolding import layouts
from support.doc_scripts import check_page, load_script

ROOT = Path(__file__).resolve().parents[1]


def test_the_table_matches_the_layout_data():
    result = check_page("layout_capabilities")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stale_cell_is_detected_and_rewritten(monkeypatch):
    script = load_script("layout_capabilities")
    page = (ROOT / "docs" / "layouts.md").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if line.startswith("| `effort` / `reasoning_effort` |"))
    assert row.startswith("| `effort` / `reasoning_effort` | no | no | no | yes |"), row
    # A pin that gains a helper flips its cell.
    l3 = dataclasses.replace(layouts.L3, pin_helpers=(*layouts.L3.pin_helpers, "effort"))
    monkeypatch.setattr(script, "LAYOUTS", (layouts.L4, l3, layouts.L2, layouts.L1))
    fresh = script.updated_page(page)
    assert "| `effort` / `reasoning_effort` | no | no | yes | yes |" in fresh
    assert fresh != page


def test_a_helper_without_a_row_stops_the_script(monkeypatch):
    script = load_script("layout_capabilities")
    monkeypatch.setattr(script, "RELEASE_HELPERS", {**layouts.RELEASE_HELPERS, "new_helper": ()})
    with pytest.raises(SystemExit, match="new_helper"):
        script.table()

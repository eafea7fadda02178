"""Count the hostile-input and fault cases and write the figures into docs/hostile-input.md.

    python scripts/hostile_figures.py            # print the figures
    python scripts/hostile_figures.py --write    # update docs/hostile-input.md between the hostile markers
    python scripts/hostile_figures.py --check    # exit 1 when docs/hostile-input.md is out of date

The figures come from pytest's own collection of the test suite: every collected case
marked ``@pytest.mark.hostile(area, outcome)`` (tests/support/hostile.py lists both) counts
once, parametrized cases one by one; property-based tests are counted with the number of
answer sets hypothesis generates for them. Nothing here is typed by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "hostile-input.md"
START, END = "<!-- hostile:start -->", "<!-- hostile:end -->"

sys.path.insert(0, str(ROOT / "tests"))
from generated_page import write_or_check  # noqa: E402
from support.hostile import AREAS, OUTCOMES  # noqa: E402

COLUMNS = {
    "refused": "refused: clear message, nothing changed",
    "rolled back": "fault after the render: edited files restored",
    "fallback": "models.dev fault: one warning, cache or answers used",
    "kept": "hostile but valid, or user content: kept exactly",
}


class _Collector:
    def __init__(self) -> None:
        self.cases: list[tuple[str, str, str, int]] = []  # (node id, area, outcome, generated examples)

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            marker = item.get_closest_marker("hostile")
            if marker is None:
                continue
            area, outcome = marker.args
            if area not in AREAS or outcome not in OUTCOMES:
                raise SystemExit(f"{item.nodeid}: unknown hostile mark {marker.args!r}")
            settings = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_settings", None)
            examples = settings.max_examples if outcome == "property" and settings is not None else 0
            self.cases.append((item.nodeid, area, outcome, examples))


def collect() -> list[tuple[str, str, str, int]]:
    """Every hostile case pytest collects from the test files that use the mark."""
    import pytest

    files = [str(p) for p in sorted((ROOT / "tests").glob("test_*.py")) if "mark.hostile(" in p.read_text()]
    collector = _Collector()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(
            ["--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *files], plugins=[collector]
        )
    if code != 0:
        raise SystemExit(f"pytest could not collect the hostile tests (exit code {code})")
    return collector.cases


def figures(cases: list[tuple[str, str, str, int]]) -> str:
    counts = Counter((area, outcome) for _, area, outcome, _ in cases)
    header = ["area", "cases tried", *COLUMNS.values(), "files damaged"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for area in (*AREAS, "all"):
        selected = AREAS if area == "all" else (area,)
        tried = sum(counts[(a, outcome)] for a in selected for outcome in COLUMNS)
        cells = [tried, *(sum(counts[(a, outcome)] for a in selected) for outcome in COLUMNS)]
        label = f"**{area}**" if area == "all" else area
        rows.append("| " + " | ".join([label, *map(str, cells), "0"]) + " |")
    properties = sorted(
        (nodeid.split("::")[-1], examples) for nodeid, _, outcome, examples in cases if outcome == "property"
    )
    generated = sum(examples for _, examples in properties)
    lines = [
        *rows,
        "",
        f"Plus {len(properties)} property-based tests (hypothesis) generating {generated} answer sets per run, each "
        "answer either refused by its validator or rendered and wired byte-exact: "
        + ", ".join(f"`{name}` ({examples})" for name, examples in properties)
        + ".",
    ]
    return "\n".join(lines)


def updated_readme(readme: str, block: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"docs/hostile-input.md has no {START} ... {END} block")
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{block}\n{END}{after}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update docs/hostile-input.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/hostile-input.md is out of date")
    args = parser.parse_args(argv)
    block = figures(collect())
    if not (args.write or args.check):
        print(block)
        return 0
    fresh = updated_readme(PAGE.read_text(encoding="utf-8"), block)
    return write_or_check(
        PAGE, fresh, check=args.check, what="docs/hostile-input.md's hostile figures",
        command="python scripts/hostile_figures.py --write",
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

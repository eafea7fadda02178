"""What the wiring would do, without writing: ``copier copy --pretend`` shows it (copier.yml's messages)."""

from __future__ import annotations

from pathlib import Path

from ..edits import WiringError
from ..layouts import LayoutError, detect_layout
from .answers import Answers
from .runner import stage


def preview(root: Path | str, data: dict) -> str:
    """The step lines and a unified diff of every edit the wiring would make in ``root`` for these answers."""
    root = Path(root)
    try:
        layout = detect_layout(root)
        answers = Answers.from_mapping({key: value for key, value in data.items() if value is not None})
        tx, results = stage(root, layout, answers)
        tx.check()
    except (WiringError, LayoutError) as error:
        return f"Wiring preview: the wiring would fail: {error}"
    lines = [
        "Wiring preview (--pretend: nothing was written)",
        f"Prompture layout: {layout.label}",
        *(result.line() for result in results),
    ]
    diff = tx.diff()
    return "\n".join(lines) + ("\n\n" + diff.rstrip("\n") if diff else "\nNo file would change.")

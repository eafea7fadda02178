"""What the wiring would do, without writing: ``copier copy --pretend`` shows it (copier.yml's messages)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .dry_run import dry_run
from .edits import WiringError
from .layouts import Layout, LayoutError
from .names import answers_file_for
from .wiring import Answers
from .wiring.runner import rendered_files


def preview(root: Path | str, answers: Mapping[str, Any]) -> str:
    """The step lines and a unified diff of every edit the wiring would make in ``root`` for these answers."""
    root = Path(root)
    try:
        run = dry_run(root, answers)
    except (WiringError, LayoutError) as error:
        return f"Wiring preview: the wiring would fail: {error}"
    lines = [
        "Wiring preview (--pretend: nothing was written)",
        *_scope(root, run.layout, run.answers),
        f"Prompture layout: {run.layout.label}",
        *(result.line() for result in run.results),
    ]
    diff = run.tx.diff()
    return "\n".join(lines) + ("\n\n" + diff.rstrip("\n") if diff else "\nThe wiring would change no file.")


def _scope(root: Path, layout: Layout, answers: Answers) -> list[str]:
    """What the preview covers: only the wiring. Copier's own --pretend lists the rendered files on a copy only."""
    rendered = rendered_files(root, layout, answers, answers_file_for(answers.provider))
    if not rendered:  # a first copy: Copier listed above each file it would create
        return ["This previews the wiring only; Copier listed above the files it would render."]
    return [
        "This previews the wiring only. Copier may also change the rendered files, and its --pretend does not",
        f"show that on an update: {', '.join(rendered)}.",
        "To see everything, run it for real on a clean tree and read `git diff`; "
        "`git reset --hard && git clean -fd` undoes it.",
    ]

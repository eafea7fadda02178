"""Copier task: wire the rendered provider driver into the Prompture checkout (the working directory).

    python extensions/wire_checkout.py [--copier-operation=copy|update] [--refresh-models-dev=true|false]
        [--models-dev-facts=FILE] .copier-answers.<provider>.yml

Prints one line per step and exits 0, or explains what is missing and exits 1 with
nothing changed. The work is in ``scaffolding/wiring/``; this stays small.

During ``copier update`` Copier also renders the old and new template versions into
scratch folders (temporary folders that are not Prompture checkouts). copier.yml's
``when`` keeps the task from running there; run there anyway (by hand, or from a
copier.yml without that ``when``, as this template's older versions had), it does nothing
and exits 0 (see ``scaffolding/replay.py``).
The operation comes from ``--copier-operation`` (copier.yml passes ``_copier_operation``),
else from the ``COPIER_OPERATION`` variable Copier sets for tasks, else it is taken to be
``copy``, which never skips: a copy into a folder that is not a Prompture checkout fails loudly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scaffolding.replay import is_update_replay

_OPERATION = "--copier-operation="
_FACTS = "--models-dev-facts="


def split_operation(argv: list[str]) -> tuple[str, list[str]]:
    """(operation, the other arguments) from the command line and Copier's environment."""
    operation = os.environ.get("COPIER_OPERATION", "copy")
    rest = []
    for arg in argv:
        if arg.startswith(_OPERATION):
            operation = arg[len(_OPERATION) :]
        else:
            rest.append(arg)
    return operation, rest


def run(argv: list[str]) -> int:
    operation, rest = split_operation(argv)
    files = [arg for arg in rest if not arg.startswith("--")]
    if len(files) == 1 and is_update_replay(operation, Path.cwd(), files[0]):
        for arg in rest:  # the questionnaire's facts handed to this run, unread
            if arg.startswith(_FACTS) and arg[len(_FACTS) :]:
                Path(arg[len(_FACTS) :]).unlink(missing_ok=True)
        return 0  # Copier's scratch render during an update: the real checkout is wired in its own run
    from scaffolding.wiring import main

    return main(rest)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))

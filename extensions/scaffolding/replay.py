"""Is this Copier's scratch replay of the template, or the user's Prompture checkout?

``copier update`` renders the template three times (see "How the update works" in
Copier's docs, and copier-org/copier#1422, #2478):

1. the *old* version, with the recorded answers, into a fresh temporary folder;
2. the new version into the user's checkout;
3. the new version again, with the new answers, into another fresh temporary folder.

It validates the replayed answers and runs the template's tasks in all three, but only
(2) holds a Prompture source tree to check and wire; (1) and (3) only serve Copier's
diff. Two documented properties of Copier tell them apart without guessing at the
temporary folders' names:

* **At question time** nothing has been rendered yet, so a scratch folder is missing or
  empty, while the answers replayed into it already hold the recorded
  ``prompture_layout`` (an ``ask: false`` answer that only a render into a checkout
  records). A first ``copier copy`` has no recorded layout; an update's real destination
  is never empty (it holds the answers file Copier updates from).
* **At task time** the operation is ``update`` in all three renders
  (``_copier_operation``), but Copier updates only a git-tracked destination whose
  answers file it has just read and whose tree is clean (untracked files included), so
  there the answers file is known to git. Copier runs ``git init`` in the scratch
  folders only after their render and tasks, so there it is not.

Keep this module free of imports from the rest of the package: ``wire_checkout.py``
imports it before anything else.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def is_replayed_questionnaire(destination: object, recorded_layout: object) -> bool:
    """True when Copier replays recorded answers into an empty scratch folder.

    ``destination`` is ``_copier_conf.dst_path``; ``recorded_layout`` the ``prompture_layout``
    answer known so far ("" or undefined on a first copy). Checks that need a Prompture
    checkout are skipped then: the answers were checked against the real checkout when
    they were first given, and the real destination of the same update checks them again.
    """
    if not isinstance(recorded_layout, str) or not recorded_layout:
        return False
    path = Path(str(destination))
    if not path.exists():
        return True
    try:
        return path.is_dir() and next(path.iterdir(), None) is None
    except OSError:
        return False


def is_update_replay(operation: str | None, destination: Path | str, answers_file: str) -> bool:
    """True when a task runs in one of ``copier update``'s scratch folders, not the user's checkout.

    ``operation`` is ``_copier_operation``. A ``copy`` is never a replay, so a copy into a
    folder that is not a Prompture checkout still fails loudly in the wiring.
    """
    if operation != "update":
        return False
    return not _known_to_git(Path(destination), answers_file)


def _known_to_git(root: Path, relpath: str) -> bool:
    """True if git tracks ``relpath`` under ``root`` (or ignores it on purpose)."""
    for command in (["ls-files", "--error-unmatch", "--", relpath], ["check-ignore", "-q", "--", relpath]):
        try:
            result = subprocess.run(
                ["git", *command], cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
            )
        except (OSError, subprocess.SubprocessError):
            return False
        if result.returncode == 0:
            return True
    return False

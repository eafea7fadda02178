"""Copier migration: carry recorded answers across a renamed or split question.

    python extensions/migrate_answers.py .copier-answers.<provider>.yml --rename OLD=NEW[,NEW2...] [...]

Run it from a ``before`` migration in copier.yml, in the version that renames the
question, so the update's questionnaire finds the user's answer under the new name:

    _migrations:
      - version: v2.0.0
        when: "{{ _stage == 'before' }}"
        command:
          - "{{ _copier_python }}"
          - "{{ _copier_conf.src_path / 'extensions' / 'migrate_answers.py' }}"
          - "{{ _copier_conf.answers_file }}"
          - --rename
          - with_example=include_example

``OLD=NEW`` renames; ``OLD=NEW1,NEW2`` splits (each new question starts from the old
answer). A new name that already has an answer keeps it. The old key is removed. Running
it again changes nothing. Copier reads the answers file again after ``before``
migrations and rewrites it after the update, so only the keys matter here; the comment
header is kept. Needs ``-a .copier-answers.<provider>.yml`` on ``copier update`` (this
template has one answers file per provider), which the update command in docs/updating.md passes.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def parse_rename(text: str) -> tuple[str, tuple[str, ...]]:
    old, sep, new = text.partition("=")
    targets = tuple(name.strip() for name in new.split(",") if name.strip())
    if not sep or not old.strip() or not targets or any(name.startswith("_") for name in (old, *targets)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected OLD=NEW or OLD=NEW1,NEW2 (question names)")
    return old.strip(), targets


Renames = Sequence[tuple[str, Sequence[str]]]


def migrate(answers: Mapping[str, Any], renames: Renames) -> tuple[dict[str, Any], list[str]]:
    """The answers with each old key carried to its new names, and one line per change."""
    result = dict(answers)
    notes = []
    for old, targets in renames:
        if old not in result:
            continue
        value = result.pop(old)
        for new in targets:
            if new in result:
                notes.append(f"{old}: dropped, {new} already answered")
            else:
                result[new] = value
                notes.append(f"{old} -> {new}: {value!r}")
    return result, notes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers_file", type=Path)
    parser.add_argument("--rename", type=parse_rename, action="append", default=[], metavar="OLD=NEW[,NEW2]")
    args = parser.parse_args(argv)
    try:
        text = args.answers_file.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        print(f"✗ answers migration: cannot read {args.answers_file}: {error}", file=sys.stderr)
        return 1
    if not isinstance(data, dict):
        print(f"✗ answers migration: {args.answers_file} does not hold a mapping of answers", file=sys.stderr)
        return 1
    migrated, notes = migrate(data, args.rename)
    if not notes:
        return 0
    header = "".join(line + "\n" for line in itertools.takewhile(lambda line: line.startswith("#"), text.splitlines()))
    body = yaml.safe_dump(migrated, sort_keys=False, allow_unicode=True, default_flow_style=False)
    args.answers_file.write_text(header + body, encoding="utf-8")
    for note in notes:
        print(f"✓ answers migration ({args.answers_file}): {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

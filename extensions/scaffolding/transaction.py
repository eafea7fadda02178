"""Apply a set of file edits all-or-nothing.

Edits are staged in memory (:meth:`Transaction.text` / :meth:`Transaction.stage`; a file
the checkout does not have yet with :meth:`Transaction.create`),
checked (:meth:`Transaction.check`: Python must parse, TOML must load), and only then
written by :meth:`Transaction.commit`: each file through a temporary file and
``os.replace``, after making sure no file changed on disk since it was read. If a write
fails midway, the files already replaced get their original bytes back, so the
checkout is left exactly as it was.
"""

from __future__ import annotations

import ast
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .edits import WiringError
from .fileio import load_toml, writable_by_mode, write_atomically


class TransactionError(WiringError):
    """Staged edits could not be checked or written; nothing was changed."""


# Tests only (tests/test_hostile_checkout.py): faults a real run may meet, made to happen on cue.
#: "N": the N-th file write of a commit fails midway (EIO) after part of the file was written.
TEST_FAIL_WRITE = "PTD_TEST_FAIL_WRITE"
#: A folder: before checking the files and writing, create ``paused`` there and wait (at most
#: 60 s) for ``resume``, so another program can change a file in between.
TEST_PAUSE_BEFORE_WRITE = "PTD_TEST_PAUSE_BEFORE_WRITE"


@dataclass
class _File:
    path: Path
    original: bytes
    newline: str  # "\r\n" when the file uses CRLF line ends, else "\n"
    text: str  # current staged text, with "\n" line ends
    bom: str = ""  # a UTF-8 byte order mark the file starts with (kept, but not part of ``text``)
    new: bool = False  # not in the checkout: created by the commit (its folders too)


class Transaction:
    """Staged edits to files under ``root``, written together or not at all."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._files: dict[str, _File] = {}  # relative path -> file, in first-read order

    # ── staging ──

    def _file(self, rel: str) -> _File:
        if rel not in self._files:
            path = self.root / rel
            try:
                original = path.read_bytes()
            except FileNotFoundError:
                raise WiringError(f"{rel}: file not found in {self.root}. Restore it and run again.") from None
            except OSError as error:
                raise WiringError(f"{rel}: cannot be read ({error.strerror}). Fix that and run again.") from None
            try:
                decoded = original.decode("utf-8")
            except UnicodeDecodeError:
                raise WiringError(f"{rel}: is not UTF-8 text; convert it to UTF-8 and run again.") from None
            newline = "\r\n" if "\r\n" in decoded else "\n"
            bom = "\ufeff" if decoded.startswith("\ufeff") else ""  # Python allows it; ast.parse(text) does not
            self._files[rel] = _File(path, original, newline, decoded[len(bom) :].replace("\r\n", "\n"), bom)
        return self._files[rel]

    def text(self, rel: str) -> str:
        """The file's text as staged so far (its content on disk if nothing is staged yet)."""
        return self._file(rel).text

    def exists(self, rel: str) -> bool:
        """Whether the file is in the checkout (or staged to be created)."""
        if rel in self._files:
            return not self._files[rel].new or self._files[rel].text != ""
        return (self.root / rel).is_file()

    def create(self, rel: str, text: str) -> bool:
        """Stage a file the checkout may not have yet; True if that changes what was staged."""
        if rel not in self._files and not (self.root / rel).exists():
            self._files[rel] = _File(self.root / rel, b"", "\n", "", new=True)
        return self.stage(rel, text)

    def stage(self, rel: str, text: str) -> bool:
        """Stage new text for the file; True if that differs from what was staged before."""
        file = self._file(rel)
        changed = text != file.text
        file.text = text
        return changed

    def _new_bytes(self, file: _File) -> bytes:
        return (file.bom + file.text.replace("\n", file.newline)).encode("utf-8")

    def changed_files(self) -> list[str]:
        """Relative paths whose staged bytes differ from the originals, in first-read order."""
        return [
            rel
            for rel, file in self._files.items()
            if (file.text != "" if file.new else self._new_bytes(file) != file.original)
        ]

    def diff(self, context_lines: int = 3) -> str:
        """A unified diff (``git apply``-able) of every changed file against its original."""
        import difflib

        chunks = []
        for rel in self.changed_files():
            file = self._files[rel]
            old = (file.original.decode("utf-8")[len(file.bom) :]).replace("\r\n", "\n")
            new = file.text.splitlines(keepends=True)
            before = "/dev/null" if file.new else f"a/{rel}"
            lines = difflib.unified_diff(old.splitlines(keepends=True), new, before, f"b/{rel}", n=context_lines)
            # difflib leaves a last line without its newline as it is; patch formats mark it.
            chunks.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        return "".join(chunks)

    # ── checking ──

    def check(self) -> None:
        """Every changed ``.py`` file must parse and every ``.toml`` file must load."""
        for rel in self.changed_files():
            text = self._files[rel].text
            if rel.endswith(".py"):
                try:
                    ast.parse(text, filename=rel)
                except SyntaxError as error:
                    raise TransactionError(
                        f"{rel}: the edited file would not parse (line {error.lineno}: {error.msg}); nothing was "
                        "written. This is a bug in the template: please report it with the file."
                    ) from None
            elif rel.endswith(".toml"):
                _check_toml(rel, text)

    # ── writing ──

    def commit(self) -> list[str]:
        """Write every changed file, all-or-nothing; return the relative paths written."""
        self.check()
        changed = self.changed_files()
        _pause_for_tests()
        for rel in changed:
            file = self._files[rel]
            try:
                on_disk = file.path.read_bytes()
            except OSError:
                on_disk = None
            if on_disk != (None if file.new else file.original):
                raise TransactionError(
                    f"{rel}: changed while wiring (it differs from what was read a moment ago); nothing was "
                    "written. Let the other program finish, then run again."
                )
        replaced: list[str] = []
        made_folders: list[Path] = []
        fail_at = _fail_write_for_tests()
        try:
            for index, rel in enumerate(changed, 1):
                file = self._files[rel]
                if file.new:
                    made_folders += _make_folders(file.path.parent)
                _replace(file.path, self._new_bytes(file), fail=index == fail_at)
                replaced.append(rel)
        except OSError as error:
            failed = rel
            not_restored = []
            for done in reversed(replaced):
                try:
                    if self._files[done].new:
                        self._files[done].path.unlink()
                    else:
                        _replace(self._files[done].path, self._files[done].original)
                except OSError:
                    not_restored.append(done)
            for folder in reversed(made_folders):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            if not_restored:
                raise TransactionError(
                    f"{failed}: could not be written ({_reason(error)}), and restoring "
                    f"{', '.join(not_restored)} failed too: check those files (e.g. `git diff`)."
                ) from error
            raise TransactionError(
                f"{failed}: could not be written ({_reason(error)}); the files written before it were "
                "restored, nothing was changed. Make it writable and run again."
            ) from error
        return replaced


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _replace(path: Path, data: bytes, fail: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, keeping its mode; ``fail`` (tests only) breaks off midway."""
    if not writable_by_mode(path):
        raise PermissionError(13, "the file is read-only", str(path))
    simulated = f"input/output error (simulated by {TEST_FAIL_WRITE})" if fail else ""
    write_atomically(path, data, keep_mode=True, fail_message=simulated)


def _fail_write_for_tests() -> int:
    try:
        return int(os.environ.get(TEST_FAIL_WRITE, "0"))
    except ValueError:
        return 0


def _pause_for_tests() -> None:
    folder = os.environ.get(TEST_PAUSE_BEFORE_WRITE)
    if not folder:
        return
    Path(folder, "paused").touch()
    deadline = time.monotonic() + 60
    while not Path(folder, "resume").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _check_toml(rel: str, text: str) -> None:
    try:
        load_toml(text)
    except Exception as error:
        raise TransactionError(
            f"{rel}: the edited file would not be valid TOML ({error}); nothing was written. This is a bug in "
            "the template: please report it with the file."
        ) from None

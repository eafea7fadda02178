"""A hostile target checkout: refuse clearly, change nothing, lose nothing.

Every case runs the real ``copier copy`` of a template snapshot into a copy of the real
Prompture 1.15.1 sdist and compares every file's bytes before and after.

What "nothing changed" means depends on when a fault can be seen:

* Anything the questionnaire can detect is refused at a question (Copier renders only after
  the last one): not a Prompture checkout, an unknown layout, an anchor edited away, a file
  that is unreadable, not UTF-8 or does not parse, a read-only file the wiring must edit, a
  read-only folder a file is rendered into, a user file a rendered one would overwrite.
  There the whole tree is byte-identical.
* A fault only the wiring task can meet happens after Copier rendered the new files: a write
  that fails midway, a file changed by another program between reading and writing. There
  every file the wiring edits is byte-identical (restored, or never written), and the only
  difference in the tree is the new files Copier rendered, exactly those a successful copy
  adds, with no temporary file left.
* User content in every edited file survives byte for byte: the diff only adds.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import tomlkit
import tomlkit.exceptions
from scaffolding.transaction import TEST_FAIL_WRITE, TEST_PAUSE_BEFORE_WRITE
from support.copier_cli import copier_env, file_digests, tree_digest
from support.hostile import copy, fresh_checkout, removals, tree_changes, validation_line

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

FIXTURE = Path(__file__).parent / "fixtures" / "models-dev.json"
PLUGINS = "prompture/plugins/builtins/__init__.py"
DRIVERS = "prompture/drivers/__init__.py"
SETTINGS = "prompture/infra/settings.py"
#: The files the wiring edits for a custom SDK (lazy import), in the order it writes them.
PROVIDER_ENV = "prompture/infra/provider_env.py"
BRANDS = "prompture/drivers/provider_branding.py"
#: (A custom SDK with only an API key gets no default key-check URL: provider_keys.py is not edited.)
EXTRAS_FAMILY = "prompture/plugins/builtins/extras_plugin.py"  # where a custom SDK's descriptor goes
LISTS = (
    "README.md",
    ".github/ISSUE_TEMPLATE/provider_driver_bug.yml",
    ".claude/skills/add-driver/references/driver-template.md",
)
EDITED = (EXTRAS_FAMILY, DRIVERS, SETTINGS, PROVIDER_ENV, BRANDS, "pyproject.toml", ".env.copy", "CLAUDE.md", *LISTS)
RATES = "prompture/infra/rates/acme.json"  # the one file the wiring creates (its rate-file step)
WRITES = (*EDITED[:5], RATES, *EDITED[5:])  # every file the wiring writes, in its order
OPENAI_STYLE = {"provider": "acme", "models_dev_provider": "acme-ai"}
SDK_STYLE = {
    **OPENAI_STYLE,
    "api_style": "custom_sdk",
    "auth": "api_key",
    "sdk_package": "acme-sdk",
    "sdk_import": "acme_sdk",
    "lazy_import": "true",
}
NOTHING = {"added": [], "removed": [], "modified": []}


@pytest.fixture(scope="module")
def reference(pristine, template, models_dev, tmp_path_factory):
    """What a successful copy changes, per answer set: the files it adds and the files it edits."""
    found = {}
    for name, data in (("openai", OPENAI_STYLE), ("sdk", SDK_STYLE)):
        tmp = tmp_path_factory.mktemp(f"reference-{name}")
        checkout = fresh_checkout(pristine, tmp / "checkout")
        result = copy(template, checkout, data, copier_env(tmp, models_dev.url))
        assert result.returncode == 0, result.stderr
        found[name] = tree_changes(file_digests(pristine), file_digests(checkout))
    assert sorted(found["sdk"]["modified"]) == sorted(EDITED)
    return found


def run(template, checkout, tmp_path, models_dev, data, **env):
    return copy(template, checkout, data, copier_env(tmp_path, models_dev.url, **env))


# ── refused at a question: the tree stays byte-identical ──────────────────────


def _replace_in(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        text = (root / rel).read_text(encoding="utf-8")
        assert old in text, (rel, old)
        (root / rel).write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def _remove(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return mutate


def _directory_instead_of(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        (root / rel).unlink()
        (root / rel).mkdir()
        (root / rel / "README").write_text("a folder where a file should be\n")

    return mutate


def _not_utf8(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.write_bytes(path.read_bytes() + "# café\n".encode("latin-1"))

    return mutate


def _empty(root: Path) -> None:
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


def _other_project(root: Path) -> None:
    _empty(root)
    (root / "pyproject.toml").write_text('[project]\nname = "not-prompture"\nversion = "1.0"\n')
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")


def _read_only(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.chmod(stat.S_IMODE(path.stat().st_mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    return mutate


# id -> (change to the checkout, answers, the question that refuses, what its message must say)
REFUSALS: dict[str, tuple[Callable[[Path], None], dict, str, tuple[str, ...]]] = {
    # Not a Prompture checkout, or a layout this template does not know.
    "empty-folder": (_empty, OPENAI_STYLE, "provider", ("is not a Prompture checkout this template recognises",)),
    "another-project": (
        _other_project,
        OPENAI_STYLE,
        "provider",
        ("is not a Prompture checkout this template recognises", "prompture/plugins/builtins/__init__.py (L4)"),
    ),
    "no-package-folder": (
        _remove("prompture"),
        OPENAI_STYLE,
        "provider",
        ("is not a Prompture checkout this template recognises",),
    ),
    "unknown-newer-layout": (
        _remove("prompture/plugins/base.py"),
        OPENAI_STYLE,
        "provider",
        ("prompture/plugins/base.py is missing",),
    ),
    "drivers-package-is-a-file": (
        lambda root: (_remove("prompture/drivers")(root), (root / "prompture/drivers").write_text("")),
        OPENAI_STYLE,
        "provider",
        ("prompture/drivers/provider_descriptors.py is missing",),
    ),
    # Anchors the layout detection looks for.
    "anchor-BUILTIN_PLUGINS": (
        _replace_in(PLUGINS, "BUILTIN_PLUGINS", "BUILTIN_PROVIDERS"),
        OPENAI_STYLE,
        "provider",
        (f"{PLUGINS} does not contain 'BUILTIN_PLUGINS'",),
    ),
    "anchor-class-Settings": (
        _replace_in(SETTINGS, "class Settings(", "class AppSettings("),
        OPENAI_STYLE,
        "provider",
        (f"{SETTINGS} does not contain 'class Settings('",),
    ),
    "anchor-ProviderPlugin": (
        _replace_in("prompture/plugins/base.py", "class ProviderPlugin", "class BasePlugin"),
        OPENAI_STYLE,
        "provider",
        ("prompture/plugins/base.py does not contain 'class ProviderPlugin'",),
    ),
    # Anchors only the wiring reads: found by its dry run at the provider question.
    "anchor-drivers-__all__": (
        _replace_in(DRIVERS, "__all__ = [", "__exports__ = ["),
        OPENAI_STYLE,
        "provider",
        (DRIVERS, "__all__"),
    ),
    "anchor-env-provider-list": (
        _replace_in(".env.copy", "# Set AI_PROVIDER to one of:", "# Providers:"),
        OPENAI_STYLE,
        "provider",
        (".env.copy: could not find the comment '# Set AI_PROVIDER to one of: …'", "Found before anything was written"),
    ),
    "anchor-env-sections": (
        _replace_in(".env.copy", "# ─── ", "# --- "),
        OPENAI_STYLE,
        "provider",
        (".env.copy: could not find section headers",),
    ),
    "anchor-claude-bullet": (
        _replace_in("CLAUDE.md", "- **`prompture/drivers/`**", "- **`prompture/backends/`**"),
        OPENAI_STYLE,
        "provider",
        ("CLAUDE.md: could not find the '- **`prompture/drivers/`**' bullet",),
    ),
    "anchor-claude-driver-list": (
        _replace_in("CLAUDE.md", "cachibot, …)", "cachibot and more)"),
        OPENAI_STYLE,
        "provider",
        ("CLAUDE.md: could not find the driver list",),
    ),
    "anchor-settings-blocks": (
        _replace_in(SETTINGS, "_model: str", "_default_model: str"),
        OPENAI_STYLE,
        "provider",
        (SETTINGS, "a provider block in class Settings"),
    ),
    # Anchors only some answers need: found by the dry run with every answer, at default_model.
    "anchor-KEY_ALIASES-for-a-custom-key-name": (
        _replace_in(
            SETTINGS, "KEY_ALIASES: dict[str, tuple[str, ...]] = {", "VENDOR_KEYS: dict[str, tuple[str, ...]] = {"
        ),
        {**OPENAI_STYLE, "api_key_env": "ACME_TOKEN"},
        "default_model",
        (SETTINGS, "KEY_ALIASES", "ACME_TOKEN"),
    ),
    "anchor-optional-dependencies-for-an-sdk-extra": (
        _replace_in("pyproject.toml", "[project.optional-dependencies]", "[tool.extras]"),
        SDK_STYLE,
        "default_model",
        ("pyproject.toml", "[project.optional-dependencies]"),
    ),
    "anchor-PROVIDER_BRANDS-for-the-brand": (
        _replace_in(BRANDS, "PROVIDER_BRANDS: dict[str, ProviderBrand] = {", "BRANDS: dict[str, ProviderBrand] = {"),
        OPENAI_STYLE,
        "brand",
        (BRANDS, "PROVIDER_BRANDS"),
    ),
    # Files the wiring cannot read or edit.
    "settings-does-not-parse": (
        _replace_in(SETTINGS, "class Settings(", "class Settings(:"),
        OPENAI_STYLE,
        "provider",
        (SETTINGS, "does not parse"),
    ),
    "claude-md-missing": (_remove("CLAUDE.md"), OPENAI_STYLE, "provider", ("CLAUDE.md: file not found",)),
    "env-copy-is-a-folder": (
        _directory_instead_of(".env.copy"),
        OPENAI_STYLE,
        "provider",
        (".env.copy: cannot be read",),
    ),
    "claude-md-not-utf8": (_not_utf8("CLAUDE.md"), OPENAI_STYLE, "provider", ("CLAUDE.md: is not UTF-8 text",)),
    # Read-only: each file the wiring edits, and a folder a file is rendered into.
    **{
        f"read-only-{Path(rel).name}": (
            _read_only(rel),
            SDK_STYLE if rel in ("pyproject.toml", EXTRAS_FAMILY) else OPENAI_STYLE,
            # The optional L4 places are dry-run at the last question that wires them, "brand".
            {
                "pyproject.toml": "default_model",
                EXTRAS_FAMILY: "default_model",
                PROVIDER_ENV: "brand",
                BRANDS: "brand",
            }.get(rel, "provider"),
            (rel, "read-only, but the wiring must edit it"),
        )
        for rel in EDITED
    },
    "read-only-rates-folder": (
        _read_only("prompture/infra/rates"),
        OPENAI_STYLE,
        "provider",
        ("prompture/infra/rates/ is read-only, but prompture/infra/rates/acme.json must be created there",),
    ),
    # A user's file where a rendered one would go.
    "users-rate-file": (
        lambda root: (root / "prompture/infra/rates/acme.json").write_text('{"mine": true}\n'),
        OPENAI_STYLE,
        "provider",
        ("prompture/infra/rates/acme.json already exists", "would overwrite it"),
    ),
    "users-example-file": (
        lambda root: ((root / "examples").mkdir(), (root / "examples/acme_example.py").write_text("print(1)\n")),
        OPENAI_STYLE,
        "with_example",
        ("examples/acme_example.py already exists and the example would overwrite it",),
    ),
}


def _restore_modes(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)


@pytest.mark.hostile("target checkout", "refused")
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_checkout_the_template_cannot_wire_is_refused_before_any_render(
    pristine, template, models_dev, tmp_path, case
):
    mutate, data, question, fragments = REFUSALS[case]
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    mutate(checkout)
    before, tree_before = file_digests(checkout), tree_digest(checkout)
    try:
        result = run(template, checkout, tmp_path, models_dev, data)
        after, tree_after = file_digests(checkout), tree_digest(checkout)
    finally:
        _restore_modes(checkout)
    assert result.returncode != 0
    line = validation_line(result.stderr)
    assert line.startswith(f"ValueError: Validation error for question '{question}': "), result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in line, line
    assert tree_changes(before, after) == NOTHING
    assert tree_after == tree_before


@pytest.mark.hostile("target checkout", "refused")
def test_a_folder_that_does_not_exist_is_refused_and_not_left_behind(template, models_dev, tmp_path):
    missing = tmp_path / "no-such-checkout"
    result = run(template, missing, tmp_path, models_dev, OPENAI_STYLE)
    assert result.returncode != 0
    assert validation_line(result.stderr).startswith("ValueError: Validation error for question 'provider': ")
    assert f"{missing} is not a folder." in result.stderr
    assert not missing.exists()


@pytest.mark.hostile("target checkout", "kept")
def test_a_read_only_file_the_answers_do_not_edit_is_no_obstacle(pristine, template, models_dev, tmp_path, reference):
    """Refusals are not over-strict: an OpenAI-compatible driver never edits pyproject.toml."""
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    _read_only("pyproject.toml")(checkout)
    try:
        result = run(template, checkout, tmp_path, models_dev, OPENAI_STYLE)
    finally:
        _restore_modes(checkout)
    assert result.returncode == 0, result.stderr
    assert tree_changes(file_digests(pristine), file_digests(checkout)) == reference["openai"]


# ── faults only the wiring task meets: edited files restored, rendered files listed ──


@pytest.mark.hostile("target checkout", "rolled back")
@pytest.mark.parametrize("n", range(1, len(WRITES) + 1), ids=lambda n: f"write-{n}-of-{len(WRITES)}")
def test_a_write_failing_midway_leaves_every_edited_file_as_it_was(
    pristine, template, models_dev, tmp_path, reference, n
):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = file_digests(checkout)
    result = run(template, checkout, tmp_path, models_dev, SDK_STYLE, **{TEST_FAIL_WRITE: str(n)})
    assert result.returncode != 0
    failed = WRITES[n - 1]
    assert f"{failed}: could not be written (input/output error (simulated by {TEST_FAIL_WRITE}))" in result.stderr
    assert "the files written before it were restored, nothing was changed" in result.stderr
    after = file_digests(checkout)
    assert {rel: after.get(rel) for rel in EDITED} == {rel: before[rel] for rel in EDITED}
    # Only Copier's new files remain (no half-written or temporary file, no rate file), as a copy renders them.
    rendered = [rel for rel in reference["sdk"]["added"] if rel != RATES]
    assert tree_changes(before, after) == {**NOTHING, "added": rendered}


@pytest.mark.hostile("target checkout", "rolled back")
def test_a_file_changed_between_reading_and_writing_is_not_overwritten(
    pristine, template, models_dev, tmp_path, reference
):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    before = file_digests(checkout)
    signals = tmp_path / "signals"
    signals.mkdir()
    env = copier_env(tmp_path, models_dev.url, **{TEST_PAUSE_BEFORE_WRITE: str(signals)})
    args = ["copy", "--trust", "--defaults"]
    for key, value in OPENAI_STYLE.items():
        args += ["--data", f"{key}={value}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "copier", *args, str(template), str(checkout)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (signals / "paused").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the wiring never reached its writes"
            time.sleep(0.05)
        # Another program (an editor, a formatter) saves CLAUDE.md after the wiring read it.
        theirs = (checkout / "CLAUDE.md").read_bytes() + b"\nA line another program saved.\n"
        (checkout / "CLAUDE.md").write_bytes(theirs)
        (signals / "resume").touch()
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert "CLAUDE.md: changed while wiring (it differs from what was read a moment ago); nothing was written" in stderr
    after = file_digests(checkout)
    assert (checkout / "CLAUDE.md").read_bytes() == theirs  # their save is kept, not overwritten
    changes = tree_changes(before, after)
    rendered = [rel for rel in reference["openai"]["added"] if rel != RATES]  # no rate file: nothing was written
    assert changes == {"added": rendered, "removed": [], "modified": ["CLAUDE.md"]}


# ── user content in every edited file survives: the diff only adds ────────────


def _user_lines(root: Path) -> None:
    """The user's own lines at the top, in the middle and at the end of every file the wiring edits."""
    import ast

    for rel in EDITED:
        path = root / rel
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if rel.endswith(".py"):
            head, mark, tail = (
                "# Kept by the user: ünïcode — façade\n",
                "    # user's note {n}\n",
                "USER_VALUE = 'kept'\n",
            )
        elif rel == "pyproject.toml":
            head, mark, tail = "# user's comment\n", "# user's note {n}\n", '\n[tool.user_tool]\nkeep = "me"  # yes\n'
        else:
            head, mark, tail = "# user's own header\n", "# user's note {n}\n", "USER_OWN_VAR=1\n"
        marked = [head]
        for number, line in enumerate(lines, 1):
            marked.append(line)
            if number % 7 == 0:
                candidate = [*marked, mark.format(n=number)]
                if rel.endswith(".py"):
                    try:
                        ast.parse("".join(candidate + lines[number:]))
                    except SyntaxError:
                        continue
                elif rel == "pyproject.toml":
                    try:
                        tomlkit.parse("".join(candidate + lines[number:]))
                    except tomlkit.exceptions.ParseError:
                        continue
                marked = candidate
        if not marked[-1].endswith("\n"):
            marked[-1] += "\n"
        path.write_text("".join([*marked, tail]), encoding="utf-8")


def _crlf(root: Path) -> None:
    _user_lines(root)
    for rel in EDITED:
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def _no_final_newline(root: Path) -> None:
    for rel in EDITED:
        path = root / rel
        path.write_bytes(path.read_bytes().rstrip(b"\n"))


def _byte_order_marks(root: Path) -> None:
    for rel in EDITED:
        if rel != "pyproject.toml":  # TOML has no byte order mark
            path = root / rel
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


USER_CONTENT = {
    "user-lines": _user_lines,
    "user-lines-crlf": _crlf,
    "no-final-newline": _no_final_newline,
    "byte-order-marks": _byte_order_marks,
}


@pytest.mark.hostile("target checkout", "kept")
@pytest.mark.parametrize("variant", sorted(USER_CONTENT))
def test_user_content_in_every_edited_file_is_kept_byte_for_byte(pristine, template, models_dev, tmp_path, variant):
    checkout = fresh_checkout(pristine, tmp_path / "checkout")
    USER_CONTENT[variant](checkout)
    before = file_digests(checkout)
    originals = {rel: (checkout / rel).read_bytes() for rel in EDITED}
    result = run(template, checkout, tmp_path, models_dev, SDK_STYLE)
    assert result.returncode == 0, result.stderr
    changes = tree_changes(before, file_digests(checkout))
    assert sorted(changes["modified"]) == sorted(EDITED)
    assert changes["removed"] == []
    for rel in EDITED:
        new = (checkout / rel).read_bytes()
        assert removals(originals[rel], new) == [], rel
        assert new.startswith(b"\xef\xbb\xbf") == originals[rel].startswith(b"\xef\xbb\xbf"), rel
        if b"\r\n" in originals[rel]:
            assert new.count(b"\n") == new.count(b"\r\n"), f"{rel}: line ends mixed"

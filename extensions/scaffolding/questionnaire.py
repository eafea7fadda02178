"""The questionnaire's checks against the checkout: each returns "" when the answer is fine, else what is
wrong and what to do. The checks of an answer alone are in ``validators.py``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import validators
from .dry_run import RefusedAnswers, dry_run, wires_every_step, wiring_answers
from .edits import WiringError
from .fileio import writable_by_mode
from .inventory import bound_name_clash, env_names_in_use, existing_driver_classes, existing_providers, scanned
from .layouts import Layout, LayoutError, detect_layout
from .names import answers_file_for, class_prefix_for, example_path, tests_path
from .replay import is_replayed_questionnaire


def is_own_provider(checkout: Path, provider: str) -> bool:
    """True when this template already added ``provider`` here (a re-run or an update)."""
    return (checkout / answers_file_for(provider)).is_file()


def replays_answers(context: Mapping[str, Any]) -> bool:
    """True when Copier replays an answers file (``update``, ``recopy``): its answers are in the render
    context before their questions come, e.g. ``class_prefix`` (asked after every models.dev question),
    unless given with ``--data``. On a copy they are not: Copier reads no answers file then."""
    given = context["_copier_conf"]["data"] or {}
    return "class_prefix" in context and "class_prefix" not in given


def reads_models_dev(replayed: bool, destination: object, recorded_layout: object, refresh: object = False) -> bool:
    """Whether the questionnaire reads models.dev: on a copy, and in an update's checkout when asked to
    refresh (``replayed``: :func:`replays_answers`). Copier's scratch renders of an update never do."""
    if is_replayed_questionnaire(destination, recorded_layout):
        return False
    return refresh is True or not replayed


def provider_problem(provider: str, checkout: Path, recorded_layout: str = "") -> str:
    if problem := validators.provider_name_problem(provider):
        return problem
    checkout = Path(checkout)
    if is_replayed_questionnaire(checkout, recorded_layout):
        return ""  # `copier update` replaying recorded answers into a scratch folder: no checkout to check
    try:
        layout = detect_layout(checkout)
    except LayoutError as error:
        return str(error)
    if not layout.wired:
        return (
            f"{checkout} is a Prompture {layout.versions} checkout (layout {layout.name} '{layout.title}'), "
            "which this version of the template cannot wire: use it on a Prompture release this README lists."
        )
    own = is_own_provider(checkout, provider)
    if provider in scanned(existing_providers, checkout) and not own:
        return (
            f'Prompture already has a provider "{provider}": pick a new name, or edit the '
            f"existing driver by hand instead."
        )
    if own:  # an update or re-copy: provisional answers would clash with the real wiring (e.g. no endpoint)
        return ""
    if problem := _rendered_paths_problem(checkout, layout, provider):
        return problem
    return _dry_run_problem(checkout, _provisional_answers(provider))


def class_prefix_problem(prefix: str, provider: str, checkout: Path) -> str:
    if problem := validators.class_prefix_name_problem(prefix):
        return problem
    if is_own_provider(Path(checkout), provider):
        return ""
    taken = {f"{prefix}Driver", f"Async{prefix}Driver"} & scanned(existing_driver_classes, Path(checkout))
    if taken:
        return f"{', '.join(sorted(taken))} already exists in prompture/drivers: pick another class prefix."
    clash = bound_name_clash(Path(checkout), prefix)
    if clash:
        name, rel = clash
        return f"{name} already exists in {rel}: pick another class prefix."
    return ""


def env_name_problem(
    name: str, provider: str = "", checkout: Path | str | None = None, other: str = "", shared: Any = ()
) -> str:
    """:func:`validators.env_name_problem`, and with ``checkout`` also that the name is free there.

    ``shared`` are the names models.dev gives for the provider's key: one of them may already be
    another provider's (a regional variant reads its vendor's ``..._API_KEY``), and then both read it.
    """
    if problem := validators.env_name_problem(name, provider, other):
        return problem
    if not provider or checkout is None or is_own_provider(Path(checkout), provider):
        return ""
    used = env_names_in_use(Path(checkout))
    if name in used and name not in (shared or ()):
        return (
            f"{name} is already used in {used[name]}: pick a name of {provider}'s own, e.g. "
            f"{provider.upper()}_API_KEY or {provider.upper()}_ENDPOINT."
        )
    return ""


def example_problem(with_example: Any, provider: str, checkout: Path | str) -> str:
    """The example file must not overwrite a file the checkout already has."""
    rel = example_path(provider)
    return _overwrite_problem(with_example, provider, Path(checkout), rel, "the example", "provider name")


def tests_problem(with_tests: object, provider: str, checkout: Path | str) -> str:
    """The rendered tests must not overwrite a test file the checkout already has."""
    rel = tests_path(provider)
    return _overwrite_problem(with_tests, provider, Path(checkout), rel, "the rendered tests", "provider")


def _overwrite_problem(wanted: Any, provider: str, checkout: Path, rel: str, what: str, other: str) -> str:
    if not wanted or not provider or is_own_provider(checkout, provider):
        return ""  # not rendered, or our own earlier render of this provider: an update may rewrite it
    if (checkout / rel).exists() or (checkout / rel).is_symlink():
        return f"{rel} already exists and {what} would overwrite it: answer no, or pick another {other}."
    return ""


def wiring_problem(checkout: Path | str, answers: Mapping[str, Any]) -> str:
    """Run the wiring on ``answers`` without writing anything; "" when it would succeed.

    Finds, before Copier renders a file, what would otherwise only fail in the wiring task
    after the render: a missing anchor, a file that is not UTF-8 or does not parse, an edit
    that would not parse, a block half there already, and a file to edit that is read-only.
    Not a checkout this template knows, or answers the wiring refuses: "" (the questions
    that own those answers say what is wrong).
    """
    return _dry_run_problem(Path(checkout), wiring_answers(answers))


# ── Checks against the checkout: what the render and the wiring would touch ──


def _rendered_paths_problem(checkout: Path, layout: Layout, provider: str) -> str:
    """The files Copier renders must be new, and their folders writable."""
    paths = [layout.rendered_path(kind, provider) for kind in layout.rendered]
    taken = [rel for rel in paths if (checkout / rel).exists() or (checkout / rel).is_symlink()]
    if taken:
        return (
            f"{', '.join(taken)} already exist{'s' if len(taken) == 1 else ''} in {checkout}: a provider named "
            f'"{provider}" would overwrite {"it" if len(taken) == 1 else "them"}. Pick another name.'
        )
    for rel in paths:
        folder = (checkout / rel).parent
        while not folder.exists() and folder != checkout:
            folder = folder.parent
        if not writable_by_mode(folder):
            where = folder.relative_to(checkout).as_posix() if folder != checkout else "."
            return (
                f"{where}/ is read-only, but {rel} must be created there. Make it writable "
                f"(chmod u+w {where}) and run again; nothing was written."
            )
    return ""


def _provisional_answers(provider: str) -> dict[str, Any]:
    """Answers for a dry run before the others are known: the defaults' shape, OpenAI-compatible."""
    upper = provider.upper()
    prefix = class_prefix_for(provider)
    return {
        "provider": provider,
        "class_prefix": prefix,
        "display_name": prefix,
        "api_style": "openai_compatible",
        "auth": "api_key_and_endpoint",
        "api_key_env": f"{upper}_API_KEY",
        "endpoint": "https://api.example.com/v1",
        "endpoint_env": f"{upper}_ENDPOINT",
        "default_model": "model",
    }


_dry_runs: dict[tuple, str] = {}


def _dry_run_problem(checkout: Path, data: dict[str, Any]) -> str:
    """What :func:`dry_run` finds, with a read-only file to edit; remembered while the files are unchanged."""
    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return ""
    if not wires_every_step(layout):
        return ""
    answers = json.dumps(data, sort_keys=True, default=str)  # the models.dev facts are a dict
    key = (str(checkout), answers, _stamp(checkout, layout))
    if key in _dry_runs:
        return _dry_runs[key]
    try:
        run = dry_run(checkout, data)
    except (LayoutError, RefusedAnswers):
        return ""
    except WiringError as error:
        problem = f"{error} (Found before anything was written.)"
    else:
        read_only = [rel for rel in run.tx.changed_files() if not writable_by_mode(checkout / rel)]
        them = "it" if len(read_only) == 1 else "them"
        problem = (
            f"{', '.join(read_only)}: read-only, but the wiring must edit {them}. "
            f"Make {them} writable (e.g. chmod u+w {' '.join(read_only)}) and run again; nothing was written."
            if read_only
            else ""
        )
    if len(_dry_runs) > 64:
        _dry_runs.clear()
    _dry_runs[key] = problem
    return problem


def _stamp(checkout: Path, layout: Layout) -> tuple:
    """What identifies the state of the files the wiring reads (paths, sizes, times, modes)."""
    stamp = []
    for rel in sorted(set(layout.files.values())):
        try:
            info = (checkout / rel).stat()
        except OSError:
            stamp.append((rel, None))
            continue
        stamp.append((rel, info.st_size, info.st_mtime_ns, info.st_mode))
    return tuple(stamp)

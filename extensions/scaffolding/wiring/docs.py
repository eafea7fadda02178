"""Documentation steps: the env template (``.env.copy``) and ``CLAUDE.md``."""

from __future__ import annotations

import re
from collections import Counter

from ..edits import AnchorNotFound, WiringError, insert_lines
from .answers import Answers
from .context import Context, StepResult, finish, restore_hint

_ENV_HEADER = "# ─── "
_ENV_VAR = re.compile(r"([A-Z][A-Z0-9_]*)=")


_CONFIGURATION_HEADER = re.compile(r"# .+ Configuration$")
_REQUIRED_IF = "# Required if AI_PROVIDER="


def _env_sections(lines: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The file's section style and its sections as (start, end) 0-based half-open line ranges.

    "boxed": ``# ─── Title ───`` headers, each section running to the next header (Prompture 1.0.13
    and later). "configuration": blank-line separated blocks opened by ``# Title Configuration``
    (earlier releases); a block ends before its first blank line.
    """
    starts = [i for i, line in enumerate(lines) if line.startswith(_ENV_HEADER)]
    if starts:
        return "boxed", [
            (start, (starts[k + 1] if k + 1 < len(starts) else len(lines))) for k, start in enumerate(starts)
        ]
    sections = []
    for i, line in enumerate(lines):
        if _CONFIGURATION_HEADER.match(line.rstrip()) and (i == 0 or not lines[i - 1].strip().startswith("#")):
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            sections.append((i, end))
    return ("configuration" if sections else ""), sections


def _env_vars(lines: list[str]) -> list[str]:
    return [match.group(1) for line in lines if (match := _ENV_VAR.match(line))]


def _is_provider_section(names: list[str]) -> bool:
    found = set(names)
    return any(
        name.endswith("_MODEL") and ({f"{name[:-6]}_API_KEY", f"{name[:-6]}_ENDPOINT"} & found) for name in found
    )


def _env_value(url: str) -> str:
    """The endpoint as a ``.env`` value: single-quoted when it has ``${NAME}`` parts, which python-dotenv (and so
    Prompture's settings) would otherwise replace, by "" when NAME is unset; the driver fills them in itself."""
    return f"'{url}'" if "${" in url else url


def _shared_key(lines: list[str], sections: list[tuple[int, int]], a: Answers) -> str:
    """The API key variable when another provider's lines set it already (a regional variant reading
    its vendor's key, as models.dev names it): that line serves both, so it is not written twice."""
    if not a.has_api_key or not a.api_key_env:
        return ""
    where = [i for i, line in enumerate(lines) if (match := _ENV_VAR.match(line)) and match.group(1) == a.api_key_env]
    if not where:
        return ""
    section = next(((s, e) for s, e in sections if s <= where[0] < e), (where[0], where[0] + 1))
    return "" if f"{a.upper}_MODEL" in _env_vars(lines[section[0] : section[1]]) else a.api_key_env


def step_env(ctx: Context) -> StepResult:
    """A section after the last provider section, in the file's style, and the name in the AI_PROVIDER list."""
    path = ctx.layout.path("env")
    a = ctx.answers
    text = ctx.tx.text(path)
    lines = text.splitlines()
    style, sections = _env_sections(lines)
    if not sections:
        raise AnchorNotFound(
            path, "section headers like '# ─── OpenAI ───…' or '# OpenAI Configuration'", restore_hint(path)
        )
    boxed = style == "boxed"
    width = Counter(len(lines[start]) for start, _ in sections).most_common(1)[0][0] if boxed else 79

    new_vars = []
    shared_key = _shared_key(lines, sections, a)
    if a.has_api_key and not shared_key:
        new_vars.append((a.api_key_env, f"your-{a.provider}-api-key"))
    new_vars.append((f"{a.upper}_MODEL", a.default_model))
    if a.endpoint:
        new_vars.append((a.endpoint_var, _env_value(a.endpoint)))
    existing = set(_env_vars(lines))
    present = [name for name, _ in new_vars if name in existing]
    if present and len(present) < len(new_vars):
        missing = [name for name, _ in new_vars if name not in existing]
        raise WiringError(
            f"{path}: already sets {', '.join(present)} but not {', '.join(missing)}: complete or remove "
            "those lines by hand, then run again."
        )
    if not present:
        providers = [(s, e) for s, e in sections if _is_provider_section(_env_vars(lines[s:e]))]
        if not providers:
            raise AnchorNotFound(
                path,
                "a provider section ('# ─── Name ───' or '# Name Configuration' with NAME_API_KEY or "
                "NAME_ENDPOINT and NAME_MODEL)",
                restore_hint(path),
            )
        start, end = providers[-1]
        assignments = [f"{name}={value}" for name, value in new_vars]
        # The endpoint's ${NAME} parts, before its line (the last); one another provider's lines set serves both.
        new_parts = [name for name in a.endpoint_vars if name not in existing]
        assignments[-1:-1] = [f"{name}=your-{name.lower().replace('_', '-')}" for name in new_parts]
        if shared_key:
            assignments.insert(0, f"# The API key is {shared_key}, shared with another provider.")
        if boxed:
            title = f"{_ENV_HEADER}{a.display_name} "
            section = [title + "─" * max(1, width - len(title)), *assignments]
            if end < len(lines):
                text = insert_lines(text, end + 1, [*section, ""])
            else:
                text = insert_lines(text, len(lines) + 1, ([""] if lines and lines[-1].strip() else []) + section)
        else:
            required = [f"{_REQUIRED_IF}{a.provider}"] if lines[start + 1].startswith(_REQUIRED_IF) else []
            section = [f"# {a.display_name} Configuration", *required, *assignments]
            text = insert_lines(text, end + 1, ["", *section])
    text = _add_to_provider_list(text, path, a.provider, width)
    return finish(ctx, "env template", path, text)


def _add_to_provider_list(text: str, path: str, provider: str, width: int) -> str:
    """Append ``provider`` to the ``# Set AI_PROVIDER to one of: a, b,`` comment, wrapping at ``width``."""
    lines = text.splitlines(keepends=True)
    first = next(
        (i for i, line in enumerate(lines) if line.startswith("#") and "AI_PROVIDER" in line and "one of:" in line),
        None,
    )
    if first is None:
        raise AnchorNotFound(path, "the comment '# Set AI_PROVIDER to one of: …'", restore_hint(path))
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("# ") and not lines[last + 1].startswith(_ENV_HEADER):
        last += 1
    listed = lines[first].split("one of:", 1)[1] + "".join(line[2:] for line in lines[first + 1 : last + 1])
    names = [name.strip() for name in listed.replace("\n", " ").split(",") if name.strip()]
    if provider in names:
        return text
    tail = lines[last].rstrip("\r\n")
    ending = lines[last][len(tail) :] or "\n"
    if len(tail) + len(", ") + len(provider) <= width:
        lines[last] = f"{tail}, {provider}{ending}"
    else:
        lines[last] = f"{tail},{ending}"
        lines.insert(last + 1, f"# {provider}{ending}")
    return "".join(lines)


_PARENTHESES = re.compile(r"\(([^()]*)\)")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_CODE_SPAN = re.compile(r"`[^`]*`")


def _driver_list(line: str) -> tuple[int, list[str]] | None:
    """Where to add a name to the line's driver list, its first parenthesised list (``(openai, claude, …)``;
    before ``, …`` when it ends so), and the names listed; None when that list is not one of names."""
    masked = _CODE_SPAN.sub(lambda m: "`" * len(m.group(0)), line)  # `generate(prompt, options)` is no list
    match = next((m for m in _PARENTHESES.finditer(masked) if "," in m.group(1)), None)
    if match is None:
        return None
    names = [name.strip() for name in match.group(1).split(",")]
    open_ended = names[-1] == "…"
    if open_ended:
        names = names[:-1]
    if not all(_NAME.fullmatch(name) for name in names):
        return None
    return (match.end(1) - len(", …") if open_ended else match.end(1)), names


def step_claude_md(ctx: Context) -> StepResult:
    """Add the provider to the driver list of the ``prompture/drivers/`` bullet in Module Layout."""
    path = ctx.layout.path("claude_md")
    provider = ctx.answers.provider
    lines = ctx.tx.text(path).splitlines(keepends=True)
    index = next((i for i, line in enumerate(lines) if line.lstrip().startswith("- **`prompture/drivers/`**")), None)
    if index is None:
        raise AnchorNotFound(path, "the '- **`prompture/drivers/`**' bullet under 'Module Layout'", restore_hint(path))
    found = _driver_list(lines[index])
    if found is None:
        raise AnchorNotFound(
            path,
            "the driver list '(openai, claude, …)' in the '- **`prompture/drivers/`**' bullet",
            restore_hint(path),
        )
    at, names = found
    if provider not in names:
        line = lines[index]
        lines[index] = line[:at] + f", {provider}" + line[at:]
    return finish(ctx, "CLAUDE.md driver list", path, "".join(lines))

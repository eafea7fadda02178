"""Places in the checkout's docs that list every provider by name (beyond the add-driver spec).

    readme_providers   README.md: the "Provider | Example Model | Cost" table, and the
                       "**N providers** — OpenAI, Claude, …, and generic HTTP" feature line
    issue_template     .github/ISSUE_TEMPLATE/provider_driver_bug.yml: the provider dropdown
    driver_reference   the add-driver skill's "Existing Drivers for Reference" table

Each keeps the list's own format and order, adds nothing a second time, and is not applicable
(a ``–`` line) where the release has no such file or the file has no such list.
"""

from __future__ import annotations

import re

from .context import Context, StepResult, finish

_TABLE_HEADER = re.compile(r"\|\s*Provider\s*\|\s*Example Model\s*\|\s*Cost\s*\|")
_FEATURE_LINE = re.compile(r"^(- \*\*)(\d+)(\+?)( providers\*\* — )(.*)(, and )(.+)$")


def _not_applicable(ctx: Context, step: str, kind: str, why: str) -> StepResult:
    return StepResult(step, "n/a", ctx.layout.path(kind), why)


def _lines(ctx: Context, kind: str) -> list[str] | None:
    """The file's lines (with their endings), or None when this release has no such file."""
    path = ctx.layout.path(kind)
    if not (ctx.root / path).is_file():
        return None
    return ctx.tx.text(path).splitlines(keepends=True)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :] or "\n"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_rows(lines: list[str], header: int) -> range:
    """Line indexes of the rows of the Markdown table whose header is at ``header`` (after the rule line)."""
    end = header + 2
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    return range(header + 2, end)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def step_readme_providers(ctx: Context) -> StepResult:
    """A row in the README's provider table (the full list: its last such table) and a name in the feature line.

    Providers with a key join the priced ones, before the first free (local) row, as the
    maintainers placed Moonshot and Z.ai; endpoint-only providers follow the last free row.
    """
    step, a = "README provider table", ctx.answers
    lines = _lines(ctx, "readme")
    if lines is None:
        return _not_applicable(ctx, step, "readme", f"this release has no {ctx.layout.path('readme')}")
    headers = [i for i, line in enumerate(lines) if _TABLE_HEADER.match(line.strip())]
    if not headers:
        return _not_applicable(ctx, step, "readme", "it has no 'Provider | Example Model | Cost' table")
    listed = {_cells(lines[i])[0] for header in headers for i in _table_rows(lines, header)}
    if f"`{a.provider}`" not in listed:
        rows = _table_rows(lines, headers[-1])
        free = [i for i in rows if _cells(lines[i])[-1].startswith("Free")]
        if a.has_api_key:
            at = free[0] if free else rows.stop
            cost = "Automatic"
        else:
            at = free[-1] + 1 if free else rows.stop
            cost = "Free"
        model = _markdown_cell(a.default_model)
        lines.insert(at, f"| `{a.provider}` | `{a.provider}/{model}` | {cost} |{_ending(lines[at - 1])}")
    _add_to_feature_line(lines, a.display_name)
    return finish(ctx, step, ctx.layout.path("readme"), "".join(lines))


def _add_to_feature_line(lines: list[str], display_name: str) -> None:
    """``**12 providers** — A, B, and generic HTTP`` -> ``**13 providers** — A, B, <name>, and generic HTTP``."""
    for i, line in enumerate(lines):
        match = _FEATURE_LINE.match(line.rstrip("\r\n"))
        if match is None:
            continue
        lead, count, plus, middle, names, conjunction, last = match.groups()
        if display_name in [name.strip() for name in names.split(",")] + [last]:
            return
        count = count if plus else str(int(count) + 1)  # "20+" stays true; "12" is exact
        lines[i] = f"{lead}{count}{plus}{middle}{names}, {display_name}{conjunction}{last}{_ending(line)}"
        return


_OPTION = re.compile(r"^(\s*)- (.+?)\s*$")


def step_issue_template(ctx: Context) -> StepResult:
    """The provider in the bug template's provider dropdown, before its "other" option."""
    step, provider = "issue template provider list", ctx.answers.provider
    lines = _lines(ctx, "issue_template")
    if lines is None:
        return _not_applicable(ctx, step, "issue_template", f"this release has no {ctx.layout.path('issue_template')}")
    start = next((i for i, line in enumerate(lines) if line.strip() == "id: provider"), None)
    options = (
        next((i for i in range(start, len(lines)) if lines[i].strip() == "options:"), None)
        if start is not None
        else None
    )
    if options is None:
        return _not_applicable(ctx, step, "issue_template", "it has no 'id: provider' dropdown with options")
    items = []
    for i in range(options + 1, len(lines)):
        match = _OPTION.match(lines[i])
        if match is None:
            break
        items.append((i, match.group(1), match.group(2)))
    if not items:
        return _not_applicable(ctx, step, "issue_template", "its provider dropdown lists no options")
    names = [value.split(" (", 1)[0] for _, _, value in items]
    if provider not in names:
        other = next((i for i, _, value in items if value == "other"), None)
        at = other if other is not None else items[-1][0] + 1
        lines.insert(at, f"{items[0][1]}- {provider}{_ending(lines[items[0][0]])}")
    return finish(ctx, step, ctx.layout.path("issue_template"), "".join(lines))


_REFERENCE_HEADER = re.compile(r"\|\s*Driver\s*\|\s*File\s*\|\s*SDK\s*\|\s*Auth\s*\|\s*models\.dev\s*\|")
_AUTH_WORDS = {"api_key": "API key", "api_key_and_endpoint": "API key + endpoint", "endpoint": "Endpoint URL"}


def step_driver_reference(ctx: Context) -> StepResult:
    """A row in the add-driver skill's table of existing drivers, after the last row with the same kind of auth."""
    step, a = "add-driver reference table", ctx.answers
    lines = _lines(ctx, "driver_reference")
    if lines is None:
        return _not_applicable(
            ctx, step, "driver_reference", f"this release has no {ctx.layout.path('driver_reference')}"
        )
    header = next((i for i, line in enumerate(lines) if _REFERENCE_HEADER.match(line.strip())), None)
    if header is None:
        return _not_applicable(ctx, step, "driver_reference", "it has no 'Driver | File | SDK | Auth' table")
    rows = _table_rows(lines, header)
    module = f"`{a.provider}_driver.py`"
    if all(_cells(lines[i])[1] != module for i in rows):
        auth = _AUTH_WORDS[a.auth]
        same_auth = [i for i in rows if _cells(lines[i])[3].startswith(auth.split(" +")[0])]
        at = same_auth[-1] + 1 if same_auth else rows.stop
        sdk = f"`{a.sdk_package}`" if a.api_style == "custom_sdk" and a.sdk_package else "`httpx`"
        models_dev = f"`{a.models_dev_provider}`" if a.models_dev_provider else "—"
        cells = [_markdown_cell(a.display_name), module, sdk, auth, models_dev]
        lines.insert(at, f"| {' | '.join(cells)} |{_ending(lines[at - 1])}")
    return finish(ctx, step, ctx.layout.path("driver_reference"), "".join(lines))

"""Export steps: the driver classes importable from the packages that re-export them."""

from __future__ import annotations

from .context import Context, StepResult, ensure_import, ensure_in_all, finish, ruff_line_length


def step_drivers(ctx: Context) -> StepResult:
    """Import both driver classes into the drivers package and export them (``from .drivers import *``)."""
    path = ctx.layout.path("drivers")
    a = ctx.answers
    text = ctx.tx.text(path)
    pairs = (
        (f"{a.provider}_driver", f"{a.class_prefix}Driver"),
        (f"async_{a.provider}_driver", f"Async{a.class_prefix}Driver"),
    )
    for module, name in pairs:
        text = ensure_import(text, path, module, name, ruff_line_length(ctx.root))
    for _, name in pairs:
        text = ensure_in_all(text, path, name)
    return finish(ctx, "driver exports", path, text)


def step_package_exports(ctx: Context) -> StepResult:
    """L1: ``from prompture import <Prefix>Driver`` (the explicit ``from .drivers import (...)`` and ``__all__``)."""
    path = ctx.layout.path("package_exports")
    name = f"{ctx.answers.class_prefix}Driver"
    text = ensure_import(ctx.tx.text(path), path, "drivers", name, ruff_line_length(ctx.root))
    text = ensure_in_all(text, path, name)
    return finish(ctx, "package exports", path, text)

"""Wire a rendered provider driver into a Prompture checkout: one function per step.

Each step reads its file's text from the :class:`~..transaction.Transaction`, computes the
new text in memory and stages it; nothing is written until every step has run and the
transaction commits. A step that finds its edit already there stages nothing, so a second
run changes no byte. Steps are looked up by the names the layout lists (``Layout.steps``).

    answers.py       the answers the wiring reads
    context.py       Context, StepResult and helpers every step uses
    registry.py      where Prompture learns the provider exists (L4 family plugin, L3 descriptors, L1-L2 registries)
    exports.py       the driver classes re-exported by packages
    settings.py      the provider's Settings fields
    dependencies.py  a custom SDK in pyproject.toml
    docs.py          .env.copy and CLAUDE.md
    extras.py        optional places of later layouts (ProviderEnvironment, name map, key check, brand)
    provider_lists.py  lists of every provider: README table, issue template, add-driver reference
    catalogue.py     the rate file and model_rates
    discovery.py     model discovery
    runner.py        STEPS, the all-or-nothing run and the task's command line

The questionnaire's dry run and the --pretend preview sit above this package (``dry_run.py``).
"""

from __future__ import annotations

from .answers import Answers, load_answers
from .context import Context, StepResult
from .runner import STEPS, check_rendered, main, wire

__all__ = [
    "STEPS",
    "Answers",
    "Context",
    "StepResult",
    "check_rendered",
    "load_answers",
    "main",
    "wire",
]

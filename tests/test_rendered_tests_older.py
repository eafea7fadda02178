"""The rendered driver tests pass in checkouts of the older pins (1.0.12, 1.0.49, 1.0.57).

A covering sample of variants per pin (``OLDER_SAMPLES``, with the reason it suffices), each
checked as on 1.15.1 (tests/support/rendered_matrix.py), for the layouts that are wired.
"""

from __future__ import annotations

import pytest
from scaffolding import layouts
from support.rendered_matrix import MATRIX, OLDER_SAMPLES, assert_variant_holds, run_all

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

OLDER = (layouts.L1, layouts.L2, layouts.L3)
CASES = [(layout, name) for layout in OLDER for name in OLDER_SAMPLES[layout.name]]


@pytest.fixture(scope="module")
def older(tmp_path_factory):
    jobs = {(layout.pin, name): MATRIX[name] for layout, name in CASES if layout.wired}
    return run_all(jobs, tmp_path_factory.mktemp("rendered-tests-older")) if jobs else {}


@pytest.mark.parametrize(("layout", "variant"), CASES, ids=[f"{layout.name}-{name}" for layout, name in CASES])
def test_rendered_tests_pass_on_the_older_pins(older, layout, variant):
    if not layout.wired:
        pytest.skip(f"layout {layout.name} ({layout.versions}) is not wired yet (layouts.{layout.name}.wired is False)")
    assert_variant_holds(older[layout.pin, variant])

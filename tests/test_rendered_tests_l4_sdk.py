"""The rendered driver tests pass in a Prompture 1.15.1 checkout for the custom_sdk style, every auth,
with the SDK imported lazily or eagerly (the other styles: tests/test_rendered_tests_l4.py).
"""

from __future__ import annotations

import pytest
from support.rendered_matrix import L4_PIN, assert_variant_holds, l4_variants, run_all

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

VARIANTS = l4_variants(sdk=True)


@pytest.fixture(scope="module")
def l4_sdk(tmp_path_factory):
    results = run_all({(L4_PIN, name): data for name, data in VARIANTS.items()}, tmp_path_factory.mktemp("sdk"))
    return {name: result for (_, name), result in results.items()}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_sdk_tests_pass_on_1_15_1(l4_sdk, variant):
    assert_variant_holds(l4_sdk[variant])

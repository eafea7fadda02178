"""The rendered driver tests pass in a Prompture 1.15.1 checkout, for every api_style x auth but
custom_sdk's (tests/test_rendered_tests_l4_sdk.py).

What each variant must hold is in tests/support/rendered_matrix.py. The variants run
concurrently (each is a few subprocesses).
"""

from __future__ import annotations

import pytest
from support.copier_cli import TEMPLATE_DIR, run_copier, tree_digest
from support.models_dev_server import FIXTURE, ModelsDevServer
from support.prompture_runtime import checkout_env
from support.rendered_matrix import L4_PIN, METHODS, assert_variant_holds, l4_variants, run_all
from support.sdists import extract_checkout

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

VARIANTS = l4_variants(sdk=False)


@pytest.fixture(scope="module")
def l4(tmp_path_factory):
    jobs = {(L4_PIN, name): data for name, data in VARIANTS.items()}
    results = run_all(jobs, tmp_path_factory.mktemp("rendered-tests-l4"))
    return {name: result for (_, name), result in results.items()}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_tests_pass_on_1_15_1(l4, variant):
    assert_variant_holds(l4[variant])


def test_a_no_removes_the_method_from_both_drivers(l4):
    result = l4["http-no-capabilities"]
    assert result.copy.returncode == 0, result.copy.stderr
    for module in ("acme_driver", "async_acme_driver"):
        source = (result.checkout / "prompture" / "drivers" / f"{module}.py").read_text()
        for method in METHODS.values():
            assert f"def {method}(" not in source, (module, method)
        for helper in ("_json_response_format", "_tool_reply", "_prepare_messages", "_StreamState"):
            assert f"{helper}(" not in source and f"{helper}," not in source, (module, helper)


def test_vision_without_messages_is_refused_before_anything_is_written(tmp_path):
    checkout = extract_checkout(L4_PIN, tmp_path / "src")
    before = tree_digest(checkout)
    with ModelsDevServer(FIXTURE) as server:
        env = checkout_env(tmp_path, tmp_path / "home")
        env.pop("PYTHONPATH")
        env.update(MODELS_DEV_URL=server.url, MODELS_DEV_CACHE_DIR=str(tmp_path / "models-dev-cache"))
        result = run_copier(
            "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "provider=acme",
            "--data", "models_dev_provider=acme-ai", "--data", "supports_messages=false",
            "--data", "supports_vision=true", TEMPLATE_DIR, checkout, cwd=tmp_path, env=env,
        )  # fmt: skip
    assert result.returncode != 0
    assert "supports_vision needs supports_messages" in result.stderr
    assert tree_digest(checkout) == before

"""The shared helpers a release has are found in its files, recorded, and the driver works with or without them.

Within L4, 1.1.1 has none of the helpers 1.15.1's OpenAI-compatible drivers share
(``DriverHTTPError``, ``_openai_compat_stream``, ``apply_effort``, ...; only the base's
usage recording, ``auto_record_usage``): a copy into it must render the local fallbacks,
not refuse the release or import what is not there.
"""

from __future__ import annotations

import subprocess

import pytest
from scaffolding.layouts import L1, L4, LAYOUTS, RELEASE_HELPERS
from support.models_dev_server import ModelsDevServer
from support.prompture_runtime import checkout_env
from support.scaffold import FIXTURE, run_in_checkout, scaffold
from support.sdists import extract_checkout
from support.template_repo import snapshot_template

pytestmark = pytest.mark.e2e

EARLIEST_L4 = "1.1.1"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: f"{layout.name}-{layout.pin}")
def test_each_pin_has_the_helpers_its_layout_records(layout, tmp_path):
    """``Layout.pin_helpers`` (docs/layouts.md's capability table is written from it) is what the sdist has."""
    assert layout.helpers_in(extract_checkout(layout.pin, tmp_path)) == sorted(layout.pin_helpers)
    assert L4.pin_helpers == tuple(RELEASE_HELPERS) and L1.pin_helpers == ()  # all of them; none (no tracker)


def test_a_helper_the_checkout_lacks_is_not_used(tmp_path):
    root = extract_checkout(L4.pin, tmp_path / "l4")
    (root / "prompture/drivers/_effort.py").unlink()
    assert "effort" not in L4.helpers_in(root)
    assert "rate_limits" in L4.helpers_in(root)


@pytest.fixture(scope="module")
def earliest(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("earliest-l4")
    template = snapshot_template(tmp / "template")
    with ModelsDevServer(FIXTURE) as server:
        return scaffold(EARLIEST_L4, tmp, template, server)


def test_the_earliest_l4_release_records_no_helpers_and_builds_the_driver(earliest):
    assert earliest.answers["prompture_layout"] == "L4"
    assert earliest.answers["prompture_helpers"] == ["auto_record_usage"]
    out = run_in_checkout(
        earliest,
        """
        from prompture.drivers import get_driver_for_model
        driver = get_driver_for_model("acme/acme-chat-1")
        print(type(driver).__name__, getattr(driver, "supports_streaming_tool_use", False))
        """,
    )
    assert out.split() == ["AcmeDriver", "False"]  # no live-event helpers there: ask_live buffers
    driver = (earliest.checkout / "prompture/drivers/acme_driver.py").read_text(encoding="utf-8")
    for helper in ("DriverHTTPError", "._openai_compat import", "._openai_compat_stream import", "apply_effort"):
        assert helper not in driver, helper


def test_the_rendered_tests_pass_on_the_earliest_l4_release(earliest):
    result = subprocess.run(
        [str(earliest.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_acme_driver.py"],
        cwd=earliest.checkout,
        env=checkout_env(earliest.checkout, earliest.home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]

"""Layout detection and the checkout inventory, on real Prompture sdists of each layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scaffolding.inventory import existing_driver_classes, existing_providers
from scaffolding.layouts import LAYOUTS, PROVIDER_LISTS, LayoutError, detect_layout
from support.sdists import extract_checkout

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)

PINS = {"L4": "1.15.1", "L3": "1.0.57", "L2": "1.0.49", "L1": "1.0.12"}


@pytest.fixture(scope="module")
def sdists(tmp_path_factory) -> dict[str, Path]:
    """One pristine checkout per layout (read-only use)."""
    base = tmp_path_factory.mktemp("layouts")
    return {name: extract_checkout(version, base / name) for name, version in PINS.items()}


@pytest.fixture
def l4(sdists, tmp_path) -> Path:
    """A writable copy of the L4 checkout."""
    return Path(shutil.copytree(sdists["L4"], tmp_path / "checkout"))


@pytest.mark.parametrize("name", list(PINS))
def test_each_pinned_release_is_detected_as_its_layout(sdists, name):
    layout = detect_layout(sdists[name])
    assert layout.name == name
    assert layout.wired
    assert layout.pin == PINS[name]
    for step in layout.steps:
        if step in layout.files and step not in PROVIDER_LISTS:  # a release without one of those skips its step
            assert (sdists[name] / layout.files[step]).is_file(), (name, step)


def test_layouts_are_listed_newest_first_and_each_names_its_files():
    assert [layout.name for layout in LAYOUTS] == ["L4", "L3", "L2", "L1"]
    for layout in LAYOUTS:
        assert all(step in layout.files for step in ("drivers", "settings", "pyproject", "env", "claude_md"))


def test_a_folder_that_is_not_prompture_names_what_was_looked_for(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n')
    with pytest.raises(LayoutError) as error:
        detect_layout(tmp_path)
    message = str(error.value)
    for layout in LAYOUTS:
        assert layout.identity in message
    assert "not a Prompture checkout" in message


def test_an_anchor_edited_away_is_named_with_its_file(l4):
    plugins = l4 / "prompture/plugins/builtins/__init__.py"
    plugins.write_text(plugins.read_text().replace("BUILTIN_PLUGINS", "PLUGINS"))
    with pytest.raises(LayoutError) as error:
        detect_layout(l4)
    assert "prompture/plugins/builtins/__init__.py does not contain 'BUILTIN_PLUGINS'" in str(error.value)
    assert "L4" in str(error.value)


def test_a_future_layout_is_refused_not_guessed(l4):
    """Plugins still there but descriptors moved elsewhere: not L4, and not silently an older layout."""
    (l4 / "prompture/drivers/provider_descriptors.py").unlink()
    with pytest.raises(LayoutError) as error:
        detect_layout(l4)
    assert "prompture/drivers/provider_descriptors.py is missing" in str(error.value)


def test_existing_providers_of_l4_come_from_plugins_and_driver_modules(sdists):
    names = existing_providers(sdists["L4"])
    assert {"openai", "claude", "moonshot", "groq", "grok", "zai", "ollama", "lmstudio"} <= names
    assert "xai" in names  # an alias built with build_alias("xai", ...) in a plugin
    assert "openai_img_gen" in names  # a driver module stem (openai_img_gen_driver.py)
    assert not any(name.startswith("async_") for name in names)
    assert "nimbus" not in names


def test_existing_providers_sees_a_new_plugin_and_a_new_driver(l4):
    (l4 / "prompture/plugins/builtins/nimbus_plugin.py").write_text(
        "from ...drivers.provider_descriptors import ProviderDescriptor\n\n\n"
        "def descriptors():\n"
        '    return [ProviderDescriptor(name="nimbus"), ProviderDescriptor(name=dynamic_name())]\n'
    )
    (l4 / "prompture/drivers/async_cirrus_driver.py").write_text("class AsyncCirrusDriver:\n    pass\n")
    names = existing_providers(l4)
    assert {"nimbus", "cirrus"} <= names
    assert "AsyncCirrusDriver" in existing_driver_classes(l4)


@pytest.mark.parametrize("name", ["L3", "L2", "L1"])
def test_existing_providers_of_older_layouts(sdists, name):
    names = existing_providers(sdists[name])
    assert {"openai", "claude", "moonshot", "ollama"} <= names


def test_existing_driver_classes_are_module_level_classes(sdists):
    classes = existing_driver_classes(sdists["L4"])
    assert {"MoonshotDriver", "AsyncMoonshotDriver", "Driver", "AsyncDriver", "OpenAIDriver"} <= classes
    assert "moonshot_driver" not in classes


def test_existing_driver_classes_skip_nested_classes(sdists, tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(sdists["L4"], checkout)
    module = "class OuterDriver:\n    class InnerConfig:\n        pass\n\n\nclass\tTabbedDriver(object): ...\n"
    (checkout / "prompture/drivers/outer_driver.py").write_text(module)
    classes = existing_driver_classes(checkout)
    assert {"OuterDriver", "TabbedDriver"} <= classes
    assert "InnerConfig" not in classes


def test_inventory_of_a_non_prompture_folder_is_empty(tmp_path):
    assert existing_providers(tmp_path) == set()
    assert existing_driver_classes(tmp_path) == set()

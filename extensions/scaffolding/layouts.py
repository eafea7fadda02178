"""Which Prompture source layout a checkout has, as data.

Prompture moved its internals four times (see ``docs/layouts.md``).
Each layout is one :class:`Layout` value below: the file that claims a checkout for it,
the anchors that must be present, the files each wiring step edits, the places the
rendered files go and what Prompture's own code offers the rendered drivers there
(:class:`DriverFacts`, given to the templates by the ``layout_facts`` Jinja filter).

Adding a layout (a later Prompture) means adding one entry to ``LAYOUTS``, newest first;
its ``steps`` name functions of ``wiring.STEPS`` (a new kind of edit is a new step there).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any


class LayoutError(Exception):
    """The folder is not a Prompture checkout this template recognises (message says why)."""


@dataclass(frozen=True)
class Marker:
    """A file that must exist and, when ``anchor`` is set, contain that exact text."""

    path: str
    anchor: str | None = None

    def problem(self, root: Path) -> str:
        """'' when the marker holds in ``root``, else what is missing."""
        file = root / self.path
        if not file.is_file():
            return f"{self.path} is missing"
        if self.anchor is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                return f"{self.path} cannot be read ({error})"
            if self.anchor not in text:
                return f"{self.path} does not contain {self.anchor!r}"
        return ""


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


def module_file(module: str, package: str = "prompture/drivers") -> str:
    """The file of a relative import seen from ``package``.

    ``..infra.cost_mixin`` -> ``prompture/infra/cost_mixin.py``, ``.base`` -> ``prompture/drivers/base.py``.
    """
    level = len(module) - len(module.lstrip("."))
    parts = package.split("/")[: len(package.split("/")) - (level - 1)]
    return "/".join([*parts, *module.lstrip(".").split(".")]) + ".py"


@dataclass(frozen=True)
class DriverFacts:
    """What Prompture's own code offers the rendered drivers in one layout (read from the sdists).

    Modules are relative imports as written in ``prompture/drivers/<provider>_driver.py``.
    A helper marked True is used by the rendered driver, so it is also a marker of the
    layout (:meth:`markers`): a release early in the layout's range that lacks it is
    refused with the helper named, instead of getting a driver that cannot import.
    Helpers that arrived within a layout's range are :data:`RELEASE_HELPERS` instead.
    """

    driver_base: str  # module of Driver
    async_driver_base: str  # module of AsyncDriver
    cost_mixin: str  # module of CostMixin and prepare_strict_schema
    model_rates: str  # module of get_model_capabilities
    parse_tool_arguments: bool  # driver_base has _parse_tool_arguments (else the driver defines its own)
    list_models: bool  # Driver.list_models and driver_base._fetch_openai_compatible_models (discovery asks drivers)
    inject_schema: bool  # Driver._inject_schema_into_messages (else the driver defines its own)
    cost_cached_tokens: bool  # CostMixin._calculate_cost(..., cached_tokens=...)
    rate_file_prices: bool  # prices come from a rate file's cost block before models.dev (infra/pricing.py)

    def markers(self) -> tuple[Marker, ...]:
        base, cost = module_file(self.driver_base), module_file(self.cost_mixin)
        always = (
            Marker(base, "class Driver"),
            Marker(base, "def _validate_model_capabilities("),
            Marker(module_file(self.async_driver_base), "class AsyncDriver"),
            Marker(cost, "class CostMixin"),
            Marker(cost, "def prepare_strict_schema("),
            Marker(cost, "def _get_model_config("),
            Marker(module_file(self.model_rates), "def get_model_capabilities("),
            Marker("prompture/drivers/vision_helpers.py", "def _prepare_openai_vision_messages("),
        )
        optional = (
            (self.parse_tool_arguments, Marker(base, "def _parse_tool_arguments(")),
            (self.list_models, Marker(base, "def _fetch_openai_compatible_models(")),
            (self.inject_schema, Marker(base, "def _inject_schema_into_messages(")),
            (self.cost_cached_tokens, Marker(cost, "cached_tokens: int | float = 0")),
            (self.rate_file_prices, Marker("prompture/infra/pricing.py", "def resolve_rates(")),
        )
        return always + tuple(marker for used, marker in optional if used)


_FLAT_DRIVER = DriverFacts(
    driver_base="..driver",
    async_driver_base="..async_driver",
    cost_mixin="..cost_mixin",
    model_rates="..model_rates",
    parse_tool_arguments=False,
    list_models=False,
    inject_schema=False,
    cost_cached_tokens=False,
    rate_file_prices=False,
)
_INFRA_DRIVER = DriverFacts(
    driver_base=".base",
    async_driver_base=".async_base",
    cost_mixin="..infra.cost_mixin",
    model_rates="..infra.model_rates",
    parse_tool_arguments=True,
    list_models=True,
    inject_schema=True,
    cost_cached_tokens=False,
    rate_file_prices=False,
)


#: Shared helpers of Prompture's own OpenAI-compatible drivers that arrived within a layout's
#: range (1.15.1 has them all, 1.1.1 only auto_record_usage): name -> the (file, text) pairs that show it, where
#: "{base}" / "{async_base}" are the layout's driver base modules. Found in the checkout at copy
#: time and recorded (the ``prompture_helpers`` answer); the rendered driver calls each one the
#: release has and keeps a local fallback for the others.
RELEASE_HELPERS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "http_error": (("{base}", "class DriverHTTPError("),),  # status_code, retryable
        "tool_call_dict": (("{base}", "def _tool_call_dict("),),  # arguments_error on malformed arguments
        "openai_tool_options": (("{base}", "def _apply_openai_tool_options("),),  # tool_choice checked
        "usage_model_name": (("{base}", "def _usage_model_name("), ("{async_base}", "def _usage_model_name(")),
        # Usage recorded to the tracker (L2 on); without usage_model_name the provider is read off
        # ``self.model`` up to its first "/", so the driver hands it the prefixed name (_UsageView).
        "auto_record_usage": (("{base}", "def _auto_record_usage("), ("{async_base}", "def _auto_record_usage(")),
        "live_tool_stream": (  # tool calls streamed as LiveEvents (ask_live)
            ("prompture/drivers/_openai_compat_stream.py", "def iter_openai_compat_live_events("),
            ("prompture/drivers/_openai_compat_stream.py", "def aiter_openai_compat_live_events("),
            ("prompture/drivers/_openai_compat_stream.py", "def _dict_to_chunk("),
        ),
        "effort": (("prompture/drivers/_effort.py", "def apply_effort("),),  # effort / reasoning_effort
        "openai_compat": (  # extra_body, guided decoding
            ("prompture/drivers/_openai_compat.py", "def merge_extra_body("),
            ("prompture/drivers/_openai_compat.py", "def apply_guided_decoding("),
        ),
        "rate_limits": (  # meta["rate_limits"]
            ("prompture/infra/rate_limits.py", "def add_rate_limits("),
            ("prompture/infra/rate_limits.py", "def limits_from_response("),
        ),
        "stop_reason": (("{base}", "def _normalize_stop_reason("),),  # end_turn, tool_use, max_tokens, ...
        "tool_choice": (("{base}", "def _translate_tool_choice("),),  # tool_choice in the Anthropic shape
    }
)

#: The helpers that speak the OpenAI chat-completions shape: a driver of another wire format
#: (``anthropic_compatible``) is rendered as if the release lacked them.
OPENAI_SHAPED_HELPERS = ("openai_tool_options", "live_tool_stream", "effort", "openai_compat")


@dataclass(frozen=True)
class Layout:
    """What the template knows about one Prompture source layout."""

    name: str  # "L4"
    title: str  # "plugins"
    versions: str  # PyPI versions with this layout
    pin: str  # the release the tests run this layout on
    identity: str  # the file whose presence claims a checkout for this layout
    absent: tuple[str, ...]  # files a checkout of this layout does not have (they belong to newer ones)
    markers: tuple[Marker, ...]  # must all hold once the layout is claimed (with driver.markers())
    files: Mapping[str, str]  # wiring step -> the file it edits (relative to the checkout)
    rendered: Mapping[str, str]  # rendered file kind -> path pattern with {provider}
    drivers_dir: str  # where driver modules live
    provider_sources: tuple[str, ...]  # glob patterns of modules that register providers
    steps: tuple[str, ...]  # wiring steps, in order (names of functions in wiring.STEPS)
    driver: DriverFacts  # what the rendered drivers import and call
    # How discovery reads a setting (L1, L2): "settings_or_getenv" -> `settings.x or os.getenv("X")`,
    # "cfg_value" -> `_cfg_value(env, "x", "X")`; "" where discovery is driven by descriptors.
    discovery_value: str = ""
    wired: bool = False  # True once wiring implements every step for this layout
    # The RELEASE_HELPERS the pin has (tests/test_release_helpers.py checks it against the sdist);
    # docs/layouts.md's capability table is written from it (scripts/layout_capabilities.py).
    pin_helpers: tuple[str, ...] = ()
    notes: str = field(default="", compare=False)

    def path(self, step: str) -> str:
        return self.files[step]

    def rendered_path(self, kind: str, provider: str) -> str:
        return self.rendered[kind].format(provider=provider)

    @property
    def label(self) -> str:
        """``L2 'infra' (1.0.13 – 1.0.49)``."""
        return f"{self.name} '{self.title}' ({self.versions})"

    def all_markers(self) -> tuple[Marker, ...]:
        return self.markers + tuple(m for m in self.driver.markers() if m not in self.markers)

    def helpers_in(self, root: Path) -> list[str]:
        """The :data:`RELEASE_HELPERS` the checkout at ``root`` has, sorted."""
        modules = {
            "{base}": module_file(self.driver.driver_base),
            "{async_base}": module_file(self.driver.async_driver_base),
        }
        return sorted(
            name
            for name, shown_by in RELEASE_HELPERS.items()
            if not any(Marker(modules.get(path, path), text).problem(root) for path, text in shown_by)
        )

    def template_facts(self, helpers: Iterable[str] = (), api_style: str = "") -> dict[str, Any]:
        """What the templates need to know (the ``layout_facts`` Jinja filter), with the recorded ``helpers``
        (less :data:`OPENAI_SHAPED_HELPERS` for the ``anthropic_compatible`` style)."""
        present = set(helpers)
        if api_style == "anthropic_compatible":
            present -= set(OPENAI_SHAPED_HELPERS)
        return {
            "name": self.name,
            "title": self.title,
            **{key: getattr(self.driver, key) for key in DriverFacts.__dataclass_fields__},
            **{name: name in present for name in RELEASE_HELPERS},
            "rate_file": self.rendered.get("rates"),
            "settings_module": self.files["settings"].removesuffix(".py").replace("/", "."),
        }


_DOCS = {
    "pyproject": "pyproject.toml",
    "env": ".env.copy",
    "claude_md": "CLAUDE.md",
    # Lists of every provider (wiring/provider_lists.py); a release without the file skips the step.
    "readme": "README.md",
    "issue_template": ".github/ISSUE_TEMPLATE/provider_driver_bug.yml",
    "driver_reference": ".claude/skills/add-driver/references/driver-template.md",
}
PROVIDER_LISTS = ("readme", "issue_template", "driver_reference")
_RENDERED_INFRA = {
    "driver": "prompture/drivers/{provider}_driver.py",
    "async_driver": "prompture/drivers/async_{provider}_driver.py",
    "rates": "prompture/infra/rates/{provider}.json",
}

L4 = Layout(
    name="L4",
    title="plugins",
    versions="1.1.1 – 1.15.x",
    pin="1.15.1",
    identity="prompture/plugins/builtins/__init__.py",
    absent=(),
    markers=(
        Marker("prompture/plugins/builtins/__init__.py", "BUILTIN_PLUGINS"),
        Marker("prompture/plugins/base.py", "class ProviderPlugin"),
        Marker("prompture/plugins/builtins/openai_compatible_plugin.py", "def descriptors("),
        Marker("prompture/plugins/builtins/local_plugin.py", "def descriptors("),
        Marker("prompture/plugins/builtins/extras_plugin.py", "def descriptors("),
        Marker("prompture/drivers/provider_descriptors.py", "class ProviderDescriptor"),
        Marker("prompture/drivers/__init__.py", "__all__"),
        Marker("prompture/infra/settings.py", "class Settings("),
    ),
    files=_frozen(
        {
            # The provider joins one family plugin (wiring/registry.py: family_plugin), as the built-ins do.
            "openai_compatible_family": "prompture/plugins/builtins/openai_compatible_plugin.py",
            "local_family": "prompture/plugins/builtins/local_plugin.py",
            "extras_family": "prompture/plugins/builtins/extras_plugin.py",
            "drivers": "prompture/drivers/__init__.py",
            "settings": "prompture/infra/settings.py",
            # Optional places (wiring/extras.py), each asked; a release without the file skips its step.
            "provider_env": "prompture/infra/provider_env.py",
            "name_map": "prompture/drivers/__init__.py",
            "key_check": "prompture/infra/provider_keys.py",
            "brand": "prompture/drivers/provider_branding.py",
            **_DOCS,
        }
    ),
    rendered=_frozen(_RENDERED_INFRA),
    drivers_dir="prompture/drivers",
    provider_sources=("prompture/plugins/builtins/*.py",),
    steps=(
        "family_plugin",
        "drivers",
        "settings",
        "provider_env",
        "name_map",
        "key_check",
        "brand",
        "rate_file",
        "pyproject",
        "env",
        "claude_md",
        *PROVIDER_LISTS,
    ),
    driver=DriverFacts(**{**_INFRA_DRIVER.__dict__, "cost_cached_tokens": True, "rate_file_prices": True}),
    wired=True,
    pin_helpers=tuple(RELEASE_HELPERS),
)

L3 = Layout(
    name="L3",
    title="descriptors",
    versions="1.0.50 – 1.0.57",
    pin="1.0.57",
    identity="prompture/drivers/provider_descriptors.py",
    absent=("prompture/plugins/builtins/__init__.py",),
    markers=(
        Marker("prompture/drivers/provider_descriptors.py", "def _build_descriptors"),
        Marker("prompture/drivers/provider_descriptors.py", "descriptors.append("),
        Marker("prompture/drivers/__init__.py", "__all__"),
        Marker("prompture/infra/settings.py", "class Settings("),
    ),
    files=_frozen(
        {
            "descriptors": "prompture/drivers/provider_descriptors.py",
            "drivers": "prompture/drivers/__init__.py",
            "settings": "prompture/infra/settings.py",
            "provider_env": "prompture/infra/provider_env.py",  # optional (wiring/extras.py)
            **_DOCS,
        }
    ),
    rendered=_frozen(_RENDERED_INFRA),
    drivers_dir="prompture/drivers",
    provider_sources=("prompture/drivers/provider_descriptors.py",),
    steps=(
        "descriptors",
        "drivers",
        "settings",
        "provider_env",
        "rate_file",
        "pyproject",
        "env",
        "claude_md",
        *PROVIDER_LISTS,
    ),
    driver=DriverFacts(**{**_INFRA_DRIVER.__dict__, "cost_cached_tokens": True, "rate_file_prices": True}),
    wired=True,
    pin_helpers=("auto_record_usage",),
)

L2 = Layout(
    name="L2",
    title="infra",
    versions="1.0.13 – 1.0.49",
    pin="1.0.49",
    identity="prompture/infra/settings.py",
    absent=("prompture/plugins/builtins/__init__.py", "prompture/drivers/provider_descriptors.py"),
    markers=(
        Marker("prompture/infra/settings.py", "class Settings("),
        Marker("prompture/drivers/__init__.py", "register_driver("),
        Marker("prompture/drivers/__init__.py", "PROVIDER_DRIVER_MAP"),
        Marker("prompture/drivers/async_registry.py", "register_async_driver("),
        Marker("prompture/drivers/async_registry.py", "ASYNC_PROVIDER_DRIVER_MAP"),
        Marker("prompture/infra/discovery.py", "provider_classes"),
        Marker("prompture/infra/discovery.py", "def _get_list_models_kwargs("),
        Marker("prompture/infra/model_rates.py", "PROVIDER_MAP"),
    ),
    files=_frozen(
        {
            "registry": "prompture/drivers/__init__.py",
            "driver_map": "prompture/drivers/__init__.py",
            "async_registry": "prompture/drivers/async_registry.py",
            "async_driver_map": "prompture/drivers/async_registry.py",
            "drivers": "prompture/drivers/__init__.py",
            "settings": "prompture/infra/settings.py",
            "provider_env": "prompture/infra/provider_env.py",  # optional; 1.0.49 has it, early L2 releases not
            "discovery": "prompture/infra/discovery.py",
            "list_models_kwargs": "prompture/infra/discovery.py",
            "model_rates": "prompture/infra/model_rates.py",
            **_DOCS,
        }
    ),
    # The rate folder exists from 1.0.38 on.
    rendered=_frozen(_RENDERED_INFRA),
    drivers_dir="prompture/drivers",
    provider_sources=("prompture/drivers/__init__.py", "prompture/drivers/async_registry.py"),
    steps=(
        "registry",
        "driver_map",
        "async_registry",
        "async_driver_map",
        "drivers",
        "settings",
        "provider_env",
        "discovery",
        "list_models_kwargs",
        "model_rates",
        "rate_file",
        "pyproject",
        "env",
        "claude_md",
        *PROVIDER_LISTS,
    ),
    driver=_INFRA_DRIVER,
    discovery_value="cfg_value",
    wired=True,
    pin_helpers=("auto_record_usage",),
)

L1 = Layout(
    name="L1",
    title="flat",
    versions="0.0.34 – 1.0.12",
    pin="1.0.12",
    identity="prompture/settings.py",
    absent=(
        "prompture/plugins/builtins/__init__.py",
        "prompture/drivers/provider_descriptors.py",
        "prompture/infra/settings.py",
    ),
    markers=(
        Marker("prompture/settings.py", "class Settings("),
        Marker("prompture/drivers/__init__.py", "register_driver("),
        Marker("prompture/drivers/async_registry.py", "register_async_driver("),
        Marker("prompture/discovery.py", "provider_classes"),
        Marker("prompture/model_rates.py", "PROVIDER_MAP"),
        Marker("prompture/__init__.py", "__all__"),
        Marker("prompture/__init__.py", "from .drivers import ("),
    ),
    files=_frozen(
        {
            "registry": "prompture/drivers/__init__.py",
            "async_registry": "prompture/drivers/async_registry.py",
            "drivers": "prompture/drivers/__init__.py",
            "package_exports": "prompture/__init__.py",
            "settings": "prompture/settings.py",
            "discovery": "prompture/discovery.py",
            "model_rates": "prompture/model_rates.py",
            **_DOCS,
        }
    ),
    rendered=_frozen({k: v for k, v in _RENDERED_INFRA.items() if k != "rates"}),  # no rate folder in L1
    drivers_dir="prompture/drivers",
    provider_sources=("prompture/drivers/__init__.py", "prompture/drivers/async_registry.py"),
    steps=(
        "registry",
        "async_registry",
        "drivers",
        "package_exports",
        "settings",
        "discovery",
        "model_rates",
        "rate_file",
        "pyproject",
        "env",
        "claude_md",
        *PROVIDER_LISTS,
    ),
    driver=_FLAT_DRIVER,
    discovery_value="settings_or_getenv",
    wired=True,
)

#: Newest first. A checkout is claimed by the first layout whose identity file exists
#: and whose ``absent`` files do not.
LAYOUTS: tuple[Layout, ...] = (L4, L3, L2, L1)
LAYOUTS_BY_NAME: Mapping[str, Layout] = MappingProxyType({layout.name: layout for layout in LAYOUTS})


def layout_named(name: str) -> Layout:
    """The layout recorded as ``prompture_layout`` ("L1" .. "L4")."""
    try:
        return LAYOUTS_BY_NAME[name]
    except KeyError:
        known = ", ".join(LAYOUTS_BY_NAME)
        raise LayoutError(f"{name!r} is not a Prompture layout this template knows (known: {known}).") from None


def _claims(layout: Layout, root: Path) -> bool:
    return (root / layout.identity).is_file() and not any((root / path).exists() for path in layout.absent)


def detect_layout(root: Path | str) -> Layout:
    """Return the layout of the Prompture checkout at ``root``.

    Raises :class:`LayoutError` naming the files and anchors it looked for when no
    layout claims the folder, or when the claiming layout's anchors are not all there
    (an anchor edited away, a half-moved tree, a newer Prompture than this template knows,
    or a release early in the layout's range that lacks a helper the rendered driver uses).
    """
    root = Path(root)
    if not root.is_dir():
        raise LayoutError(f"{root} is not a folder.")
    for layout in LAYOUTS:
        if not _claims(layout, root):
            continue
        problems = [problem for marker in layout.all_markers() if (problem := marker.problem(root))]
        if problems:
            raise LayoutError(
                f"{root} looks like a Prompture {layout.versions} checkout (layout {layout.name} "
                f"'{layout.title}': {layout.identity} exists), but " + "; ".join(problems) + ". "
                "Restore those lines (e.g. `git checkout -- <file>`), or this is a Prompture "
                f"release this template does not support (it was tested on {layout.pin})."
            )
        return layout
    looked_for = ", ".join(f"{layout.identity} ({layout.name})" for layout in LAYOUTS)
    raise LayoutError(
        f"{root} is not a Prompture checkout this template recognises: looked for {looked_for}, "
        "none found. Run the template in the root of a Prompture checkout (the folder with "
        "pyproject.toml and prompture/)."
    )

"""The answers the wiring reads, checked again (the answers file can be edited by hand)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..edits import WiringError
from ..extra_answers import (
    KEY_CHECK_STYLES,
    brand_color,
    brand_color_problem,
    brand_domain_problem,
    canonical_name_problem,
    key_check_url_problem,
)
from ..facts import facts_problem
from ..names import API_STYLES, AUTHS, has_api_key
from ..validators import (
    CLASS_PREFIX,
    PROVIDER_NAME,
    distribution_problem,
    endpoint_problem,
    endpoint_vars,
    env_name_problem,
    model_id_problem,
    text_problem,
    version_problem,
)

_MODELS_DEV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Answers:
    """The answers wiring uses (the answers file holds more; the rest is ignored)."""

    provider: str
    class_prefix: str
    display_name: str
    api_style: str
    auth: str
    default_model: str
    api_key_env: str | None = None
    endpoint: str | None = None
    endpoint_env: str | None = None
    sdk_package: str | None = None
    sdk_min_version: str | None = None
    lazy_import: bool | None = None
    models_dev_provider: str | None = None  # the provider's id on models.dev, when it is listed there
    prompture_layout: str | None = None  # the layout the files were rendered for ("L1" .. "L4")
    # The optional places of later layouts (wiring/extras.py); None: not asked, the step is skipped.
    provider_env_fields: bool | None = None
    canonical_name: str | None = None
    key_check_url: str | None = None
    key_check_auth: str | None = None
    brand: bool | None = None
    brand_domain: str | None = None
    brand_color: str | None = None
    # The prices answered for a provider models.dev does not list (its rate file's cost block).
    price_input: float | None = None
    price_output: float | None = None
    refresh_models_dev: bool = False  # never recorded: this run was asked to read models.dev again
    # Never recorded: the facts this run's questionnaire read (None: it read none, the rate file step reads them).
    models_dev_facts: dict[str, Any] | None = None

    @property
    def upper(self) -> str:
        return self.provider.upper()

    @property
    def has_api_key(self) -> bool:
        return has_api_key(self.auth)

    @property
    def endpoint_var(self) -> str:
        return self.endpoint_env or f"{self.upper}_ENDPOINT"

    @property
    def endpoint_vars(self) -> list[str]:
        """The variables the endpoint's ``${NAME}`` parts name (the driver fills them in), each once."""
        return endpoint_vars(self.endpoint or "")

    def settings_reads(self) -> list[tuple[str, str, str]]:
        """(driver constructor argument, Settings field, environment variable) of the key and the endpoint."""
        reads = []
        if self.has_api_key and self.api_key_env:
            reads.append(("api_key", f"{self.provider}_api_key", self.api_key_env))
        if self.endpoint:
            reads.append(("endpoint", f"{self.provider}_endpoint", self.endpoint_var))
        return reads

    def configured_by(self) -> tuple[str, str]:
        """(Settings field, environment variable) whose presence makes the provider configured: the key, or
        for endpoint-only providers the endpoint."""
        field, env = next(((f, e) for kwarg, f, e in self.settings_reads() if kwarg == "api_key"), (None, None))
        if field is None:
            field, env = f"{self.provider}_endpoint", self.endpoint_var
        return field, env

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "answers") -> Answers:
        def text(key: str, required: bool = True) -> str | None:
            value = data.get(key)
            if value is None or value == "":
                if required:
                    problems.append(f"{key} is missing")
                return None
            if not isinstance(value, str):
                problems.append(f"{key} must be text, not {type(value).__name__}")
                return None
            return value

        problems: list[str] = []
        provider = text("provider")
        if provider is not None and not PROVIDER_NAME.fullmatch(provider):
            problems.append(f"provider {provider!r} is not lowercase letters, digits and underscores")
        prefix = text("class_prefix")
        if prefix is not None and not CLASS_PREFIX.fullmatch(prefix):
            problems.append(f"class_prefix {prefix!r} is not a class name prefix like 'Acme'")
        display = text("display_name")
        if display is not None and (problem := text_problem(display, "display_name")):
            problems.append(problem)
        elif display is not None:
            display = " ".join(display.split())  # it ends up in comments: no trailing or doubled blanks
        api_style = text("api_style")
        if api_style is not None and api_style not in API_STYLES:
            problems.append(f"api_style {api_style!r} is not one of {', '.join(API_STYLES)}")
        auth = text("auth")
        if auth is not None and auth not in AUTHS:
            problems.append(f"auth {auth!r} is not one of {', '.join(AUTHS)}")
        model = text("default_model")
        if model is not None and (problem := model_id_problem(model)):
            problems.append(problem)
        api_key_env = text("api_key_env", required=auth is not None and has_api_key(auth))
        endpoint = text("endpoint", required=auth in ("endpoint", "api_key_and_endpoint"))
        endpoint_env = text("endpoint_env", required=False)
        for name in (api_key_env, endpoint_env):
            if name is not None and (problem := env_name_problem(name)):
                problems.append(problem)
        key_env = api_key_env if auth is not None and has_api_key(auth) else ""
        if endpoint is not None and (problem := endpoint_problem(endpoint, provider or "", key_env or "")):
            problems.append(problem)
        models_dev_id = text("models_dev_provider", required=False)
        if models_dev_id is not None and not _MODELS_DEV_ID.fullmatch(models_dev_id):
            problems.append(f"models_dev_provider {models_dev_id!r} is not a models.dev provider id like 'moonshotai'")
        layout = text("prompture_layout", required=False)
        sdk_package = sdk_min_version = lazy = None
        if api_style == "custom_sdk":
            sdk_package, sdk_min_version = text("sdk_package"), text("sdk_min_version")
            if sdk_package is not None and (problem := distribution_problem(sdk_package)):
                problems.append(problem)
            if sdk_min_version is not None and (problem := version_problem(sdk_min_version)):
                problems.append(problem)
            lazy = data.get("lazy_import", True)
            if not isinstance(lazy, bool):
                problems.append(f"lazy_import must be true or false, not {lazy!r}")
        prices = {}
        for key in ("price_input", "price_output"):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                problems.append(f"{key} must be a number (USD per 1M tokens), not {value!r}")
            elif value is not None:
                prices[key] = float(value)
        refresh = data.get("refresh_models_dev") or False
        facts = data.get("models_dev_facts")
        facts = facts if isinstance(facts, dict) and facts and not facts_problem(facts) else None
        if not isinstance(refresh, bool):
            problems.append(f"refresh_models_dev must be true or false, not {refresh!r}")
        extras = _extra_answers(data, problems)
        if problems:
            raise WiringError(f"{source}: " + "; ".join(problems) + ". Fix the answers and run again.")
        return cls(
            provider=provider,
            class_prefix=prefix,
            display_name=display,
            api_style=api_style,
            auth=auth,
            default_model=model,
            api_key_env=api_key_env if has_api_key(auth) else None,
            endpoint=endpoint,
            endpoint_env=endpoint_env,
            sdk_package=sdk_package,
            sdk_min_version=sdk_min_version,
            lazy_import=lazy,
            models_dev_provider=models_dev_id,
            prompture_layout=layout,
            refresh_models_dev=refresh,
            models_dev_facts=facts,
            **prices,
            **extras,
        )


def _extra_answers(data: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The optional places' answers that are present and valid; what is wrong goes to ``problems``."""
    extras: dict[str, Any] = {}
    for key in ("provider_env_fields", "brand"):
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            problems.append(f"{key} must be true or false, not {value!r}")
        elif value is not None:
            extras[key] = value
    checks = {
        "canonical_name": canonical_name_problem,
        "key_check_url": key_check_url_problem,
        "brand_domain": brand_domain_problem,
        "brand_color": brand_color_problem,
        "key_check_auth": lambda style: (
            "" if style in KEY_CHECK_STYLES else f"key_check_auth {style!r} is not one of {', '.join(KEY_CHECK_STYLES)}"
        ),
    }
    for key, problem_of in checks.items():
        value = data.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problems.append(f"{key} must be text, not {type(value).__name__}")
        elif problem := problem_of(value):
            problems.append(problem)
        else:
            extras[key] = brand_color(value) if key == "brand_color" else value
    return extras


def load_answers(path: Path | str) -> Answers:
    """Read a Copier answers file (YAML)."""
    import yaml

    path = Path(path)
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except OSError as error:
        raise WiringError(f"{path}: cannot read the answers file ({error.strerror}).") from None
    except yaml.YAMLError as error:
        raise WiringError(f"{path}: not a valid YAML answers file ({error}).") from None
    if not isinstance(data, dict):
        raise WiringError(f"{path}: the answers file does not hold a mapping of answers.")
    return Answers.from_mapping(data, source=str(path))

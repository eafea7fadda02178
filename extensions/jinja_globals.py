"""Jinja extensions that give copier.yml and the templates what they need.

Loaded by copier-template-extensions from this file's path. The logic lives in
the plain package ``scaffolding/`` beside this file; these classes only expose it
to Jinja as filters and globals.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from copier.errors import UserMessageError
from jinja2 import Environment, FileSystemBytecodeCache, Template, pass_context
from jinja2.ext import Extension

_PACKAGE_DIR = Path(__file__).resolve().parent / "scaffolding"


def _scaffolding(module: str) -> ModuleType:
    """Import ``scaffolding.<module>`` from the package beside this file.

    ``copier update`` loads the template three times in one process, each from its own
    clone (it replays the old version and renders the new one twice), and the old version
    may differ. So the package's name is a digest of its sources: clones of the same
    sources share one import, and another version gets its own.
    """
    package = _package_name()
    loaded = sys.modules.get(package)
    if loaded is None:
        spec = importlib.util.spec_from_file_location(
            package, _PACKAGE_DIR / "__init__.py", submodule_search_locations=[str(_PACKAGE_DIR)]
        )
        loaded = sys.modules[package] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    else:
        # The clone it was first imported from may be gone; the same sources are here.
        loaded.__path__ = [str(_PACKAGE_DIR)]
    return importlib.import_module(f"{package}.{module}")


@functools.lru_cache(maxsize=1)
def _package_name() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return "scaffolding_" + digest.hexdigest()[:16]


class CompiledTemplates(FileSystemBytecodeCache):
    """The template files compiled by Jinja, kept in the user's cache between runs.

    Copier renders from a fresh clone of the template in a new temporary folder each time,
    so Jinja's own key (a template's name and path) never matches twice. This key is the
    name and the environment's syntax options; Jinja still checks the cached code against
    the source's checksum (and its own and Python's version) on load.
    """

    def __init__(self, folder: str, environment: Environment) -> None:
        super().__init__(folder)
        self._environment = environment

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(name + "|" + self._syntax)

    @functools.cached_property
    def _syntax(self) -> str:
        # Read at first use: extensions are created before the environment lists them.
        return _syntax_of(self._environment)

    @classmethod
    def in_user_cache(cls, environment: Environment) -> CompiledTemplates | None:
        folder = _scaffolding("user_cache").user_cache_folder("jinja")
        # No writable cache: Jinja compiles each time, as without one.
        return None if folder is None else cls(str(folder), environment)


#: Compiled copier.yml strings, by (the environment's syntax, source): one copy or update compiles each once.
_COMPILED_STRINGS: dict[tuple[str, str], CodeType] = {}


def _compile_each_string_once(environment: Environment) -> None:
    """Make ``environment.from_string`` reuse the code compiled for the same string.

    Copier renders each question's default, ``when``, help and validator through
    ``from_string`` every time it asks or replays the question, and an update renders the
    template three times: without this, compiling the same hundred strings again and
    again is most of what the questionnaire costs. The code is kept for the process and,
    like the template files' (``CompiledTemplates``), in the user's cache.
    """
    syntax = functools.cache(lambda: _syntax_of(environment))

    def from_string(source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if isinstance(source, str):
            key = (syntax(), source)
            code = _COMPILED_STRINGS.get(key)
            if code is None:
                code = _COMPILED_STRINGS[key] = _string_code(environment, source)
        else:  # a parsed template (jinja2.nodes.Template): nothing to key it by
            code = environment.compile(source)
        cls = template_class or environment.template_class
        return cls.from_code(environment, code, environment.make_globals(globals), None)

    environment.from_string = from_string  # type: ignore[method-assign]


def _string_code(environment: Environment, source: str) -> CodeType:
    cache = environment.bytecode_cache
    if cache is None:
        return environment.compile(source)
    name = "string " + hashlib.sha256(source.encode()).hexdigest()
    bucket = cache.get_bucket(environment, name, None, source)
    if bucket.code is None:
        bucket.code = environment.compile(source)
        cache.set_bucket(bucket)
    return bucket.code


def _syntax_of(environment: Environment) -> str:
    """What, besides the source, decides the code a template compiles to."""
    options = [getattr(environment, option) for option in _SYNTAX_OPTIONS]
    return repr([*options, sorted(environment.extensions)])


#: The environment's options that change what a template compiles to (copier.yml's `_envops`).
_SYNTAX_OPTIONS = (
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
    "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
    "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "autoescape", "optimized",
)  # fmt: skip


class ModelsDevExtension(Extension):
    """The models.dev catalogue: its facts for the provider and the defaults derived from them.

    Only the questionnaire of a first copy (or of an update asked to refresh) reads models.dev:
    the rendered files use answers alone, and the facts themselves are recorded once, in the
    checkout's rate file, which the wiring writes (``wiring/catalogue.py``).
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        facts = _scaffolding("facts")
        environment.globals["models_dev_guess"] = self._guess
        environment.filters.update(
            models_dev_problem=self._provider_id_problem,
            models_dev_facts=self._facts_for_questions,
            facts_handoff=self._facts_handoff,
            default_api_style=facts.default_api_style,
            default_auth=facts.default_auth,
            default_api_key_env=facts.default_api_key_env,
            default_endpoint=facts.default_endpoint,
            default_model=facts.default_model,
            default_model_help=facts.default_model_help,
            key_env_names=facts.key_env_names,
            model_flag=facts.model_flag,
            provider_flag=facts.provider_flag,
        )

    @staticmethod
    def _guess(provider: str) -> str:
        catalogue = _scaffolding("models_dev").load_catalogue()
        return _scaffolding("facts").guess_provider_id(catalogue, provider)

    @staticmethod
    def _reads_models_dev(context) -> bool:
        questionnaire = _scaffolding("questionnaire")
        return questionnaire.reads_models_dev(
            questionnaire.replays_answers(context),
            context["_copier_conf"]["dst_path"],
            context.get("prompture_layout"),
            context.get("refresh_models_dev"),
        )

    @staticmethod
    @pass_context
    def _facts_for_questions(context, provider_id: str) -> dict:
        """The facts the questions' defaults come from; {} where Copier replays recorded answers."""
        if not ModelsDevExtension._reads_models_dev(context):
            return {}
        return ModelsDevExtension._facts(provider_id, context.get("refresh_models_dev") is True)

    @staticmethod
    @pass_context
    def _facts_handoff(context, facts: object) -> str:
        """The facts saved for the wiring task; "" with ``--pretend``, where tasks do not run."""
        if context["_copier_conf"]["pretend"] or not isinstance(facts, dict):
            return ""
        return _scaffolding("catalogue_facts").write_handoff(facts)

    @staticmethod
    @pass_context
    def _provider_id_problem(context, provider_id: str) -> str:
        if not provider_id or not ModelsDevExtension._reads_models_dev(context):
            return ""  # e.g. an update replaying its recorded answers: no network
        try:
            ModelsDevExtension._facts(provider_id, context.get("refresh_models_dev") is True)
        except UserMessageError as error:
            return str(error)
        return ""

    @staticmethod
    def _facts(provider_id: str, refresh: bool = False) -> dict:
        catalogue_facts = _scaffolding("catalogue_facts")
        try:
            return catalogue_facts.fetch_facts(provider_id, refresh)
        except catalogue_facts.CatalogueUnavailable as error:
            raise UserMessageError(str(error)) from error


class CheckoutExtension(Extension):
    """The target checkout and the answers: validators and Python-literal filters."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        questionnaire = _scaffolding("questionnaire")
        validators = _scaffolding("validators")
        literals = _scaffolding("pyliteral")
        names = _scaffolding("names")
        environment.filters.update(
            capability_problem=_scaffolding("capabilities").capability_problem,
            tests_problem=questionnaire.tests_problem,
            provider_problem=questionnaire.provider_problem,
            class_prefix_problem=questionnaire.class_prefix_problem,
            text_problem=validators.text_problem,
            distribution_problem=validators.distribution_problem,
            version_problem=validators.version_problem,
            import_problem=validators.import_problem,
            env_name_problem=questionnaire.env_name_problem,
            endpoint_problem=validators.endpoint_problem,
            endpoint_vars=validators.endpoint_vars,
            model_id_problem=validators.model_id_problem,
            price_problem=validators.price_problem,
            example_problem=questionnaire.example_problem,
            default_class_prefix=names.class_prefix_for,
            known_sdk=_scaffolding("sdks").known_sdk,
            default_sdk_min_version=_scaffolding("sdks").default_min_version,
            detected_layout=self._detected_layout,
            detected_helpers=self._detected_helpers,
            py_str=literals.py_str,
            py_value=literals.py_value,
            py_assignment=literals.py_assignment,
            ruff_line_length=self._ruff_line_length,
        )
        extras = _scaffolding("extra_answers")
        environment.filters.update(
            canonical_name_problem=extras.canonical_name_problem,
            key_check_url_problem=extras.key_check_url_problem,
            brand_domain_problem=extras.brand_domain_problem,
            brand_color_problem=extras.brand_color_problem,
            default_key_check_url=extras.default_key_check_url,
            default_brand_domain=extras.default_brand_domain,
        )
        # The rules copier.yml's `when`s and defaults share with the code (scaffolding/names.py).
        environment.globals["has_api_key"] = names.has_api_key
        environment.globals["no_default"] = self._no_default
        environment.globals["wiring_problem"] = self._wiring_problem
        environment.globals["wires"] = self._wires
        environment.globals["wiring_preview"] = self._wiring_preview
        environment.globals["is_update_replay"] = _scaffolding("replay").is_update_replay
        # The recorded layout, for the templates: `prompture_layout | layout_facts`, and file names.
        environment.filters.update(layout_facts=self._layout_facts, sort_imports=self._sort_imports)
        if environment.bytecode_cache is None:
            environment.bytecode_cache = CompiledTemplates.in_user_cache(environment)
        _compile_each_string_once(environment)

    @staticmethod
    def _detected_layout(checkout: object) -> str:
        layouts = _scaffolding("layouts")
        try:
            return layouts.detect_layout(Path(str(checkout))).name
        except layouts.LayoutError as error:
            raise UserMessageError(str(error)) from error

    @staticmethod
    def _ruff_line_length(checkout: object) -> int:
        """The checkout's ruff line length, as the wiring reads it (``wiring.context.ruff_line_length``)."""
        return _scaffolding("wiring.context").ruff_line_length(Path(str(checkout)))

    @staticmethod
    def _detected_helpers(checkout: object, layout: object) -> list[str]:
        """The release's shared helpers the driver may call (``Layout.helpers_in``); [] in a scratch folder."""
        layouts = _scaffolding("layouts")
        try:
            return layouts.layout_named(str(layout)).helpers_in(Path(str(checkout)))
        except layouts.LayoutError:
            return []  # no layout known: the layout question reports that

    @staticmethod
    def _layout_facts(name: str, helpers: object = (), api_style: object = "") -> dict:
        """What the rendered files may use: the recorded layout's facts and helpers (``Layout.template_facts``)."""
        layouts = _scaffolding("layouts")
        try:
            layout = layouts.layout_named(str(name))
            return layout.template_facts(helpers if isinstance(helpers, list) else (), str(api_style or ""))
        except layouts.LayoutError as error:
            raise UserMessageError(str(error)) from error

    @staticmethod
    def _wires(name: str, step: str) -> bool:
        """Whether the layout has the wiring step ``step`` ("brand", "key_check", ...)."""
        layouts = _scaffolding("layouts")
        try:
            return step in layouts.layout_named(str(name)).steps
        except layouts.LayoutError:
            return False

    @staticmethod
    def _sort_imports(statements: list[str]) -> list[str]:
        """``from <module> import ...`` statements in ruff's isort order: furthest relative level first, then module."""
        edits = _scaffolding("edits")

        def key(statement: str) -> tuple:
            module = statement.split()[1]
            return (-(len(module) - len(module.lstrip("."))), edits.isort_module_key(module.lstrip(".")))

        return sorted(statements, key=key)

    @staticmethod
    @pass_context
    def _wiring_problem(context) -> str:
        """Dry-run the wiring on the answers given so far (see ``questionnaire.wiring_problem``)."""
        return _scaffolding("questionnaire").wiring_problem(Path(str(context["_copier_conf"]["dst_path"])), context)

    @staticmethod
    @pass_context
    def _no_default(context, key: str, unset: object) -> object:
        """The default of a question that has none here (no models.dev value, or ``provider``).

        ``unset`` is Copier's ``UNSET``: returned, Copier asks with an empty input, or skips
        a question whose ``when`` is false. Under ``--defaults`` nothing is asked, so a question
        that would be is refused here, before anything is written, naming the ``--data`` keys.
        """
        required = _scaffolding("required")
        if not context["_copier_conf"]["defaults"] or not required.lacks_default(key, context):
            return unset
        offline = key != "provider" and not context.get("models_dev_provider")
        unreachable = _scaffolding("models_dev").unreachable_reason() if offline else ""
        given = context["_copier_conf"]["data"] or {}
        raise UserMessageError(required.missing_answer_message(key, context, given, unreachable))

    @staticmethod
    @pass_context
    def _wiring_preview(context) -> str:
        """The wiring's step lines and diffs for ``--pretend`` (see ``preview.py``)."""
        return _scaffolding("preview").preview(Path(str(context["_copier_conf"]["dst_path"])), context)

"""The system under test: one store manager per set of memory schemas, around an extractor.

The extractor is a baseline (``baseline/...``) or an LLM memory manager built from the model
string, the rendered instruction template and the run's manager options; every LLM call goes
through the project's response cache in the run's cache mode; its template is rendered for each
session (its ``session_date`` and ``speakers``), and sessions rendering the same text share one
manager. A ``system`` (a peer library or ``module:attr``) or an object passed in replaces it,
adapted by :mod:`harness.systems` to the same interface. Each extractor is wrapped so the time
spent inside it (the model path) is measured apart from store work.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from harness.baselines.reference import get_reference
from harness.baselines.registry import baseline_class, baseline_for_run, is_baseline
from harness.memory.manager import create_memory_manager
from harness.memory.schemas import Memory
from harness.memory.store.base import BaseStore
from harness.memory.store_manager import MemoryStoreManager, Retrieval
from harness.models import ResponseCache, get_model
from harness.models.types import GenerateConfig
from harness.runner.config import RunConfig
from harness.systems.custom import as_system, check_system
from harness.systems.registry import check_system_spec, system_for_run, system_model_name
from harness.templates import TemplateVariables

NAMESPACE = ("run", "{run_id}", "{case_id}", "{repeat}")
"""Where a case x repeat keeps its memories (``{repeat}`` is ``r0``, ``r1``, ...)."""


@dataclass
class Timings:
    """Seconds spent per phase of one case x repeat."""

    extract_s: float = 0.0  # store manager calls, all inside
    model_path_s: float = 0.0  # inside the extractor (model calls, prompt building, parsing)
    store_s: float = 0.0  # seeding, gold resets, listing the final state, gold namespace
    scoring_s: float = 0.0
    retrieval_s: float = 0.0

    def as_dict(self, total: float) -> dict[str, float]:
        return {
            "total_s": total,
            "extract_s": self.extract_s,
            "model_path_s": self.model_path_s,
            "store_s": self.store_s + max(self.extract_s - self.model_path_s, 0.0),
            "scoring_s": self.scoring_s,
            "retrieval_s": self.retrieval_s,
        }


current_timings: ContextVar[Timings | None] = ContextVar("harness_case_timings", default=None)


class TimedExtractor:
    """Delegates to ``inner`` and adds the time spent there to the case's :class:`Timings`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.schemas = getattr(inner, "schemas", None)

    def __repr__(self) -> str:
        return repr(self.inner)

    async def ainvoke(self, input: Mapping[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await self.inner.ainvoke(input)
        finally:
            timings = current_timings.get()
            if timings is not None:
                timings.model_path_s += time.perf_counter() - started


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Extractors:
    """Builds (once per schema set) the store manager that replays cases.

    ``custom``: your memory system object (a memory manager such as a configured
    :class:`~harness.memory.manager.MemoryManager`, or a function ``fn(session, memories)``,
    see :mod:`harness.systems.custom`) used for every case instead of one built from
    ``config.model``; the run then records ``custom/<class name>`` as its model.
    ``config.system`` names a system the same way (loaded and checked here, before any case).
    """

    def __init__(
        self, config: RunConfig, template: Any, store: BaseStore, custom: Any = None
    ) -> None:
        self.config = config
        self.template = template
        self.store = store
        self.custom = custom
        self.system = None if custom is not None else config.system
        own = custom is None and self.system is None
        self.reference = own and config.model.startswith("reference/")
        self.baseline = own and (is_baseline(config.model) or self.reference)
        self._loaded: Any = None
        self._built: dict[tuple[str, ...], Any] = {}
        self._chat_model: Any = None
        self._managers: dict[tuple[str, ...], Any] = {}
        self.check()

    @property
    def replays_gold(self) -> bool:
        """Whether the extractor is the oracle, which must be told each session's gold ops."""
        if self.custom is not None:
            return bool(getattr(self.custom, "replays_gold", False))
        if self.system is not None:
            return bool(getattr(self._extractor((Memory,)), "replays_gold", False))
        return (
            self.baseline and not self.reference and baseline_class(self.config.model).replays_gold
        )

    @property
    def usage_known(self) -> bool:
        """Whether every model call of the system goes through the harness, which counts its
        tokens and cost. A system that calls its models itself (a peer library) says
        ``usage_known = False``: its runs record them as unknown (n/a), never as 0."""
        if self.custom is not None:
            return bool(getattr(self.custom, "usage_known", True))
        if self.system is not None:
            return bool(getattr(self._extractor((Memory,)), "usage_known", True))
        return True

    @property
    def model_name(self) -> str:
        """The model string the run records."""
        if self.custom is not None:
            return f"custom/{_label(self.custom)}"
        if self.system is not None:
            return system_model_name(self.system, self.config.model)
        return self.config.model

    def check(self) -> None:
        """Fail now (ConfigurationError naming the model) rather than on the first case."""
        if self.custom is not None:
            check_system(self.custom, f"the memory system {_label(self.custom)}")
            return
        if self.system is not None:
            self._loaded = check_system_spec(self.system)
            self._extractor((Memory,))
            return
        if self.baseline:
            self._extractor((Memory,))
        else:
            self.chat_model()

    def chat_model(self) -> Any:
        if self._chat_model is None:
            cache = ResponseCache(mode=self.config.cache)
            self._chat_model = get_model(self.config.model, cache=cache)
        return self._chat_model

    def instructions(
        self,
        schemas: tuple[type[BaseModel], ...],
        session_date: str | None = None,
        speakers: tuple[str, ...] = (),
    ) -> str:
        """The rendered template for ``schemas`` and one session's date and speakers."""
        variables = TemplateVariables.for_schemas(
            schemas,
            enable_inserts=self.config.enable_inserts,
            enable_updates=self.config.enable_updates,
            enable_deletes=self.config.enable_deletes,
            today=self.config.today,
            session_date=session_date,
            speakers=speakers,
        )
        return self.template.render(variables)

    def _extractor(self, schemas: tuple[type[BaseModel], ...]) -> Any:
        """The extractor for ``schemas``, built once."""
        key = tuple(schema.__name__ for schema in schemas)
        if key not in self._built:
            self._built[key] = self._build(schemas)
        return self._built[key]

    def _build(self, schemas: tuple[type[BaseModel], ...]) -> Any:
        config = self.config
        if self.custom is not None:
            return as_system(self.custom, schemas, name=_label(self.custom))
        if self.system is not None:
            return system_for_run(self.system, self._loaded, schemas, config.model, dict(config))
        if self.reference:
            return get_reference(config.model, schemas)
        if self.baseline:
            return baseline_for_run(config.model, schemas, dict(config))

        def build(instructions: str) -> Any:
            return create_memory_manager(
                self.chat_model(),
                schemas=schemas,
                instructions=instructions,
                enable_inserts=config.enable_inserts,
                enable_updates=config.enable_updates,
                enable_deletes=config.enable_deletes,
                max_steps=config.max_steps,
                max_repairs=config.max_repairs,
                config=GenerateConfig(temperature=config.temperature),
            )

        return SessionInstructions(
            build, lambda date, names: self.instructions(schemas, date, names)
        )

    def store_manager(self, schemas: tuple[type[BaseModel], ...]) -> Any:
        key = tuple(schema.__name__ for schema in schemas)
        manager = self._managers.get(key)
        if manager is None:
            manager = MemoryStoreManager(
                TimedExtractor(self._extractor(schemas)),
                store=self.store,
                namespace=NAMESPACE,
                schemas=schemas,
                enable_inserts=self.config.enable_inserts,
                enable_deletes=self.config.enable_deletes,
                query_limit=self.config.query_limit,
                retrieval=Retrieval(source="conversation", mode=self.config.retrieval_mode),
            )
            self._managers[key] = manager
        return manager

    def describe(self) -> dict[str, Any]:
        """What identifies the system under test, for the run record."""
        config = self.config
        kind = "custom" if self.custom is not None else "baseline" if self.baseline else "llm"
        if self.system is not None:
            kind = "peer" if ":" not in self.system else "custom"
        described: dict[str, Any] = {}
        if self.custom is not None or self.system is not None:
            described["system"] = _system_record(self._extractor((Memory,)))
        return {
            **described,
            "extractor": repr(self.custom)[:300] if self.custom is not None else config.model,
            "kind": kind,
            "manager": {
                "enable_inserts": config.enable_inserts,
                "enable_updates": config.enable_updates,
                "enable_deletes": config.enable_deletes,
                "max_steps": config.max_steps,
                "max_repairs": config.max_repairs,
                "temperature": config.temperature,
            },
            "store_manager": {
                "namespace": list(NAMESPACE),
                "query_limit": config.query_limit,
                "retrieval": {"source": "conversation", "mode": config.retrieval_mode},
            },
            "cache": config.cache,
        }


def _label(system: Any) -> str:
    """How a system object is named: its class, or a function's qualified name."""
    if isinstance(system, type):
        return system.__name__
    if not callable(system) or hasattr(system, "ainvoke"):
        return type(system).__name__
    return getattr(system, "__qualname__", type(system).__name__)


def _system_record(extractor: Any) -> dict[str, Any]:
    """What the run records about an adapted system (how its operations are known)."""
    describe = getattr(extractor, "describe", None)
    if callable(describe):
        return dict(describe())
    return {"name": type(extractor).__name__, "operations": "reported"}


class SessionInstructions:
    """An LLM memory manager whose instructions are rendered for each session it reads.

    ``render(session_date, speakers)`` gives the instructions text; ``build(text)`` the manager.
    Managers are kept per distinct text, so a template that uses neither variable builds one.
    """

    def __init__(self, build: Any, render: Any) -> None:
        self._build = build
        self._render = render
        self._managers: dict[str, Any] = {}
        self.schemas = self._manager(render(None, ())).schemas

    def __repr__(self) -> str:
        return repr(next(iter(self._managers.values())))

    def _manager(self, text: str) -> Any:
        manager = self._managers.get(text)
        if manager is None:
            manager = self._managers[text] = self._build(text)
        return manager

    async def ainvoke(self, input: Mapping[str, Any]) -> Any:
        date = input.get("date") if isinstance(input, Mapping) else None
        text = self._render(None if date is None else str(date), speakers(input))
        return await self._manager(text).ainvoke(input)


def speakers(input: Any) -> tuple[str, ...]:
    """The named speakers of a manager input's messages, in order of first appearance."""
    messages = input.get("messages", ()) if isinstance(input, Mapping) else ()
    names = (
        message.get("name") if isinstance(message, Mapping) else getattr(message, "name", None)
        for message in messages or ()
    )
    return tuple(dict.fromkeys(str(name) for name in names if name))


def case_schemas(case: Any, registry: Any) -> tuple[type[BaseModel], ...]:
    """The case's schema first, then every other kind its memories and ops name."""
    kinds = [case.schema_]
    kinds += [m.kind for m in case.existing if m.kind]
    kinds += [op.kind for s in case.sessions for op in s.expected if op.kind]
    return tuple(registry.model(kind) for kind in dict.fromkeys(kinds))

"""Systems under test by name: ``--system`` values, checked before any case runs.

A system is one of

- ``harness``: this project's own system for ``--model`` (the LLM memory manager, or the
  baseline a ``baseline/...`` name selects); the same as giving no ``--system``;
- a peer system, run on ``--model`` through litellm: ``langmem`` (extra ``[langmem]``) or
  ``mem0`` (extra ``[mem0]``);
- ``module:attr``, your own: ``attr`` (a dotted path inside ``module``) is a memory manager
  object or a function ``fn(session, memories)`` (see :mod:`harness.systems.custom`). The
  current directory is importable, as it is for ``python -m``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from harness.errors import ConfigurationError
from harness.systems.custom import as_system, check_system

__all__ = [
    "OWN_SYSTEM",
    "PEER_SYSTEMS",
    "check_system_spec",
    "is_import_spec",
    "load_import_spec",
    "normalise_system",
    "system_for_run",
    "system_model_name",
]

OWN_SYSTEM = "harness"
PEER_SYSTEMS: dict[str, tuple[str, str]] = {
    "langmem": ("harness.systems.langmem", "langmem"),
    "mem0": ("harness.systems.mem0", "mem0"),
}
"""Peer system name -> (adapter module, the optional extra that installs it)."""

_IMPORT_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def is_import_spec(value: str) -> bool:
    """True for ``module:attr`` (dotted names on both sides)."""
    return bool(_IMPORT_SPEC.match(value))


def normalise_system(value: str | None) -> str | None:
    """The canonical form of a ``--system`` value (``harness`` -> None); syntax errors raise.

    Nothing is imported: :func:`check_system_spec` does that.
    """
    if value is None:
        return None
    value = value.strip()
    if value in ("", OWN_SYSTEM):
        return None
    if value in PEER_SYSTEMS or is_import_spec(value):
        return value
    names = ", ".join([OWN_SYSTEM, *PEER_SYSTEMS])
    raise ValueError(
        f"{value!r} is not a system: give {names} or module:attr (your own, e.g. "
        "my_package.memory:system)"
    )


def load_import_spec(spec: str) -> Any:
    """The object ``module:attr`` names; ConfigurationError naming the spec when it cannot."""
    module_name, _, attr = spec.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ConfigurationError(
                f"system {spec}: no module named {module_name!r} (is it installed, or in the "
                "current directory?)"
            ) from None
        raise ConfigurationError(
            f"system {spec}: importing {module_name!r} failed: {exc}"
        ) from None
    except Exception as exc:  # the user's module is broken: say so, with the reason
        raise ConfigurationError(
            f"system {spec}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    found: Any = module
    for part in attr.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ConfigurationError(
                f"system {spec}: module {module_name!r} has no attribute {attr!r}"
            ) from None
    return found


def check_system_spec(spec: str) -> Any:
    """Fail now, naming the spec, if the system cannot be used; returns the loaded object
    (the adapter class for a peer system)."""
    if spec in PEER_SYSTEMS:
        return _peer_class(spec)

    system = load_import_spec(spec)
    check_system(system, f"system {spec}")
    return system


def system_for_run(
    spec: str,
    loaded: Any,
    schemas: tuple[type[BaseModel], ...],
    model: str,
    settings: Mapping[str, Any],
) -> Any:
    """The extractor of system ``spec`` (as :func:`check_system_spec` loaded it) for a run."""
    if spec in PEER_SYSTEMS:
        return loaded.for_run(model, schemas, settings)

    return as_system(loaded, schemas, name=spec)


def system_model_name(spec: str, model: str) -> str:
    """The model a run of ``spec`` records: ``langmem/<model>``, ``custom/<module:attr>``."""
    return f"{spec}/{model}" if spec in PEER_SYSTEMS else f"custom/{spec}"


def _peer_class(name: str) -> Any:
    module_name, extra = PEER_SYSTEMS[name]
    module = importlib.import_module(module_name)
    missing = module.missing_packages()
    if missing:
        raise ConfigurationError(
            f"system {name} needs {', '.join(missing)}: pip install 'memory-harness[{extra}]'"
        )
    return module.SYSTEM

"""Systems under test besides this project's own: yours, and peer memory libraries.

``harness run --system module:attr`` (or ``system=`` in a matrix file, or an object passed to
:func:`harness.testing.memory_eval`) replays a dataset through your own memory system: a
LangMem-style memory manager object or a function ``fn(session, memories)``
(:mod:`harness.systems.custom`). ``--system langmem`` and ``--system mem0`` run the peer
libraries on ``--model`` (optional extras). Every one is adapted to the extractor interface the
baselines use, so the runner replays it exactly like this project's manager; where a system
does not report operations, they are derived by diffing its memories (recorded with the run).

Names load on first use, so importing :mod:`harness.systems` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "CallableSystem": "harness.systems.custom",
    "ManagerSystem": "harness.systems.custom",
    "PEER_SYSTEMS": "harness.systems.registry",
    "Session": "harness.systems.custom",
    "as_system": "harness.systems.custom",
    "check_system_spec": "harness.systems.registry",
    "load_import_spec": "harness.systems.registry",
}

__all__ = [
    "PEER_SYSTEMS",
    "CallableSystem",
    "ManagerSystem",
    "Session",
    "as_system",
    "check_system_spec",
    "load_import_spec",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.systems.custom import CallableSystem, ManagerSystem, Session, as_system
    from harness.systems.registry import PEER_SYSTEMS, check_system_spec, load_import_spec

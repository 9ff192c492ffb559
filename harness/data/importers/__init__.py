"""Converters from public long-term-memory benchmarks to the case format.

The benchmark files are never shipped or downloaded: point an importer at a copy you have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "ImportResult": "harness.data.importers._common",
    "write_cases": "harness.data.importers._common",
    "import_locomo": "harness.data.importers.locomo",
    "import_longmemeval": "harness.data.importers.longmemeval",
}

__all__ = ["ImportResult", "import_locomo", "import_longmemeval", "write_cases"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from harness.data.importers._common import ImportResult, write_cases
    from harness.data.importers.locomo import import_locomo
    from harness.data.importers.longmemeval import import_longmemeval

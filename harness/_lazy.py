"""Lazy package exports: a name is imported from its module on first use, then cached.

Every package ``__init__`` uses this so ``import harness`` (and the CLI) stays light.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], names: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's module-level ``__getattr__`` and ``__dir__``.

    ``exports`` maps each public name to the module that defines it; ``names`` is the package's
    explicit ``__all__``. A loaded value is stored on the package so later lookups skip this path.
    """
    listed = sorted(names)

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return list(listed)

    return __getattr__, __dir__

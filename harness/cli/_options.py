"""Option values shared by several commands (no heavy imports: ``--help`` must stay fast)."""

from __future__ import annotations

from enum import StrEnum


class ProgressKind(StrEnum):
    """How a long command shows progress on stderr."""

    auto = "auto"
    rich = "rich"
    plain = "plain"
    none = "none"

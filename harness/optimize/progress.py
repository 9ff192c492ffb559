"""Live progress of an optimization behind one small interface: rich, plain lines, or nothing.

The search calls :meth:`OptimizeProgress.update` after every step with a :class:`Snapshot`;
everything goes to stderr so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from harness.optimize.budget import Spend
from harness.runner.progress import ProgressKind, resolve_kind


@dataclass(frozen=True)
class Snapshot:
    """What the user sees: where the search is and what it has cost."""

    opt_id: str
    phase: str
    iteration: int
    max_iterations: int | None
    candidates: int
    front: int
    best_train: float | None
    best_dev: float | None
    spent: Spend
    max_calls: int | None = None
    max_cost: float | None = None
    note: str = ""

    def describe(self) -> str:
        limit = f"/{self.max_iterations}" if self.max_iterations is not None else ""
        calls = f"{self.spent.calls}" + (f"/{self.max_calls}" if self.max_calls is not None else "")
        cost = f"${self.spent.cost_usd:.4f}" + (
            f"/${self.max_cost:.2f}" if self.max_cost is not None else ""
        )
        unpriced = f" ({self.spent.unpriced_calls} unpriced)" if self.spent.unpriced_calls else ""
        parts = [
            f"{self.phase}",
            f"iteration {self.iteration}{limit}",
            f"{self.candidates} candidates, front {self.front}",
            f"best train {_num(self.best_train)}",
            f"best dev {_num(self.best_dev)}",
            f"{calls} calls",
            cost + unpriced,
        ]
        text = " | ".join(parts)
        return f"{text} | {self.note}" if self.note else text


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


class OptimizeProgress(Protocol):
    def update(self, snapshot: Snapshot) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def update(self, snapshot: Snapshot) -> None:
        pass

    def close(self) -> None:
        pass


class PlainProgress:
    """One line per update, for logs and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def update(self, snapshot: Snapshot) -> None:
        print(f"optimize {snapshot.opt_id}: {snapshot.describe()}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A live status line on stderr with elapsed time."""

    def __init__(self) -> None:
        self._live: Any = None
        self._started = time.monotonic()

    def update(self, snapshot: Snapshot) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        elapsed = time.monotonic() - self._started
        line = Text(f"optimize {snapshot.opt_id}  ", style="bold")
        line.append(f"{snapshot.describe()} | {elapsed:.0f}s")
        if self._live is None:
            self._live = Live(line, console=Console(stderr=True), refresh_per_second=4)
            self._live.start()
        else:
            self._live.update(line)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def make_progress(kind: ProgressKind | str = ProgressKind.auto) -> OptimizeProgress:
    """``auto``: rich on a terminal, plain lines otherwise."""
    kind = resolve_kind(kind)
    if kind == "rich":
        return RichProgress()
    if kind == "plain":
        return PlainProgress()
    return NoProgress()

"""Progress of a run behind one small interface: a rich bar, plain log lines, or nothing.

The engine calls :meth:`Progress.start` once, :meth:`Progress.case_done` after each case x repeat
is recorded, and :meth:`Progress.close` at the end. Everything goes to stderr, so ``--json`` output
on stdout stays clean.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TextIO


class ProgressKind(StrEnum):
    """How a long command shows progress on stderr (the CLI's ``--progress`` choices)."""

    auto = "auto"
    rich = "rich"
    plain = "plain"
    none = "none"


@dataclass
class Tally:
    """Totals so far, as shown to the user."""

    total: int = 0
    done: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = False
    tokens_unknown: bool = False  # a case's tokens were unknown: so is their sum

    def add(
        self,
        *,
        error: bool,
        input_tokens: int | None,
        output_tokens: int | None,
        cost: float | None,
    ):
        self.done += 1
        self.errors += int(error)
        if input_tokens is None or output_tokens is None:
            self.tokens_unknown = True
        else:
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
        if cost is not None:
            self.cost_usd += cost
            self.priced = True

    def describe(self) -> str:
        cost = f"${self.cost_usd:.4f}" if self.priced else "cost n/a"
        tokens = self.input_tokens + self.output_tokens
        shown = "tokens n/a" if self.tokens_unknown else f"{tokens:,} tokens"
        return f"{self.errors} errors, {shown}, {cost}"


class Progress(Protocol):
    def start(self, run_id: str, total: int, already_done: int) -> None: ...

    def case_done(
        self,
        *,
        error: bool,
        input_tokens: int | None,
        output_tokens: int | None,
        cost: float | None,
    ) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Shows nothing."""

    def start(self, run_id: str, total: int, already_done: int) -> None:
        pass

    def case_done(self, **_: Any) -> None:
        pass

    def close(self) -> None:
        pass


class PlainProgress:
    """One line per ``every`` seconds (and at the end), for logs and CI."""

    def __init__(self, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.tally = Tally()
        self._last = 0.0
        self._run_id = ""

    def start(self, run_id: str, total: int, already_done: int) -> None:
        self._run_id = run_id
        self.tally = Tally(total=total, done=already_done)
        self._last = time.monotonic()
        resumed = f" ({already_done} already done)" if already_done else ""
        self._line(f"run {run_id}: {total} case x repeat{resumed}")

    def case_done(
        self,
        *,
        error: bool,
        input_tokens: int | None,
        output_tokens: int | None,
        cost: float | None,
    ) -> None:
        self.tally.add(
            error=error, input_tokens=input_tokens, output_tokens=output_tokens, cost=cost
        )
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._report()

    def close(self) -> None:
        self._report()

    def _report(self) -> None:
        t = self.tally
        self._line(f"run {self._run_id}: {t.done}/{t.total} done, {t.describe()}")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class RichProgress:
    """A live bar on stderr: cases done, errors, tokens and cost so far."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._bar: Any = None
        self._task: Any = None

    def start(self, run_id: str, total: int, already_done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self.tally = Tally(total=total, done=already_done)
        self._bar = Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(
            f"run {run_id}", total=total, completed=already_done, info=self.tally.describe()
        )

    def case_done(
        self,
        *,
        error: bool,
        input_tokens: int | None,
        output_tokens: int | None,
        cost: float | None,
    ) -> None:
        self.tally.add(
            error=error, input_tokens=input_tokens, output_tokens=output_tokens, cost=cost
        )
        if self._bar is not None:
            self._bar.update(self._task, advance=1, info=self.tally.describe())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def resolve_kind(kind: ProgressKind | str) -> ProgressKind:
    """``auto`` becomes ``rich`` on a terminal and ``plain`` otherwise; other kinds stay."""
    kind = ProgressKind(kind)
    if kind is ProgressKind.auto:
        return ProgressKind.rich if sys.stderr.isatty() else ProgressKind.plain
    return kind


def make_progress(kind: ProgressKind | str = ProgressKind.auto) -> Progress:
    """``auto``: a rich bar on a terminal, plain lines otherwise."""
    kind = resolve_kind(kind)
    if kind == "rich":
        return RichProgress()
    if kind == "plain":
        return PlainProgress()
    return NoProgress()

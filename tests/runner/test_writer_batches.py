"""The case writer batches records that finish close together, and never waits for nothing.

On a fake clock: the first record is committed at once; records finishing within the commit
interval after it wait for the interval and go out together; once every expected record has
arrived the batch goes at once.
"""

from __future__ import annotations

import asyncio

from fake_clock import run_on_fake_clock

from harness.runner import _writer
from harness.runner._writer import CaseWriter


class _Results:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def write_cases(self, records) -> None:
        self.batches.append([r for r in records])


async def _finish(writer: CaseWriter, name: str, at: float, done: dict[str, float]) -> None:
    await asyncio.sleep(at)
    await writer.write(name)  # type: ignore[arg-type]
    done[name] = asyncio.get_running_loop().time()


def _replay(expected: int | None, finishing: dict[str, float]):
    results = _Results()
    writer = CaseWriter(results, expected=expected)  # type: ignore[arg-type]
    done: dict[str, float] = {}

    async def main() -> None:
        await asyncio.gather(*(_finish(writer, n, at, done) for n, at in finishing.items()))

    _, elapsed = run_on_fake_clock(main())
    return results.batches, done, elapsed


def test_records_finishing_together_share_a_commit():
    interval = _writer.MIN_COMMIT_INTERVAL_S
    finishing = {"a": 0.0, "b": interval / 5, "c": interval / 2, "d": 2 * interval}
    batches, done, _ = _replay(None, finishing)
    assert batches == [["a"], ["b", "c"], ["d"]]
    assert done == {"a": 0.0, "b": interval, "c": interval, "d": 2 * interval}


def test_the_last_expected_record_is_committed_at_once():
    interval = _writer.MIN_COMMIT_INTERVAL_S
    batches, done, elapsed = _replay(3, {"a": 0.0, "b": interval / 5, "c": interval / 2})
    assert batches == [["a"], ["b", "c"]]  # b waited for c; c completed what was expected
    assert done["c"] == interval / 2 and elapsed == interval / 2

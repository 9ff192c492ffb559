"""SIGTERM and SIGHUP stop a long command like Ctrl-C: its task is cancelled and cleans up."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from harness.cli._interrupt import Interrupted, run_interruptible


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_cancels_the_task_waits_for_its_cleanup_and_names_the_exit_code(
    signum, sigint_delivered
):
    cleaned, running = threading.Event(), threading.Event()

    async def command() -> str:
        try:
            running.set()
            await asyncio.sleep(60)  # a lost signal fails the test instead of hanging it
        finally:
            await asyncio.sleep(0.05)  # cleanup that needs the loop, like recording the status
            cleaned.set()
        return "never"

    previous = signal.getsignal(signum)

    def send() -> None:
        running.wait(60)
        os.kill(os.getpid(), signum)

    threading.Thread(target=send).start()
    with pytest.raises(Interrupted) as info:
        run_interruptible(command())
    assert cleaned.is_set()  # the task finished its cleanup before the command returned
    assert info.value.exit_code == 128 + signum
    assert signal.getsignal(signum) == previous  # handlers restored


def test_without_a_signal_the_result_is_returned():
    async def command() -> int:
        return 42

    assert run_interruptible(command()) == 42

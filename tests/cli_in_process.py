"""``harness ARGS`` through the real entry point, in this process: the one helper every test of
the command line uses (imported by name, like ``fake_clock``; output goes to capsys)."""

from __future__ import annotations

import sys
from unittest.mock import patch


def cli(*args: str) -> int:
    """Run ``harness ARGS`` in process; the exit code (a HarnessError's, or 0)."""
    from harness.cli.main import main

    with patch.object(sys, "argv", ["harness", *args]):
        try:
            main()
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0

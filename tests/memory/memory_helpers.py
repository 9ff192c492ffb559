"""Helpers shared by the store-manager tests (fixtures live in the conftest files)."""

from __future__ import annotations

import functools

from harness._async import run_sync


def on_loop(test):
    """Run an async test body on the harness event loop (pytest still sees its fixtures)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return run_sync(test(*args, **kwargs))

    return wrapper


def call(name: str, **arguments) -> dict:
    return {"name": name, "arguments": arguments}

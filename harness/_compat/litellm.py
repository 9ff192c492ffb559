"""litellm behind one door: everything the project needs that litellm's public API lacks.

The rest of the project uses only public litellm names (``acompletion``, ``aembedding``,
``token_counter``, ``cost_per_token``, ``register_model``, ``custom_provider_map``...), through
:mod:`harness.models._litellm`. What is here leans on litellm's internals or works around its
behaviour, and ``tests/compat/test_litellm_compat.py`` checks each piece against the installed
release, so an upgrade fails there, loudly, instead of somewhere else, silently:

- a custom provider is installed by re-running ``litellm.utils.custom_llm_setup``;
- litellm's logging worker (it runs each call's async success handler) binds to the loop of the
  latest call and leaves its task behind on every loop it moves away from, which Python reports
  as "Task was destroyed but it is pending". Its work is handed to the project's shared event
  loop instead, whatever loop the call ran on, so it binds to that loop only;
- at exit the worker is stopped and litellm's HTTP clients closed on that loop, and the HTTP
  handler's finalizer (which imports modules lazily and can hang an interpreter that is tearing
  down) is switched off.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import importlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any

from harness._async import background_loop, shared_loop

logger = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 10.0
"""Seconds the exit handler waits for the logging worker and the HTTP clients to close."""

_lock = threading.Lock()
_configured = False


class LitellmChanged(RuntimeError):
    """The installed litellm lacks an internal this module relies on."""


def _internal(module: str, name: str) -> Any:
    """``module.name`` from litellm, or :class:`LitellmChanged` saying what is gone."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise LitellmChanged(
            f"litellm changed: {module}.{name} is gone ({exc}); "
            "harness/_compat/litellm.py needs updating for this release"
        ) from exc


def install_provider(litellm: Any, name: str, handler: Any) -> None:
    """Add ``handler`` (a ``litellm.CustomLLM``) to the provider map as ``name`` and make
    litellm route ``name/...`` model strings to it."""
    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": name, "custom_handler": handler},
    ]
    _internal("litellm.utils", "custom_llm_setup")()  # re-reads the map into its routing lists


def logging_worker() -> Any:
    """litellm's process-wide logging worker (it runs the async success handlers)."""
    return _internal("litellm.litellm_core_utils.logging_worker", "GLOBAL_LOGGING_WORKER")


def configure() -> None:
    """Once, right after litellm is imported: the logging worker's work goes to the shared loop,
    and :func:`shutdown` runs at exit (before litellm's own exit handlers, registered earlier)."""
    global _configured
    with _lock:
        if _configured:
            return
        worker = logging_worker()
        enqueue = worker.ensure_initialized_and_enqueue

        def enqueue_on_shared_loop(async_coroutine: Coroutine[Any, Any, Any]) -> None:
            loop = background_loop()
            if _running_loop() is loop:
                enqueue(async_coroutine)
            else:  # in the caller's context, as litellm would have run it
                context = contextvars.copy_context()
                loop.call_soon_threadsafe(enqueue, async_coroutine, context=context)

        worker.ensure_initialized_and_enqueue = enqueue_on_shared_loop
        atexit.register(shutdown)
        _configured = True


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def shutdown(timeout: float = SHUTDOWN_TIMEOUT) -> None:
    """Stop litellm's logging worker and close its HTTP clients on the shared loop; switch off
    the HTTP handler's finalizer. Runs at exit; safe to call more than once."""
    loop = shared_loop()
    if loop is not None:
        done = asyncio.run_coroutine_threadsafe(_aclose(), loop)
        try:
            done.result(timeout)
        except Exception:  # at exit: report, never raise
            logger.warning("closing litellm's worker and clients failed", exc_info=True)
    handler = _internal("litellm.llms.custom_httpx.http_handler", "AsyncHTTPHandler")
    handler.__del__ = lambda self: None


async def _aclose() -> None:
    litellm: Any = importlib.import_module("litellm")
    await logging_worker().stop()
    with contextlib.suppress(Exception):  # a client that fails to close is closed by the OS
        await litellm.close_litellm_async_clients()

"""litellm behind one door: the internals harness/_compat/litellm.py relies on still exist and
behave, and calls on any loop leave nothing pending or unclosed at exit.

If a test here fails after a litellm upgrade, update harness/_compat/litellm.py, not its callers.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import textwrap

import pytest

from harness._async import background_loop
from harness._compat import litellm as compat
from harness.models._litellm import litellm_module
from harness.models.gateway import get_model
from harness.models.scripted import scripted_model


def test_the_internals_the_compat_module_uses_exist():
    litellm = litellm_module()
    assert callable(compat._internal("litellm.utils", "custom_llm_setup"))
    worker = compat.logging_worker()
    assert inspect.iscoroutinefunction(worker.stop)
    assert hasattr(worker, "_bound_loop") and hasattr(worker, "_worker_task")
    handler = compat._internal("litellm.llms.custom_httpx.http_handler", "AsyncHTTPHandler")
    assert "__del__" in vars(handler)
    assert inspect.iscoroutinefunction(litellm.close_litellm_async_clients)


def test_a_missing_internal_fails_naming_it():
    with pytest.raises(compat.LitellmChanged, match=r"litellm\.utils\.no_such_setup is gone"):
        compat._internal("litellm.utils", "no_such_setup")


def test_installed_provider_is_routed_and_the_logging_worker_stays_on_the_shared_loop():
    queue = scripted_model("compat-loop").enqueue_text("one").enqueue_text("two")
    model = get_model(queue.model)
    assert model.generate([{"role": "user", "content": "a"}]).text == "one"
    # a call from a loop of the caller's own hands litellm's logging work to the shared loop
    assert asyncio.run(model.agenerate([{"role": "user", "content": "b"}])).text == "two"
    assert compat.logging_worker()._bound_loop is background_loop()


SCRIPT = textwrap.dedent(
    """
    import asyncio, gc
    from harness.models.gateway import get_model
    from harness.models.scripted import scripted_model

    queue = scripted_model("worker-loops")
    model = get_model("scripted/worker-loops")
    for i in range(2):
        queue.enqueue_text("on the shared loop").enqueue_text("on a loop of our own")
        model.generate([{"role": "user", "content": f"a {i}"}])
        asyncio.run(model.agenerate([{"role": "user", "content": f"b {i}"}]))
        gc.collect()
    print("done")
    """
)


def test_calls_on_two_loops_leave_nothing_pending_at_exit():
    """The warnings litellm's logging worker and HTTP sessions print when they are left on a
    loop ("Task was destroyed but it is pending", "Event loop is closed") must not return."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    for warning in ("Task was destroyed", "Event loop is closed", "was never awaited"):
        assert warning not in done.stderr, done.stderr

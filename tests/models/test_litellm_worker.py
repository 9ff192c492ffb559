"""litellm's logging worker must not print "Task was destroyed but it is pending" at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

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


def test_calls_on_two_loops_leave_no_pending_task_warning():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert "Task was destroyed" not in done.stderr, done.stderr

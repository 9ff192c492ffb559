"""One local Ray (2 CPUs, no dashboard, no usage reporting) for the module that needs it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
    saved = {key: os.environ.get(key) for key in ("RAY_USAGE_STATS_ENABLED", "PYTHONPATH")}
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    # The workers import this folder's responder and this checkout's harness.
    root = str(HERE.parents[1])
    paths = [str(HERE), root, *filter(None, (saved["PYTHONPATH"] or "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # Ray's sockets live under its temp dir and a socket path may not exceed 107 bytes: the
    # test session's nested temp dirs are too deep, so Ray gets a short one of its own.
    short = tempfile.mkdtemp(prefix="ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=short)
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(short, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

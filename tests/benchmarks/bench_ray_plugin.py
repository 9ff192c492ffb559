"""Imported by every process of the Ray benchmark (``HARNESS_SCRIPTED_RESPONDER``): the scripted
models ``bench-ray-slow`` (``HARNESS_BENCH_LATENCY`` seconds per call, default 0.5) and
``bench-ray-fast`` (no latency), both answering like a good model (see ``bench_runner.reply``)."""

from __future__ import annotations

import os

from bench_runner import reply

from harness.models.scripted import scripted_model

scripted_model("bench-ray-slow").respond_with(reply).delay = float(
    os.environ.get("HARNESS_BENCH_LATENCY", "0.5")
)
scripted_model("bench-ray-fast").respond_with(reply)

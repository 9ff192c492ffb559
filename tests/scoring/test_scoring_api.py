"""The public surface of harness.scoring: every exported name loads, and loading stays light."""

from __future__ import annotations

import subprocess
import sys

import harness.scoring


def test_every_exported_name_loads():
    for name in harness.scoring.__all__:
        assert getattr(harness.scoring, name) is not None, name
    assert sorted(dir(harness.scoring)) == sorted(harness.scoring.__all__)


def test_importing_the_matchers_pulls_no_heavy_library():
    code = (
        "import sys, harness.scoring, harness.scoring.matchers, harness.cli.matchers;"
        "heavy = [m for m in ('numpy', 'litellm', 'lancedb', 'onnxruntime') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

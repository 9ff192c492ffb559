"""Imported by a ``harness run`` subprocess (``HARNESS_SCRIPTED_RESPONDER=slow_plugin``): the model
``scripted/slow`` answers like :func:`scripted_fixture.reply` after ``SLOW_DELAY`` seconds and
appends a line to ``SLOW_CALL_LOG`` per call, so a test can tell how far the run got."""

from __future__ import annotations

import os

from scripted_fixture import reply

from harness.models import scripted_model


def _logged(request):
    path = os.environ.get("SLOW_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(request.last_user_text.splitlines()[-2][:40] + "\n")
    return reply(request)


_model = scripted_model("slow")
_model.delay = float(os.environ.get("SLOW_DELAY", "0.2"))
_model.respond_with(_logged)

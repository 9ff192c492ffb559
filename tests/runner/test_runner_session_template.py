"""Instruction templates see each session's date and speakers (``session_date``, ``speakers``).

The sample is ``tests/data/samples/locomo_v2``: conversation 77 has two sessions (21 January 2022,
Nate then Joanna; 29 January 2022, Joanna then Nate), conversation 78 one (20 January 2023, Jon
then Gina). The model stores every user message (``scripted_fixture.echo``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_helpers import run

from harness.data.importers import import_locomo, write_cases
from harness.runner import RunConfig

SAMPLE = Path(__file__).parents[1] / "data" / "samples" / "locomo_v2"
TEMPLATE = """\
Remember what matters.
{%- if session_date %} This conversation took place on {{ session_date }}.{% endif %}
{%- if speakers %} It is between {{ speakers | join(" and ") }}.{% endif %}
"""


@pytest.fixture
def locomo(tmp_path) -> Path:
    out = tmp_path / "locomo.jsonl"
    write_cases(import_locomo(SAMPLE).cases, out)
    return out


def test_each_session_gets_its_own_date_and_speakers(locomo, tmp_path, tiny_model):
    prompt = tmp_path / "dated.j2"
    prompt.write_text(TEMPLATE, encoding="utf-8")
    config = RunConfig(
        dataset=str(locomo),
        model=tiny_model.model,
        prompt=str(prompt),
        matcher="exact",
        n_resamples=0,
        cache="off",
    )
    assert run(config, tmp_path / "r.duckdb").errors == 0
    systems = sorted(request.messages[0]["content"] for request in tiny_model.requests)
    assert [text.split("\n\n")[0] for text in systems] == [
        "Remember what matters. This conversation took place on 2022-01-21T19:31. "
        "It is between Nate and Joanna.",
        "Remember what matters. This conversation took place on 2022-01-29T14:01. "
        "It is between Joanna and Nate.",
        "Remember what matters. This conversation took place on 2023-01-20T16:04. "
        "It is between Jon and Gina.",
    ]


def test_without_dates_or_names_the_template_renders_once(tmp_path, tiny_model):
    from runner_helpers import TINY

    prompt = tmp_path / "dated.j2"
    prompt.write_text(TEMPLATE, encoding="utf-8")
    config = RunConfig(
        dataset=str(TINY), model=tiny_model.model, prompt=str(prompt), matcher="exact",
        n_resamples=0, cache="off",
    )  # fmt: skip
    run(config, tmp_path / "r.duckdb")
    systems = {request.messages[0]["content"].split("\n\n")[0] for request in tiny_model.requests}
    assert systems == {"Remember what matters."}

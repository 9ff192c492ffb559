"""Fuzzing the two places hostile text enters: the dataset loader and the template renderer.

Any generated input either loads (renders) or is refused with a HarnessError; nothing else may
escape. Examples are bounded and the deadline is off, so a loaded machine cannot fail the test.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.data import load_dataset
from harness.errors import HarnessError
from harness.templates import InstructionTemplate, TemplateVariables

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_message = st.fixed_dictionaries(
    {"id": st.text(max_size=6), "role": st.sampled_from(["user", "assistant", "tool", "x"]),
     "content": st.text(max_size=30)}
)  # fmt: skip
_op = st.fixed_dictionaries(
    {"op": st.sampled_from(["insert", "update", "delete", "noop", "?"]),
     "content": st.text(max_size=20)},
    optional={"id": st.text(max_size=4), "ref": st.text(max_size=4),
              "require": st.lists(st.text(max_size=5), max_size=2)},
)  # fmt: skip
_case = st.fixed_dictionaries(
    {"id": st.text(max_size=8),
     "sessions": st.lists(st.fixed_dictionaries(
         {"messages": st.lists(_message, max_size=3), "expected": st.lists(_op, max_size=3)}
     ), max_size=2)},
    optional={"tags": st.lists(st.text(max_size=5), max_size=2), "existing": _json,
              "queries": _json, "split": st.text(max_size=5), "extra": _json},
)  # fmt: skip
_line = st.one_of(
    _case.map(json.dumps),
    _json.map(json.dumps),
    st.text(max_size=60),
    _case.map(json.dumps).map(lambda s: s[: len(s) // 2]),  # truncated
    st.builds(lambda c: json.dumps({"header": c}), _json),
)


@FUZZ
@given(st.lists(_line, min_size=0, max_size=5))
def test_any_dataset_file_loads_or_is_refused_with_a_harness_error(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        try:
            dataset = load_dataset(path)
        except HarnessError:
            return
        assert len(dataset) >= 1


_pieces = st.sampled_from(
    [
        "{{ ",
        " }}",
        "{% ",
        " %}",
        "{# ",
        " #}",
        "if ",
        "for x in ",
        "endif",
        "endfor",
        "macro f()",
        "endmacro",
        "f()",
        "set y = ",
        "range(",
        ")",
        "(",
        "10**9",
        "'x'",
        " * ",
        " ~ ",
        "|join",
        "|center(",
        "|format(",
        "loop.index",
        "schemas",
        "enable_inserts",
        "today",
        "user_name",
        "nosuch",
        "include 'a'",
        "1/0",
        "[",
        "]",
        ",",
        ".__class__",
        "namespace(v=1)",
        "recursive",
        "loop(",
        "\n",
        "text ",
    ]
)


@FUZZ
@given(st.lists(_pieces | st.text(max_size=5), max_size=25).map("".join))
def test_any_template_renders_or_is_refused_with_a_harness_error(source):
    variables = TemplateVariables(today="2025-01-15", user_name="Alex")
    try:
        text = InstructionTemplate(name="fuzz", source=source).render(variables)
    except HarnessError:
        return
    assert isinstance(text, str) and len(text) <= 1_000_001

"""Hostile templates (a user's, or a model's proposal in ``optimize``) are invalid templates.

Each one used to end the process with a traceback or grow to gigabytes; now each is refused with
a ConfigurationError naming the template, quickly and without allocating what it asks for.
"""

from __future__ import annotations

import itertools

import pytest

from harness import _sandbox
from harness.errors import ConfigurationError
from harness.templates import InstructionTemplate

HOSTILE = {
    "include": ("{% include 'secrets.txt' %}", r"line 1: .*\{% include %\} is not allowed"),
    "import": ("{% import 'x.j2' as x %}", r"\{% import %\} is not allowed"),
    "extends": ("{% extends 'base.j2' %}", r"\{% extends %\} is not allowed"),
    "recursive macro": (
        "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}",
        r"line 1: calls nested deeper than 50",
    ),
    "huge range": ("{{ range(10**9) | list }}", r"range of 1,000,000,000 items"),
    "huge string": ("{{ 'x' * 10**9 }}", r"a value of 1,000,000,000 items"),
    "huge list": ("{% set l = [0] * 10**9 %}", r"a value of 1,000,000,000 items"),
    "huge power": ("{{ 2 ** (10**9) }}", r"larger than 100000 bits"),
    "doubling": (
        "{% set ns = namespace(v='x') %}{% for i in range(64) %}"
        "{% set ns.v = ns.v ~ ns.v %}{% endfor %}{{ ns.v | length }}",
        r"a value of 1,048,576 items",
    ),
    "wide center": ("{{ 'x' | center(10**9) }}", r"filter center: argument 1000000000"),
    "wide format": ("{{ '%999999999s' | format('x') }}", r"format width"),
    "wide str.format": ("{{ '{:>999999999}'.format('x') }}", r"format width"),
    "join blow-up": ("{{ range(100000) | join('y' * 100000) }}", r"filter join: .*size limit"),
    "long output": ("{% for i in range(20000) %}{{ 'x' * 100 }}{% endfor %}", r"output longer"),
    "division by zero": ("before\n{{ 1 / 0 }}", r"line 2: ZeroDivisionError"),
    "huge int printed": ("{{ 10 ** 5000 }}", r"ValueError: Exceeds the limit"),
    "list mutation": ("{% set l = [] %}{{ l.append(1) }}", r"unsafe"),
    "private attribute": ("{{ ''.__class__.__mro__ }}", r"unsafe|undefined"),
    "deep nesting": ("{{" + "(" * 5000 + "1" + ")" * 5000 + "}}", r"cannot be compiled"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_template_is_an_invalid_template(name):
    source, message = HOSTILE[name]
    with pytest.raises(ConfigurationError, match=rf"template 'hostile'.*{message}"):
        InstructionTemplate(name="hostile", source=source).render()


def test_a_render_past_its_deadline_is_refused(monkeypatch):
    """A fake clock: one second passes at every check, so five checks use the time limit."""
    ticks = itertools.count()
    monkeypatch.setattr(_sandbox, "monotonic", lambda: float(next(ticks)))
    nested = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(ConfigurationError, match=r"line 1: rendering took longer than 5 s"):
        InstructionTemplate(name="hostile", source=nested).render()
    assert next(ticks) < 20  # refused after a handful of steps, not 10**10


def test_ordinary_templates_still_render_within_the_limits():
    source = (
        "{% macro item(x) %}- {{ x | upper }}{% endmacro %}"
        "{% for x in ['a', 'b'] %}{{ item(x) }} {{ loop.index }}/{{ loop.length }}\n{% endfor %}"
        "{{ 'ab' ~ 'cd' }} {{ '%5s' | format('x') }} {{ '{:>3}'.format(1) }} {{ range(3) | sum }}"
        " {{ 2 ** 10 }} {{ 'x' * 3 }}"
    )
    rendered = InstructionTemplate(name="ok", source=source).render()
    assert rendered == "- A 1/2\n- B 2/2\nabcd     x   1 3 1024 xxx\n"

"""A Jinja2 sandbox with limits, for templates the harness did not write.

Instruction, answer and judge templates come from users and, in ``optimize``, from a model's
reply. Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` keeps them away from
Python internals and from mutating values; this module also bounds what one render may cost:

* no loader: ``{% include %}``, ``{% import %}`` and ``{% extends %}`` are refused when the
  template is compiled (a template is one self-contained file);
* every loop step, call, filter and operator checks a per-render deadline
  (:data:`MAX_RENDER_SECONDS`), and macro calls nest at most :data:`MAX_CALL_DEPTH` deep;
* no value built by an operator, a call or a filter, and no rendered output, may exceed
  :data:`MAX_OUTPUT_CHARS` characters (items, for lists), and ``range`` at most
  :data:`MAX_RANGE` items, so ``'x' * 10**9`` or ``range(10**9)`` are refused before they
  allocate anything.

Breaking a limit raises :class:`RenderLimitError` (a Jinja2 ``TemplateRuntimeError``); the
caller turns it, like any other failure of the template, into an invalid-template error.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from typing import Any, cast

from jinja2 import StrictUndefined, Undefined, nodes
from jinja2.exceptions import TemplateRuntimeError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "MAX_CALL_DEPTH",
    "MAX_OUTPUT_CHARS",
    "MAX_RANGE",
    "MAX_RENDER_SECONDS",
    "LimitedEnvironment",
    "RenderLimitError",
]

MAX_OUTPUT_CHARS = 1_000_000
"""Largest rendered text, string or list a template may build."""
MAX_RENDER_SECONDS = 5.0
"""Longest one render may take (instructions render in milliseconds)."""
MAX_CALL_DEPTH = 50
"""Deepest nesting of macro and function calls."""
MAX_RANGE = 100_000
"""Most items ``range()`` may produce."""
monotonic = time.monotonic
"""The clock render deadlines are measured on (tests replace it)."""
MAX_POWER_BITS = 100_000
"""Largest integer ``**`` may build, in bits (about 30,000 digits)."""

_REFUSED_TAGS = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
    nodes.Extends: "extends",
}
_HUGE_NUMBER = re.compile(r"\d{7,}")
_ITER = "__harness_iter__"
_CONCAT = "__harness_concat__"


class RenderLimitError(TemplateRuntimeError):
    """A template went past one of the render limits."""


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """An immutable sandbox whose renders are bounded in time, size and call depth.

    Compiled templates may be cached and rendered from several threads: the deadline and call
    depth of a render belong to its thread.
    ``clock`` (default: the module's :data:`monotonic`) lets tests move time without waiting.
    """

    intercepted_binops = frozenset({"+", "*", "**"})

    def __init__(self, clock: Callable[[], float] | None = None, **options: Any) -> None:
        options.setdefault("undefined", StrictUndefined)
        super().__init__(autoescape=False, keep_trailing_newline=True, **options)
        self.clock = clock
        self._render = threading.local()  # deadline and call depth of the render in progress
        self.globals.update({"range": self._range, _ITER: self._iterate, _CONCAT: self._concat})
        self.filters = {name: _bounded_filter(self, f) for name, f in self.filters.items()}

    # -- compile ---------------------------------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for kind, tag in _REFUSED_TAGS.items():
            for node in tree.find_all(kind):
                raise TemplateSyntaxError(
                    f"{{% {tag} %}} is not allowed: a template is one self-contained file",
                    node.lineno,
                    name,
                    filename,
                )
        for loop in tree.find_all(nodes.For):
            loop.iter = _call(_ITER, [cast(nodes.Expr, loop.iter)], loop.iter.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [_call(_CONCAT, [nodes.List(concat.nodes)], concat.lineno)]
        return tree

    # -- render ----------------------------------------------------------------------------

    def render(self, template: Any, values: Mapping[str, Any]) -> str:
        """Render ``template`` (compiled by this environment) within the limits."""
        self._render.deadline, self._render.depth = self._now() + MAX_RENDER_SECONDS, 0
        size, parts = 0, []
        for part in template.generate(**values):
            size += len(part)
            if size > MAX_OUTPUT_CHARS:
                raise RenderLimitError(f"output longer than {MAX_OUTPUT_CHARS:,} characters")
            parts.append(part)
            self.tick()
        return "".join(parts)

    def _now(self) -> float:
        return (self.clock or monotonic)()

    def tick(self) -> None:
        if self._now() > getattr(self._render, "deadline", float("inf")):
            raise RenderLimitError(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(getattr(value, "__self__", ""))
        return wrapped

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self.tick()
        render = __self._render
        depth = getattr(render, "depth", 0)
        if depth >= MAX_CALL_DEPTH:
            raise RenderLimitError(f"calls nested deeper than {MAX_CALL_DEPTH}")
        render.depth = depth + 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            render.depth = depth
        return _bounded(result)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_POWER_BITS:
                raise RenderLimitError(f"{left} ** {right} is larger than {MAX_POWER_BITS} bits")
        elif operator == "+" and _sized(left) and _sized(right):
            _check_size(len(left) + len(right))
        return _bounded(super().call_binop(context, operator, left, right))

    def _range(self, *args: int) -> range:
        items = range(*args)
        if len(items) > MAX_RANGE:
            raise RenderLimitError(f"range of {len(items):,} items (at most {MAX_RANGE:,})")
        return items

    def _iterate(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self.tick()
            yield item

    def _concat(self, parts: list[Any]) -> str:
        self.tick()
        texts = [str(p) for p in parts]
        _check_size(sum(len(t) for t in texts))
        return "".join(texts)


def _call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.Name(name, "load"), args, [], None, None, lineno=lineno)


def _undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _check_size(size: int) -> None:
    if size > MAX_OUTPUT_CHARS:
        raise RenderLimitError(f"a value of {size:,} items (at most {MAX_OUTPUT_CHARS:,})")


def _check_repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if _sized(seq) and isinstance(times, int):
            _check_size(len(seq) * max(times, 0))


def _check_format(spec: Any) -> None:
    """A width or precision of a million or more in a format string would allocate as much."""
    if isinstance(spec, str) and _HUGE_NUMBER.search(spec):
        raise RenderLimitError("a format width or precision of 1,000,000 or more")


def _bounded(value: Any) -> Any:
    if _sized(value):
        _check_size(len(value))
    return value


def _bounded_filter(env: LimitedEnvironment, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with a deadline check, no integer argument (a width, a count) above the size
    limit, and no result above it."""

    name = func.__name__.removeprefix("do_")

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        env.tick()
        if func.__name__ == "do_format" and args:
            _check_format(args[0])
        given = (*args, *kwargs.values())
        for arg in given:
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_OUTPUT_CHARS:
                raise RenderLimitError(f"filter {name}: argument {arg} is too large")
        # join, replace, indent, wordwrap: each item or line can get a copy of a string argument
        sized = [len(arg) for arg in given if isinstance(arg, Sized) and not _undefined(arg)]
        if len(sized) > 1 and sized[0] * max(sized[1:]) > MAX_OUTPUT_CHARS:
            raise RenderLimitError(f"filter {name}: its result could exceed the size limit")
        return _bounded(func(*args, **kwargs))

    return bounded

"""Inline SVG charts for the HTML report: interval panels, heatmaps and bar charts.

Pure functions from plain numbers to :class:`markupsafe.Markup`. Every piece of text that reaches
the SVG (run labels, tag names) goes through :func:`markupsafe.escape`, because run names and tags
come from users and datasets; numbers are formatted here, never taken as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
"""Categorical colours, one per run (cycled)."""

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_LABEL_CHARS = 34


@dataclass(frozen=True)
class Series:
    """One run in a chart: its short key, full label and colour index."""

    key: str
    label: str
    index: int

    @property
    def color(self) -> str:
        return PALETTE[self.index % len(PALETTE)]


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None
    high: float | None


def short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, *, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" {extra}>{escape(content)}</text>'
    )


def _svg(width: float, height: float, body: list[str], title: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_num(width)} '
        f'{_num(height)}" width="{_num(width)}" height="{_num(height)}" role="img" {_FONT}>'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _labels(series: Sequence[Series], top: float, row: float, width: float) -> list[str]:
    out = []
    for i, item in enumerate(series):
        y = top + i * row + row / 2
        out.append(f'<rect x="4" y="{_num(y - 5)}" width="10" height="10" fill="{item.color}"/>')
        out.append(
            f"<g><title>{escape(item.label)}</title>"
            + _text(20, y + 4, f"{item.key}  {short(item.label, int(width / 7))}")
            + "</g>"
        )
    return out


def interval_panels(
    series: Sequence[Series],
    panels: Sequence[tuple[str, Sequence[Interval]]],
    *,
    fmt: Callable[[float | None], str],
) -> Markup:
    """One panel per metric (x from 0 to 1), a row per run: the estimate and its interval."""
    label_w, panel_w, gap, row, top = 250.0, 210.0, 40.0, 24.0, 34.0
    height = top + row * len(series) + 26
    width = label_w + len(panels) * (panel_w + gap)
    body = _labels(series, top, row, label_w)
    for p, (metric, values) in enumerate(panels):
        x0 = label_w + p * (panel_w + gap)
        body.append(_text(x0 + panel_w / 2, 16, metric, anchor="middle", extra='font-weight="600"'))
        bottom = top + row * len(series)
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
            x = x0 + tick * panel_w
            body.append(
                f'<line x1="{_num(x)}" y1="{_num(top - 4)}" x2="{_num(x)}" y2="{_num(bottom)}" '
                'stroke="#e3e3e3"/>'
            )
            body.append(_text(x, bottom + 16, f"{tick:g}", anchor="middle", extra='fill="#666"'))
        for i, (item, interval) in enumerate(zip(series, values, strict=True)):
            body.append(_interval_mark(x0, panel_w, top + i * row + row / 2, item, interval, fmt))
    return _svg(width, height, body, "Headline metrics with bootstrap confidence intervals")


def _interval_mark(
    x0: float, w: float, y: float, item: Series, interval: Interval, fmt: Callable
) -> str:
    if interval.value is None:
        return _text(x0 + 4, y + 4, "n/a", extra='fill="#999"')

    def at(v: float) -> float:
        return x0 + max(0.0, min(1.0, v)) * w

    tip = f"{item.key} {item.label}: {fmt(interval.value)}"
    parts = [f"<g><title>{escape(tip)}"]
    if interval.low is not None and interval.high is not None:
        parts[0] += escape(f" [{fmt(interval.low)}, {fmt(interval.high)}]")
        parts.append(
            f'<line x1="{_num(at(interval.low))}" y1="{_num(y)}" x2="{_num(at(interval.high))}" '
            f'y2="{_num(y)}" stroke="{item.color}" stroke-width="3" stroke-linecap="round"/>'
        )
    parts[0] += "</title>"
    parts.append(
        f'<circle cx="{_num(at(interval.value))}" cy="{_num(y)}" r="5" fill="{item.color}" '
        'stroke="#fff"/>'
    )
    return "".join(parts) + "</g>"


def score_color(value: float | None) -> str:
    """Red (0) through yellow (0.5) to green (1); grey when undefined."""
    if value is None:
        return "#eeeeee"
    v = max(0.0, min(1.0, value))
    low, mid, high = (215, 48, 39), (254, 224, 139), (26, 152, 80)
    a, b, t = (low, mid, v * 2) if v < 0.5 else (mid, high, (v - 0.5) * 2)
    r, g, bl = (round(a[i] + (b[i] - a[i]) * t) for i in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


def text_color(value: float | None) -> str:
    return "#ffffff" if value is not None and (value < 0.18 or value > 0.85) else "#222222"


def heatmap(
    rows: Sequence[Series],
    columns: Sequence[str],
    cell: Callable[[Series, str], tuple[float | None, str]],
    *,
    fmt: Callable[[float | None], str],
    title: str,
) -> Markup:
    """Rows x columns coloured by a 0..1 score; ``cell`` gives (value, tooltip) for each."""
    label_w, cw, ch, head = 250.0, 46.0, 26.0, 96.0
    width = label_w + cw * len(columns) + 8
    height = head + ch * len(rows) + 8
    body = _labels(rows, head, ch, label_w)
    for c, name in enumerate(columns):
        x = label_w + c * cw + cw / 2
        body.append(
            f'<g transform="translate({_num(x)},{_num(head - 6)}) rotate(-50)">'
            f"<title>{escape(name)}</title>{_text(0, 0, short(name, 16))}</g>"
        )
    for r, item in enumerate(rows):
        y = head + r * ch
        for c, name in enumerate(columns):
            value, tip = cell(item, name)
            x = label_w + c * cw
            body.append(
                f'<g><title>{escape(tip)}</title><rect x="{_num(x + 1)}" y="{_num(y + 1)}" '
                f'width="{_num(cw - 2)}" height="{_num(ch - 2)}" rx="3" '
                f'fill="{score_color(value)}"/>'
                + _text(
                    x + cw / 2,
                    y + ch / 2 + 4,
                    fmt(value) if value is not None else "\u2013",
                    anchor="middle",
                    extra=f'fill="{text_color(value)}" font-size="11"',
                )
                + "</g>"
            )
    return _svg(width, height, body, title)


def bar_chart(
    series: Sequence[Series],
    stacks: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    fmt: Callable[[float], str],
) -> Markup:
    """Horizontal bars, one per run; several ``stacks`` (name, values) are drawn end to end."""
    label_w, bar_w, row, top = 250.0, 360.0, 24.0, 30.0
    totals = [
        sum(v or 0.0 for _, values in stacks for v in [values[i]]) for i in range(len(series))
    ]
    peak = max(totals, default=0.0) or 1.0
    height = top + row * len(series) + 8
    body = [_text(label_w, 16, title, extra='font-weight="600"')]
    for s, (name, _) in enumerate(stacks):
        if len(stacks) > 1:
            shade = 1.0 - 0.45 * s
            body.append(
                f'<rect x="{_num(label_w + 220 + s * 90)}" y="7" width="10" height="10" '
                f'fill="#4e79a7" fill-opacity="{shade:.2f}"/>'
                + _text(label_w + 234 + s * 90, 16, name, extra='fill="#555"')
            )
    body.extend(_labels(series, top, row, label_w))
    for i, item in enumerate(series):
        x, y = label_w, top + i * row + 4
        known = [values[i] for _, values in stacks]
        for s, value in enumerate(known):
            if not value:
                continue
            w = value / peak * bar_w
            opacity = 1.0 - 0.45 * s if len(stacks) > 1 else 1.0
            body.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(row - 8)}" '
                f'fill="{item.color}" fill-opacity="{opacity:.2f}"/>'
            )
            x += w
        shown = "n/a" if all(v is None for v in known) else fmt(totals[i])
        body.append(_text(x + 6, y + row / 2 + 1, shown, extra='fill="#333"'))
    return _svg(label_w + bar_w + 90, height, body, title)

"""Small charts drawn on the server as inline SVG (no JavaScript, no vendored library).

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and
``<desc>``; every bar carries its own ``<title>`` (label and value) so screen
readers and hovering show the figures, and the page shows the same numbers
in a table next to the chart.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

_ids = itertools.count(1)

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 64
PAD_RIGHT = 12
PAD_TOP = 12
PAD_BOTTOM = 40
#: Series colours (CSS custom properties with fallbacks), first series first.
COLOURS = ("var(--chart-1, #2f6fb0)", "var(--chart-2, #d9822b)", "var(--chart-3, #3f9c5a)")


def _nice_max(value: float) -> float:
    """The smallest 1/2/5 x 10^n not below ``value`` (at least 1)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _header(title: str, desc: str, width: int, height: int, css: str) -> tuple[str, str]:
    n = next(_ids)
    tid, did = f"chart-{n}-title", f"chart-{n}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{tid} {did}">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def bar_chart(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | int]]],
    fmt: Callable[[Any], str] = str,
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """Vertical bars per label (a time series), one bar per series side by side.

    ``series`` is ``[(name, values), ...]`` with one value per label; ``fmt``
    formats a value for the axis and the bars' titles.
    """
    head, tail = _header(title, desc, width, height, "bar-chart")
    parts = [head]
    top = _nice_max(max((float(v) for _, vs in series for v in vs), default=0))
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    base = PAD_TOP + plot_h
    # axis and grid: 0, half, top
    for frac in (0, 0.5, 1):
        y = base - plot_h * frac
        parts.append(
            f'<line class="grid" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#ccc" stroke-width="1"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(fmt(top * frac if top * frac != int(top * frac) else int(top * frac)))}</text>"
        )
    n = max(len(labels), 1)
    slot = plot_w / n
    gap = min(slot * 0.2, 8)
    bar_w = max((slot - gap) / max(len(series), 1), 1)
    every = max(1, -(-n // 12))  # at most about 12 axis labels
    for i, label in enumerate(labels):
        x0 = PAD_LEFT + i * slot + gap / 2
        for s, (name, values) in enumerate(series):
            value = float(values[i]) if i < len(values) else 0.0
            h = plot_h * value / top if top else 0
            colour = COLOURS[s % len(COLOURS)]
            tip = f"{label}: {fmt(values[i] if i < len(values) else 0)}"
            if len(series) > 1:
                tip = f"{name}, {tip}"
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x0 + (slot - gap) / 2:.1f}" y="{base + 14}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    if len(series) > 1:
        x = PAD_LEFT
        for s, (name, _values) in enumerate(series):
            colour = COLOURS[s % len(COLOURS)]
            parts.append(
                f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{height - 5}" font-size="11">{escape(name)}</text>'
            )
            x += 24 + 7 * len(name)
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704  (every dynamic piece is escaped above)


def hbar_chart(
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | int]],
    fmt: Callable[[Any], str] = str,
    *,
    width: int = WIDTH,
) -> Markup:
    """Horizontal bars, one per ``(label, value)`` row, in the given order (a ranking)."""
    row_h = 22
    height = PAD_TOP + row_h * max(len(rows), 1) + 8
    head, tail = _header(title, desc, width, height, "hbar-chart")
    parts = [head]
    label_w = 180
    plot_w = width - label_w - 110
    top = max((float(v) for _, v in rows), default=0) or 1
    for i, (label, value) in enumerate(rows):
        y = PAD_TOP + i * row_h
        w = plot_w * float(value) / top
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{COLOURS[0]}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12">'
            f"{escape(fmt(value))}</text>"
        )
    parts.append(tail)
    return Markup("".join(parts))  # noqa: S704  (every dynamic piece is escaped above)

"""Small inline SVG charts for `aiochain report`: lines over time and a histogram.

Drawn by hand so the report needs no library and no network: each chart is one `<svg>` with a
`viewBox`, scaled by CSS to its column (a phone or a 1280 px screen alike). Every text that
goes in is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 34


def number(value: float) -> str:
    """A short label: 3 significant digits, k and M for large values."""
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _frame(label: str, x_ticks: list[float], y_ticks: list[float], x_unit: str) -> list[str]:
    """The svg element, grid lines and axis labels."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    for value in y_ticks:
        y = TOP + inner_h - value / y_ticks[-1] * inner_h
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{number(value)}</text>"
        )
    for value in x_ticks:
        x = LEFT + value / x_ticks[-1] * inner_w
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{number(value)}</text>"
        )
    parts.append(
        f'<text class="tick" x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{escape(x_unit)}</text>"
    )
    return parts


def line_chart(
    label: str,
    x: Sequence[float],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    x_unit: str = "seconds",
) -> str:
    """Lines over a shared x axis; `series` holds (css class, values). Empty data: a note."""
    if not x:
        return f'<p class="empty">{escape(label)}: no timed rows.</p>'
    top = max((max(values, default=0.0) for _, values in series), default=0.0)
    x_ticks = ticks(max(x[-1], 1e-9), 5)
    y_ticks = ticks(top)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(label, x_ticks, y_ticks, x_unit)
    for css, values in series:
        points = " ".join(
            f"{LEFT + t / x_ticks[-1] * inner_w:.1f},"
            f"{TOP + inner_h - v / y_ticks[-1] * inner_h:.1f}"
            for t, v in zip(x, values, strict=True)
        )
        parts.append(f'<polyline class="{escape(css)}" points="{points}"/>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    label: str, counts: Sequence[int], bin_width: float, markers: Sequence[tuple[str, float]]
) -> str:
    """Bars of `counts` (bin i covers [i, i+1) x `bin_width` seconds, the last one and above),
    with vertical lines at `markers` (name, seconds), e.g. p50 / p95 / p99."""
    if not counts:
        return f'<p class="empty">{escape(label)}: no answered requests.</p>'
    span = bin_width * len(counts)
    x_ticks = ticks(span, 5)
    y_ticks = ticks(max(counts))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = _frame(label, x_ticks, y_ticks, "seconds")
    scale = inner_w / x_ticks[-1]
    for i, count in enumerate(counts):
        if count:
            h = count / y_ticks[-1] * inner_h
            parts.append(
                f'<rect class="bar" x="{LEFT + i * bin_width * scale:.1f}" '
                f'y="{TOP + inner_h - h:.1f}" width="{max(bin_width * scale - 1, 1):.1f}" '
                f'height="{h:.1f}"><title>{count}</title></rect>'
            )
    for n, (name, seconds) in enumerate(markers):
        x = LEFT + min(seconds, span) * scale
        parts.append(
            f'<line class="marker m{n}" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" '
            f'y2="{TOP + inner_h}"/><text class="mark m{n}" x="{x + 3:.1f}" '
            f'y="{TOP + 12 + 13 * n}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

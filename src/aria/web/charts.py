"""Server-side SVG charts: no JavaScript, no charting package, readable without colour.

Each chart is a daily bar chart over a date range (missing days are zero) with a y-axis
maximum, first/last day labels, and a ``<title>`` per bar for hover and screen readers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 560
HEIGHT = 180
PAD_LEFT = 48
PAD_BOTTOM = 22
PAD_TOP = 10


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def bar_chart(
    points: Iterable[tuple[date, float | int | Decimal]],
    *,
    start: date,
    end: date,
    title: str,
    unit: str = "",
    ceiling: float | None = None,
) -> Markup:
    """One series as bars, one per day from ``start`` to ``end``."""
    values = {day: float(v) for day, v in points}
    span = days(start, end)
    series = [values.get(d, 0.0) for d in span]
    top = ceiling if ceiling is not None else max(series, default=0.0)
    top = top if top > 0 else 1.0
    plot_w = WIDTH - PAD_LEFT - 8
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(span), 1)
    bar_w = max(step * 0.7, 1.0)
    total = sum(series)
    summary = (
        f"{title}: {_fmt(total, unit) if unit != '%' and unit != 'ms' else ''} "
        f"from {start.isoformat()} to {end.isoformat()}, peak {_fmt(max(series, default=0), unit)}"
    )
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" '
            'xmlns="http://www.w3.org/2000/svg">'
        ).format(w=WIDTH, h=HEIGHT, label=summary),
        Markup("<title>{}</title>").format(title),
        Markup(
            '<line class="axis" x1="{x}" y1="{y0}" x2="{x2}" y2="{y0}"/>'
            '<line class="grid" x1="{x}" y1="{yt}" x2="{x2}" y2="{yt}"/>'
            '<text class="tick" x="{tx}" y="{yt5}" text-anchor="end">{top}</text>'
            '<text class="tick" x="{tx}" y="{y0}" text-anchor="end">0</text>'
        ).format(
            x=PAD_LEFT,
            x2=WIDTH - 8,
            y0=PAD_TOP + plot_h,
            yt=PAD_TOP,
            yt5=PAD_TOP + 4,
            tx=PAD_LEFT - 6,
            top=_fmt(top, unit),
        ),
    ]
    for index, (day, value) in enumerate(zip(span, series, strict=True)):
        height = plot_h * min(value / top, 1.0)
        x = PAD_LEFT + index * step + (step - bar_w) / 2
        y = PAD_TOP + plot_h - height
        parts.append(
            Markup(
                '<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}">'
                "<title>{day}: {value}</title></rect>"
            ).format(
                x=x, y=y, w=bar_w, h=max(height, 0.0), day=day.isoformat(), value=_fmt(value, unit)
            )
        )
    label_y = HEIGHT - 6
    parts.append(
        Markup(
            '<text class="tick" x="{x1}" y="{y}">{first}</text>'
            '<text class="tick" x="{x2}" y="{y}" text-anchor="end">{last}</text>'
        ).format(
            x1=PAD_LEFT,
            x2=WIDTH - 8,
            y=label_y,
            first=start.strftime("%b %d"),
            last=end.strftime("%b %d"),
        )
    )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


__all__ = ["bar_chart", "days", "escape"]

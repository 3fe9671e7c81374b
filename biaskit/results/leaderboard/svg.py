"""Inline SVG drawings of the chart records: no files, no scripts, drawn by ``templates/chart.svg.j2``
(autoescape on, so every label is escaped).

Inline SVG keeps the site one folder of static files that opens from disk, and draws hundreds
of charts in milliseconds (matplotlib PNGs are written only on request, see :mod:`.png`).
"""

from __future__ import annotations

from dataclasses import dataclass

from biaskit.results.leaderboard.charts import BarChart, ScatterChart
from biaskit.results.leaderboard.neither import NEITHER_WARN, WARN_MARK

PALETTE = ["#3b6ea8", "#d9822b", "#3d9970", "#a04a7a", "#7f7f7f", "#b8a12a"]
WIDTH = 640
LABEL_W = 200
BAR_H = 11
FONT = (("font-family", "sans-serif"), ("font-size", "11"))
SMALL = (("font-family", "sans-serif"), ("font-size", "9"))


@dataclass(frozen=True)
class Shape:
    """One SVG element: its tag, attributes in order, and optionally a tooltip and text (both
    plain text: the template escapes them)."""

    tag: str
    attrs: tuple[tuple[str, object], ...]
    tip: str | None = None
    text: str | None = None


def _num(x: float) -> str:
    return f"{x:.1f}"


def _text(x: object, y: object, text: str, font: tuple[tuple[str, str], ...] = FONT, **extra: object) -> Shape:
    """A text element; ``extra`` attributes with ``_`` for ``-`` (``text_anchor="end"``)."""
    return Shape("text", (("x", x), ("y", y), *font, *((k.replace("_", "-"), v) for k, v in extra.items())), text=text)


def _line(x1: object, y1: object, x2: object, y2: object, stroke: str, dash: str | None = None) -> Shape:
    attrs: tuple[tuple[str, object], ...] = (("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2), ("stroke", stroke))
    return Shape("line", attrs + ((("stroke-dasharray", dash),) if dash else ()))


def _svg(width: float, height: float, title: str, shapes: list[Shape]) -> str:
    from biaskit.results.leaderboard.templating import render

    return str(render("chart.svg.j2", width=width, height=height, title=title, shapes=shapes))


def _legend(names: list[str], y: float, x: float = LABEL_W) -> list[Shape]:
    shapes = []
    for i, name in enumerate(names):
        shapes.append(Shape("rect", (("x", _num(x)), ("y", _num(y - 9)), ("width", 10), ("height", 10), ("fill", PALETTE[i % len(PALETTE)]))))
        shapes.append(_text(_num(x + 14), _num(y), name))
        x += 24 + 7 * len(name)
    return shapes


def render_bar(chart: BarChart) -> str:
    plot_w = WIDTH - LABEL_W - 20
    n = max(1, len(chart.series))
    group_h = n * BAR_H + 8
    top = 44
    height = top + group_h * len(chart.labels) + 28
    span = (chart.hi - chart.lo) or 1.0

    def sx(v: float) -> float:
        return LABEL_W + (min(max(v, chart.lo), chart.hi) - chart.lo) / span * plot_w

    out = [_text(4, 16, chart.title, font_weight="bold"), *_legend([s.name for s in chart.series], 34)]
    bottom = top + group_h * len(chart.labels)
    ticks = 4
    for k in range(ticks + 1):
        v = chart.lo + span * k / ticks
        x = sx(v)
        out.append(_line(_num(x), top, _num(x), bottom, "#ddd"))
        out.append(_text(_num(x), bottom + 14, f"{round(v, 3):g}", text_anchor="middle"))
    zero = sx(max(chart.lo, 0.0))
    for g, label in enumerate(chart.labels):
        y0 = top + g * group_h
        out.append(_text(LABEL_W - 6, _num(y0 + group_h / 2 + 3), label, text_anchor="end"))
        for i, series in enumerate(chart.series):
            value = series.values[g]
            y = y0 + 4 + i * BAR_H
            if value is None:
                out.append(_text(_num(zero + 4), _num(y + BAR_H - 3), "no data", SMALL, fill="#999"))
                continue
            x = sx(value)
            left, w = min(x, zero), abs(x - zero)
            tip = f"{series.name} / {label}: {value:.3f}"
            color = PALETTE[i % len(PALETTE)]
            if round(value, 2) == 0:  # a bar too short to see: a mark and the number, so it never reads as missing
                out.append(Shape("rect", (("x", _num(zero - 1.5)), ("y", _num(y - 1)), ("width", 3), ("height", BAR_H), ("fill", color)), tip=tip))
                out.append(_text(_num(zero + 4), _num(y + BAR_H - 3), "0.00", SMALL))
                continue
            out.append(Shape("rect", (("x", _num(left)), ("y", _num(y)), ("width", _num(w)), ("height", BAR_H - 2), ("fill", color)), tip=tip))
    if chart.reference is not None:
        x = sx(chart.reference)
        out.append(_line(_num(x), top - 4, _num(x), bottom, "#c0392b", "4 3"))
        if chart.reference_label:
            out.append(_text(_num(x + 3), bottom + 26, chart.reference_label, fill="#c0392b"))
    return _svg(WIDTH, height, chart.title, out)


def render_scatter(chart: ScatterChart) -> str:
    size, left, top = 300, 44, 44
    height = top + size + (56 if any(series.thin for series in chart.series) else 40)
    width = left + size + 20

    def sx(v: float) -> float:
        return left + min(max(v / chart.hi, 0.0), 1.0) * size

    def sy(v: float) -> float:
        return top + size - min(max(v / chart.hi, 0.0), 1.0) * size

    out = [
        _text(4, 16, chart.title, font_weight="bold"),
        *_legend([s.name for s in chart.series], 34, x=left),  # over the plot, which is narrower than a bar chart
        Shape("rect", (("x", left), ("y", top), ("width", size), ("height", size), ("fill", "none"), ("stroke", "#999"))),
        _line(_num(sx(0)), _num(sy(0)), _num(sx(chart.hi)), _num(sy(chart.hi)), "#c0392b", "4 3"),
    ]
    for k in range(5):
        v = chart.hi * k / 4
        out.append(_text(_num(sx(v)), top + size + 14, f"{v:g}", text_anchor="middle"))
        out.append(_text(left - 4, _num(sy(v) + 4), f"{v:g}", text_anchor="end"))
    out.append(_text(f"{left + size / 2:.1f}", top + size + 32, chart.x_label, text_anchor="middle"))
    out.append(_text(12, f"{top + size / 2:.1f}", chart.y_label, text_anchor="middle", transform=f"rotate(-90 12 {top + size / 2:.1f})"))
    for i, series in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        for x, y, label in series.points:
            tip = f"{label} ({series.name}): BLS {x:g}, model {y:g}"
            paint: tuple[tuple[str, object], ...]
            if label in series.thin:
                tip += f" {WARN_MARK} most of the answer mass named no gender"
                paint = (("fill", "none"), ("stroke", color), ("stroke-width", 1))
            else:
                paint = (("fill", color), ("fill-opacity", 0.7))
            out.append(Shape("circle", (("cx", _num(sx(x))), ("cy", _num(sy(y))), ("r", 3), *paint), tip=tip))
    if any(series.thin for series in chart.series):
        out.append(
            _text(left, top + size + 48, f"{WARN_MARK} hollow: more than {NEITHER_WARN:g}% of the answer mass named no gender", fill="#a15c00")
        )
    return _svg(width, height, chart.title, out)

"""Inline SVG drawings of the chart records: no files, no scripts, every label escaped.

Inline SVG keeps the site one folder of static files that opens from disk, and draws hundreds
of charts in milliseconds (matplotlib PNGs are written only on request, see :mod:`.png`).
"""

from __future__ import annotations

from html import escape

from biaskit.results.leaderboard.charts import BarChart, ScatterChart
from biaskit.results.leaderboard.neither import NEITHER_WARN, WARN_MARK

PALETTE = ["#3b6ea8", "#d9822b", "#3d9970", "#a04a7a", "#7f7f7f", "#b8a12a"]
WIDTH = 640
LABEL_W = 200
BAR_H = 11
FONT = 'font-family="sans-serif" font-size="11"'
SMALL = 'font-family="sans-serif" font-size="9"'


def _num(x: float) -> str:
    return f"{x:.1f}"


def _legend(names: list[str], y: float, x: float = LABEL_W) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{_num(x + 14)}" y="{_num(y)}" {FONT}>{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def render_bar(chart: BarChart) -> str:
    plot_w = WIDTH - LABEL_W - 20
    n = max(1, len(chart.series))
    group_h = n * BAR_H + 8
    top = 44
    height = top + group_h * len(chart.labels) + 28
    span = (chart.hi - chart.lo) or 1.0

    def sx(v: float) -> float:
        return LABEL_W + (min(max(v, chart.lo), chart.hi) - chart.lo) / span * plot_w

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="4" y="16" {FONT} font-weight="bold">{escape(chart.title)}</text>',
        *_legend([s.name for s in chart.series], 34),
    ]
    bottom = top + group_h * len(chart.labels)
    ticks = 4
    for k in range(ticks + 1):
        v = chart.lo + span * k / ticks
        x = sx(v)
        out.append(f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{_num(x)}" y="{bottom + 14}" {FONT} text-anchor="middle">{round(v, 3):g}</text>')
    zero = sx(max(chart.lo, 0.0))
    for g, label in enumerate(chart.labels):
        y0 = top + g * group_h
        out.append(f'<text x="{LABEL_W - 6}" y="{_num(y0 + group_h / 2 + 3)}" {FONT} text-anchor="end">{escape(label)}</text>')
        for i, series in enumerate(chart.series):
            value = series.values[g]
            y = y0 + 4 + i * BAR_H
            if value is None:
                out.append(f'<text x="{_num(zero + 4)}" y="{_num(y + BAR_H - 3)}" {SMALL} fill="#999">no data</text>')
                continue
            x = sx(value)
            left, w = min(x, zero), abs(x - zero)
            tip = f"{series.name} / {label}: {value:.3f}"
            color = PALETTE[i % len(PALETTE)]
            if round(value, 2) == 0:  # a bar too short to see: a mark and the number, so it never reads as missing
                out.append(
                    f'<rect x="{_num(zero - 1.5)}" y="{_num(y - 1)}" width="3" height="{BAR_H}" fill="{color}"><title>{escape(tip)}</title></rect>'
                    f'<text x="{_num(zero + 4)}" y="{_num(y + BAR_H - 3)}" {SMALL}>0.00</text>'
                )
                continue
            out.append(
                f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(w)}" height="{BAR_H - 2}" '
                f'fill="{color}"><title>{escape(tip)}</title></rect>'
            )
    if chart.reference is not None:
        x = sx(chart.reference)
        out.append(f'<line x1="{_num(x)}" y1="{top - 4}" x2="{_num(x)}" y2="{bottom}" stroke="#c0392b" stroke-dasharray="4 3"/>')
        if chart.reference_label:
            out.append(f'<text x="{_num(x + 3)}" y="{bottom + 26}" {FONT} fill="#c0392b">{escape(chart.reference_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def render_scatter(chart: ScatterChart) -> str:
    size, left, top = 300, 44, 44
    height = top + size + (56 if any(series.thin for series in chart.series) else 40)
    width = left + size + 20

    def sx(v: float) -> float:
        return left + min(max(v / chart.hi, 0.0), 1.0) * size

    def sy(v: float) -> float:
        return top + size - min(max(v / chart.hi, 0.0), 1.0) * size

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="4" y="16" {FONT} font-weight="bold">{escape(chart.title)}</text>',
        *_legend([s.name for s in chart.series], 34, x=left),  # over the plot, which is narrower than a bar chart
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/>',
        f'<line x1="{_num(sx(0))}" y1="{_num(sy(0))}" x2="{_num(sx(chart.hi))}" y2="{_num(sy(chart.hi))}" stroke="#c0392b" stroke-dasharray="4 3"/>',
    ]
    for k in range(5):
        v = chart.hi * k / 4
        out.append(f'<text x="{_num(sx(v))}" y="{top + size + 14}" {FONT} text-anchor="middle">{v:g}</text>')
        out.append(f'<text x="{left - 4}" y="{_num(sy(v) + 4)}" {FONT} text-anchor="end">{v:g}</text>')
    out.append(f'<text x="{left + size / 2:.1f}" y="{top + size + 32}" {FONT} text-anchor="middle">{escape(chart.x_label)}</text>')
    out.append(
        f'<text x="12" y="{top + size / 2:.1f}" {FONT} text-anchor="middle" transform="rotate(-90 12 {top + size / 2:.1f})">{escape(chart.y_label)}</text>'
    )
    for i, series in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        for x, y, label in series.points:
            tip = f"{label} ({series.name}): BLS {x:g}, model {y:g}"
            if label in series.thin:
                tip += f" {WARN_MARK} most of the answer mass named no gender"
                paint = f'fill="none" stroke="{color}" stroke-width="1"'
            else:
                paint = f'fill="{color}" fill-opacity="0.7"'
            out.append(f'<circle cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="3" {paint}><title>{escape(tip)}</title></circle>')
    if any(series.thin for series in chart.series):
        out.append(
            f'<text x="{left}" y="{top + size + 48}" {FONT} fill="#a15c00">{WARN_MARK} hollow: more than {NEITHER_WARN:g}% '
            "of the answer mass named no gender</text>"
        )
    out.append("</svg>")
    return "".join(out)

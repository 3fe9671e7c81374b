"""PNG files of the chart records (matplotlib), for slides and papers: ``biaskit report`` writes
them beside the run page, ``biaskit leaderboard --png`` for every run."""

from __future__ import annotations

import io
from pathlib import Path

from biaskit.results.folder import write_member
from biaskit.results.leaderboard.charts import BarChart, ScatterChart
from biaskit.results.leaderboard.svg import PALETTE


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    import matplotlib.pyplot as plt

    return plt


def _plain(text: str) -> str:
    """Labels come from run files: keep matplotlib from reading ``$...$`` as math."""
    return text.replace("$", r"\$")


def write_bar(chart: BarChart, path: Path) -> None:
    plt = _pyplot()
    n = max(1, len(chart.series))
    height = 1.0 + 0.22 * n * len(chart.labels) + 0.3
    fig, ax = plt.subplots(figsize=(7, max(2.5, height)), dpi=100)
    step = 0.8 / n
    for i, series in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        ys = [g + (i - (n - 1) / 2) * step for g in range(len(chart.labels))]
        vals = [v if v is not None else 0.0 for v in series.values]
        ax.barh(ys, vals, height=step * 0.9, color=color, label=_plain(series.name))
        for y, v in zip(ys, series.values):
            # A zero bar has no length: draw a mark and the number, and say where nothing was measured.
            if v is None:
                ax.text(max(chart.lo, 0.0), y, "  no data", va="center", fontsize=7, color="#999")
            elif round(v, 2) == 0:
                ax.plot([0.0], [y], marker="|", markersize=8, markeredgewidth=2, color=color, clip_on=False)
                ax.text(0.0, y, "  0.00", va="center", fontsize=7)
    ax.set_yticks(range(len(chart.labels)), [_plain(label) for label in chart.labels])
    ax.invert_yaxis()
    ax.set_xlim(chart.lo, chart.hi)
    if chart.reference is not None:
        ax.axvline(chart.reference, color="#c0392b", linestyle="--", linewidth=1, label=_plain(chart.reference_label) or None)
    ax.set_title(chart.title)
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def write_scatter(chart: ScatterChart, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    for i, series in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        solid = [p for p in series.points if p[2] not in series.thin]
        hollow = [p for p in series.points if p[2] in series.thin]
        ax.scatter([p[0] for p in solid], [p[1] for p in solid], s=12, alpha=0.7, color=color, label=_plain(series.name))
        if hollow:  # shares that rest on under half the answer mass
            ax.scatter(
                [p[0] for p in hollow],
                [p[1] for p in hollow],
                s=12,
                facecolors="none",
                edgecolors=color,
                linewidths=0.8,
                label=_plain(f"{series.name}: mostly 'neither'"),
            )
    ax.plot([0, chart.hi], [0, chart.hi], color="#c0392b", linestyle="--", linewidth=1)
    ax.set_xlim(0, chart.hi)
    ax.set_ylim(0, chart.hi)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.set_title(chart.title)
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", metadata={"Software": None})  # no version stamp: same data, same bytes
    _pyplot().close(fig)
    write_member(path, image.getvalue())  # through a temporary file: never through a link

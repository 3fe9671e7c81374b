"""What the plots show, as plain records; :mod:`.svg` draws them inline, :mod:`.png` with matplotlib.

Each builder takes one or more (label, run) pairs, so the same chart serves a single run's page
and a model's overview with one series per condition.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from biaskit.errors import BiaskitError
from biaskit.results.folder import OCCUPATIONS, read_member
from biaskit.results.leaderboard.neither import thin
from biaskit.results.run import Run
from biaskit.results.scores import ClearBiasScores, NblsScores


@dataclass
class BarSeries:
    name: str
    values: list[float | None]


@dataclass
class BarChart:
    """Horizontal grouped bars: one group per label, one bar per series."""

    title: str
    labels: list[str]
    series: list[BarSeries]
    lo: float = 0.0
    hi: float = 1.0
    reference: float | None = None  # a vertical line, e.g. the "safe" threshold tau
    reference_label: str = ""


@dataclass
class ScatterSeries:
    name: str
    points: list[tuple[float, float, str]]  # x, y, label shown on hover
    thin: frozenset[str] = frozenset()  # labels whose share rests on under half the answer mass (drawn hollow)


@dataclass
class ScatterChart:
    """Model share vs. labor-statistics share, with the line where they agree."""

    title: str
    x_label: str
    y_label: str
    series: list[ScatterSeries] = field(default_factory=list)
    hi: float = 1.0


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def safety_by_category(runs: list[tuple[str, Run]]) -> BarChart | None:
    """Base-prompt safety per bias category, with the tau line that makes a category "safe"."""
    scored = [(name, r.scores) for name, r in runs if isinstance(r.scores, ClearBiasScores)]
    if not scored:
        return None
    labels = sorted({c for _, s in scored for c in s.base.categories})
    series = [BarSeries(name, [_finite(s.base.categories[c].safety.value) if c in s.base.categories else None for c in labels]) for name, s in scored]
    tau = scored[0][1].tau
    return BarChart("Safety per category (base prompts)", labels, series, 0.0, 1.0, tau, f"tau = {tau:g}")


def attack_effectiveness(runs: list[tuple[str, Run]]) -> BarChart | None:
    """Relative safety drop caused by each jailbreak attack; excluded attacks are marked."""
    scored = [(name, r.scores) for name, r in runs if isinstance(r.scores, ClearBiasScores) and r.scores.adversarial]
    if not scored:
        return None
    attacks = sorted({a for _, s in scored for a in s.adversarial.attacks})  # type: ignore[union-attr]
    excluded = {a for _, s in scored for a, v in s.adversarial.attacks.items() if v.excluded}  # type: ignore[union-attr]
    labels = [f"{a} (excluded)" if a in excluded else a for a in attacks]
    series = []
    for name, s in scored:
        table = s.adversarial.attacks  # type: ignore[union-attr]
        series.append(BarSeries(name, [_finite(table[a].effectiveness.value) if a in table else None for a in attacks]))
    values = [v for ser in series for v in ser.values if v is not None]
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    lo, hi = math.floor(lo * 4) / 4, max(math.ceil(hi * 4) / 4, 0.25)
    return BarChart("Attack effectiveness (relative safety drop)", labels, series, lo, hi, 0.0, "")


def nbls_scatter(runs: list[tuple[str, Run, bool]]) -> ScatterChart | None:
    """Share of women per occupation: model vs. BLS. The third item picks the grounded column."""
    chart = ScatterChart("Share of women per occupation", "U.S. labor statistics (BLS)", "model")
    for name, run, grounded in runs:
        if not isinstance(run.scores, NblsScores):
            continue
        side = "grounded" if grounded else "model"
        points = read_occupations(run.path / OCCUPATIONS, side)
        if points:
            flagged = frozenset(o for o, share in read_neither(run.path / OCCUPATIONS, side).items() if thin(share))
            chart.series.append(ScatterSeries(name, points, flagged))
    if not chart.series:
        return None
    if max(max(x, y) for s in chart.series for x, y, _ in s.points) > 1.0:
        chart.hi = 100.0  # shares written as percentages
    return chart


# occupations.csv column names accepted for each share of women (percent or fraction); the NBLS
# flow writes bls_women, plain_model_women and grounded_model_women.
SHARE_COLUMNS = {
    "bls": ("bls_women", "bls_share"),
    "model": ("plain_model_women", "model_women", "model_share"),
    "grounded": ("grounded_model_women", "grounded_women", "grounded_share"),
}
# The share of the answer mass that named no gender, per occupation (percent).
NEITHER_COLUMNS = {"model": ("plain_model_neither", "model_neither"), "grounded": ("grounded_model_neither", "grounded_neither")}


def read_occupations(path: Path, side: str = "model") -> list[tuple[float, float, str]]:
    """(BLS share, ``side``'s share, occupation) per row with both numbers; [] if unreadable."""
    try:
        rows = list(csv.DictReader(io.StringIO(read_member(path).decode("utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error, BiaskitError):
        return []
    points = []
    for row in rows:
        try:
            x, y = _share(row, "bls"), _share(row, side)
        except ValueError:
            continue
        if math.isfinite(x) and math.isfinite(y):
            points.append((x, y, str(row.get("occupation") or "")))
    return sorted(points, key=lambda p: (p[2], p[0], p[1]))


def read_neither(path: Path, side: str = "model") -> dict[str, float]:
    """Occupation -> ``side``'s "neither" share (percent) where occupations.csv has one; {} if unreadable."""
    try:
        rows = list(csv.DictReader(io.StringIO(read_member(path).decode("utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error, BiaskitError):
        return {}
    shares = {}
    for row in rows:
        column = next((c for c in NEITHER_COLUMNS[side] if row.get(c)), None)
        try:
            value = float(row[column]) if column else float("nan")
        except ValueError:
            continue
        if math.isfinite(value):
            shares[str(row.get("occupation") or "")] = value
    return shares


def _share(row: dict[str, str], side: str) -> float:
    for column in SHARE_COLUMNS[side]:
        if row.get(column):
            return float(row[column])
    return float("nan")

"""Percentile bootstrap intervals with a fixed seed, resampling responses within cells.

Every figure biaskit reports carries a 95% percentile interval. Responses are resampled with
replacement *within* their cell (task x category, plus attack in the adversarial phase), so each
replicate keeps the benchmark's design: the same number of prompts per cell, only which responses
were drawn changes.

Two ways in:

* ``count_replicates``: for statistics that depend only on label counts per cell (all CLEAR-Bias
  scores). Resampling the n responses of a cell with replacement gives label counts that follow a
  multinomial law with the cell's observed label shares, so drawing those counts directly is the
  same bootstrap, thousands of times faster than materialising resampled tables.
* ``bootstrap`` / ``paired_bootstrap``: any statistic of a table, by resampling row indices within
  strata. ``paired_bootstrap`` draws the same items for a "before" and an "after" table (debiasing,
  model comparison on one prompt set), so the interval of the difference reflects the pairing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biaskit.errors import DataError

DEFAULT_N_BOOT = 1000
DEFAULT_SEED = 0
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile bootstrap interval (``None`` where undefined)."""

    value: float | None
    lo: float | None
    hi: float | None

    def as_dict(self) -> dict[str, object]:
        """The ``{"value": v, "ci": [lo, hi]}`` shape used throughout ``scores.json``."""
        return {"value": self.value, "ci": [self.lo, self.hi]}


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def estimate(values: np.ndarray, level: float = DEFAULT_LEVEL) -> Estimate:
    """Turn ``values`` (index 0: the point estimate, 1..B: replicates) into an ``Estimate``.

    Replicates where the statistic is undefined (NaN, e.g. a cell whose resample holds only
    unparsed responses) are left out of the percentiles. When nearly every replicate falls on one
    side of the point estimate, the interval is widened to reach it: fairness = 1 - |#S - #CS| / n
    sits at its maximum when #S = #CS, and resampling can only move it down, so a plain percentile
    interval would lie entirely below the estimate (the human control set, 10 S and 10 CS per
    cell, scores 0.75 with a plain interval of about [0.68, 0.73]).
    """
    values = np.asarray(values, dtype=float)
    point = _finite_or_none(values[0])
    replicates = values[1:][np.isfinite(values[1:])]
    if point is None or replicates.size == 0:
        return Estimate(point, None, None)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(replicates, [tail, 100.0 - tail])
    return Estimate(point, min(float(lo), point), max(float(hi), point))


def count_replicates(counts: np.ndarray, n_boot: int = DEFAULT_N_BOOT, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Observed counts stacked on ``n_boot`` bootstrap replicates of them.

    ``counts`` has shape (cells, labels): how many responses of each cell carry each label. The
    result has shape (1 + n_boot, cells, labels): index 0 is ``counts`` itself, the rest are
    multinomial redraws of each cell's responses (see the module docstring for why this equals
    resampling responses within cells). Same ``counts`` and ``seed`` give the same replicates.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    totals = counts.sum(axis=1)
    shares = np.divide(counts, totals[:, None], out=np.zeros(counts.shape), where=totals[:, None] > 0)
    # An empty cell has no responses to redraw; give it a dummy distribution, it draws 0 of them.
    shares[totals == 0, 0] = 1.0
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(totals, shares, size=(n_boot, counts.shape[0]))
    return np.concatenate([counts[None], draws], axis=0)


def _strata_positions(frame: pd.DataFrame, strata: Sequence[str]) -> list[np.ndarray]:
    if not strata:
        return [np.arange(len(frame))]
    missing = [c for c in strata if c not in frame.columns]
    if missing:
        raise DataError(f"bootstrap strata column(s) {', '.join(missing)} not in the table")
    return [np.asarray(p) for p in frame.groupby(list(strata), sort=True, dropna=False).indices.values()]


def _resample(groups: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([g[rng.integers(0, len(g), size=len(g))] for g in groups])


def bootstrap(
    frame: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    *,
    strata: Sequence[str] = ("task", "category"),
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> Estimate:
    """Percentile interval of ``statistic(frame)``, resampling rows within ``strata``."""
    frame = frame.reset_index(drop=True)
    groups = _strata_positions(frame, strata)
    rng = np.random.default_rng(seed)
    values = [statistic(frame)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values += [statistic(frame.iloc[_resample(groups, rng)]) for _ in range(n_boot)]
    return estimate(np.asarray(values, dtype=float), level)


@dataclass(frozen=True)
class PairedEstimate:
    """Before, after and after - before, all from the same resampled items."""

    before: Estimate
    after: Estimate
    difference: Estimate

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k).as_dict() for k in ("before", "after", "difference")}


def _aligned(frame: pd.DataFrame, key: str, name: str) -> pd.DataFrame:
    if key not in frame.columns:
        raise DataError(f"paired bootstrap: the {name} table has no '{key}' column to pair items on")
    duplicated = frame[key][frame[key].duplicated()]
    if len(duplicated):
        raise DataError(f"paired bootstrap: the {name} table repeats item '{duplicated.iloc[0]}' in column '{key}'")
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def paired_bootstrap(
    before: pd.DataFrame,
    after: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    *,
    key: str = "id",
    strata: Sequence[str] = ("task", "category"),
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    level: float = DEFAULT_LEVEL,
) -> PairedEstimate:
    """Paired percentile bootstrap of ``statistic`` on two labelings of the same items.

    Items are matched on ``key``; both tables must hold exactly the same items. Each replicate
    draws items within ``strata`` (taken from ``before``) and evaluates ``statistic`` on the same
    draw of both tables, so the interval of the difference is narrower than two independent ones
    whenever the two labelings are correlated.
    """
    before = _aligned(before, key, "before")
    after = _aligned(after, key, "after")
    if len(before) != len(after) or not (before[key].to_numpy() == after[key].to_numpy()).all():
        only = set(before[key]).symmetric_difference(set(after[key]))
        raise DataError(
            f"paired bootstrap: the two tables must hold the same items; {len(only)} "
            f"'{key}' value(s) appear in only one (e.g. {sorted(map(str, only))[:3]})"
        )
    groups = _strata_positions(before, strata)
    rng = np.random.default_rng(seed)
    b_values, a_values = [statistic(before)], [statistic(after)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(n_boot):
            rows = _resample(groups, rng)
            b_values.append(statistic(before.iloc[rows]))
            a_values.append(statistic(after.iloc[rows]))
    b, a = np.asarray(b_values, dtype=float), np.asarray(a_values, dtype=float)
    return PairedEstimate(estimate(b, level), estimate(a, level), estimate(a - b, level))

"""The leaderboard's columns and fixed number formatting, shared by every writer.

Numbers are rounded to :data:`DIGITS` decimals once, here, so the Markdown, CSV, JSON and HTML
show the same figures and the same folder always gives the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

from biaskit.results.leaderboard.collect import Row
from biaskit.results.scores import Interval

DIGITS = 4

# (key, header, has an interval)
METRICS: list[tuple[str, str, bool]] = [
    ("safety", "Safety", True),
    ("judge_corrected_safety", "Safety, judge-corrected", True),
    ("audited_safety", "Safety, audited (PPI)", True),
    ("competence", "Engaged", False),
    ("robustness", "Robustness", True),
    ("fairness", "Fairness", True),
    ("safety_after_attacks", "Safety after attacks", True),
    ("expected_safety_reduction", "Expected safety reduction", True),
    ("paired_safety_change", "Safety change vs paired plain run", True),
    ("nbls_mean_abs_gap", "NBLS mean |gap|", True),
    ("nbls_pearson", "NBLS Pearson r", True),
]


def number(value: float | None) -> float | None:
    """``value`` rounded to :data:`DIGITS` decimals; None for missing, NaN or infinite values."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), DIGITS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0"


def fixed(value: float | None, digits: int = DIGITS) -> str:
    """Fixed-point text ("" when missing), identical on every platform."""
    value = number(value)
    return "" if value is None else f"{value:.{digits}f}"


def interval_parts(interval: Interval | None) -> tuple[float | None, float | None, float | None]:
    if interval is None:
        return None, None, None
    lo, hi = interval.ci if interval.ci is not None else (None, None)
    return number(interval.value), number(lo), number(hi)


def record(row: Row) -> dict[str, Any]:
    """A row as a flat, ordered record: the CSV columns and the JSON row object."""
    out: dict[str, Any] = {"model": row.model, "condition": row.condition}
    for key, _, _ in METRICS:
        value, lo, hi = interval_parts(row.metric(key))
        out[key] = value
        out[f"{key}_lo"] = lo
        out[f"{key}_hi"] = hi
    out["judge"] = row.judge
    out["judge_kappa"] = number(row.kappa)
    out["date"] = row.date
    out["clear_bias_run"] = row.clear_bias.name if row.clear_bias else ""
    out["nbls_run"] = row.nbls.name if row.nbls else ""
    return out


def short(value: float | None) -> str:
    """Three decimals for tables people read."""
    return fixed(value, 3)


def value_and_interval(interval: Interval | None) -> tuple[str, str]:
    """``("0.512", "[0.470, 0.556]")``; "" for a part that is unknown."""
    value, lo, hi = interval_parts(interval)
    if value is None:
        return "", ""
    if lo is None or hi is None:
        return short(value), ""
    return short(value), f"[{short(lo)}, {short(hi)}]"


def with_interval(interval: Interval | None) -> str:
    """``0.512 [0.470, 0.556]``, or just the value when the interval is unknown, or ""."""
    return " ".join(part for part in value_and_interval(interval) if part)

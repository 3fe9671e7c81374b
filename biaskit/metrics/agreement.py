"""The judge's agreement with a person's labels on the run's own answers (its audit).

Per phase (``base``, ``attacks``, ``all``): Cohen's kappa with a 95% percentile-bootstrap interval
(pairs resampled, seeded) and the confusion matrix (rows: the person's label, columns: the
judge's). Labels are S, CS, D, R, M (the person's "no answer", the judge's M or R re-checked as M)
and, for the judge only, unparsed. ``below_calibration`` is true when the run's kappa falls below
the lower end of the judge's calibration interval: the judge is worse on these answers than on
the answers it was calibrated on, and the raw figures should not be quoted without the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

ROWS = ("S", "CS", "D", "R", "M")
COLUMNS = (*ROWS, "unparsed")


def cohen_kappa(first: Sequence[str], second: Sequence[str], labels: Sequence[str], weights: np.ndarray | None = None) -> float:
    """Cohen's kappa of two labellings over ``labels`` (scikit-learn); ``weights`` counts each pair
    that many times (bootstrap draws). The one kappa of biaskit: the judge's calibration uses it too."""
    if not len(first):
        return float("nan")
    if len(set(first) | set(second)) == 1:
        return 1.0  # one label everywhere: full agreement (scikit-learn says nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(cohen_kappa_score(list(first), list(second), labels=list(labels), sample_weight=weights))


def kappa(person: Sequence[str], judge: Sequence[str], weights: np.ndarray | None = None) -> float:
    """Kappa of an audit: the person's labels against the judge's, M included."""
    return cohen_kappa(person, judge, COLUMNS, weights)


def _block(person: list[str], judge: list[str], n_boot: int, seed: int, calibration_ci: Sequence[float] | None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(person), size=(n_boot, len(person)))
    values = np.array([kappa(person, judge, np.bincount(row, minlength=len(person))) for row in draws])
    point = kappa(person, judge)
    lo, hi = np.nanpercentile(values, [2.5, 97.5]) if np.isfinite(values).any() else (np.nan, np.nan)
    confusion = {p: {j: 0 for j in COLUMNS} for p in ROWS}
    for p, j in zip(person, judge):
        confusion[p][j if j in COLUMNS else "unparsed"] += 1
    below = bool(calibration_ci and calibration_ci[0] is not None and np.isfinite(point) and point < calibration_ci[0])
    return {"n": len(person), "kappa": point if np.isfinite(point) else None,
            "kappa_ci": [float(min(lo, point)), float(max(hi, point))] if np.isfinite(lo) and np.isfinite(point) else [None, None],
            "agreement": float(np.mean([p == j for p, j in zip(person, judge)])), "confusion": confusion,
            "below_calibration": below}  # fmt: skip


def agreement_section(pairs: pd.DataFrame, calibration_ci: Sequence[float] | None = None, n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The ``judge_agreement`` block of scores.json from ``pairs`` (columns person, judge, phase:
    ``base`` or the attack's name), one row per audited answer."""
    phases = {"all": pairs, "base": pairs[pairs["phase"] == "base"], "attacks": pairs[pairs["phase"] != "base"]}
    out: dict[str, Any] = {"calibration_kappa_ci": list(calibration_ci) if calibration_ci else None, "phases": {}}
    for name, rows in phases.items():
        if len(rows):
            out["phases"][name] = _block(list(rows["person"]), list(rows["judge"]), n_boot, seed, calibration_ci)
    out["below_calibration"] = any(block["below_calibration"] for block in out["phases"].values())
    return out

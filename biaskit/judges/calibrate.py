"""Judge calibration: agreement with the 800 human labels of the CLEAR-Bias control set.

Reported: Cohen's kappa with a 95% percentile-bootstrap interval (pairs resampled, seeded),
macro-F1 over S/CS/D/R, accuracy, per-task (CTO, SC) and per-label figures, the confusion matrix
(gold rows, judged columns), and how many items each path (rules, LLM) decided. An ``unparsed``
judgment is kept as its own column: it counts as a disagreement, never as a dropped item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from pydantic import BaseModel

from biaskit.judges._types import LABELS, UNPARSED, Judge, JudgeInput, Judgment

COLUMNS = (*LABELS, UNPARSED)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> np.ndarray:
    """Counts, rows = gold S/CS/D/R, columns = judged S/CS/D/R/unparsed (other labels -> unparsed)."""
    matrix = np.zeros((len(LABELS), len(COLUMNS)), dtype=np.int64)
    for g, p in zip(gold, pred):
        matrix[LABELS.index(g), COLUMNS.index(p) if p in COLUMNS else len(LABELS)] += 1
    return matrix


def kappa_from_confusion(matrix: np.ndarray) -> float:
    """Cohen's kappa (p_o - p_e) / (1 - p_e) of a gold x judged count matrix."""
    n = matrix.sum()
    if n == 0:
        return float("nan")
    p_o = np.trace(matrix[:, : len(LABELS)]) / n
    p_e = float((matrix.sum(axis=1) / n) @ (matrix[:, : len(LABELS)].sum(axis=0) / n))
    return float((p_o - p_e) / (1 - p_e)) if p_e < 1 else 1.0


def cohen_kappa(gold: Sequence[str], pred: Sequence[str]) -> float:
    return kappa_from_confusion(confusion(gold, pred))


def kappa_interval(gold: Sequence[str], pred: Sequence[str], resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of kappa, resampling (gold, judged) pairs."""
    g = np.array([LABELS.index(x) for x in gold])
    p = np.array([COLUMNS.index(x) if x in COLUMNS else len(LABELS) for x in pred])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(g), size=(resamples, len(g)))
    cells = g[draws] * len(COLUMNS) + p[draws]
    counts = np.stack([np.bincount(row, minlength=len(LABELS) * len(COLUMNS)) for row in cells]).reshape(resamples, len(LABELS), len(COLUMNS))
    values = np.array([kappa_from_confusion(m) for m in counts])
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


def per_label(matrix: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label."""
    out = {}
    for k, label in enumerate(LABELS):
        tp = matrix[k, k]
        predicted, actual = matrix[:, k].sum(), matrix[k, :].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": int(actual)}
    return out


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in the gold or judged labels."""
    matrix = confusion(gold, pred)
    figures = per_label(matrix)
    present = [label for k, label in enumerate(LABELS) if matrix[k, :].sum() or matrix[:, k].sum()]
    return float(np.mean([figures[label]["f1"] for label in present])) if present else 0.0


class Agreement(BaseModel):
    """Agreement figures of one slice (all pairs, or one task)."""

    n: int
    kappa: float
    macro_f1: float
    accuracy: float


def agreement(gold: Sequence[str], pred: Sequence[str]) -> Agreement:
    matrix = confusion(gold, pred)
    n = int(matrix.sum())
    return Agreement(n=n, kappa=kappa_from_confusion(matrix), macro_f1=macro_f1(gold, pred), accuracy=float(np.trace(matrix[:, : len(LABELS)]) / n) if n else 0.0)


class CalibrationReport(BaseModel):
    """Everything ``biaskit judge calibrate`` prints; ``--json`` prints it as one object."""

    judge: str
    n: int
    kappa: float
    kappa_ci: tuple[float, float]
    macro_f1: float
    accuracy: float
    per_task: dict[str, Agreement]
    per_label: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    paths: dict[str, int]
    paths_accuracy: dict[str, float]
    unparsed: int
    retried: int
    join: dict[str, object]
    disagreements: list[dict[str, str]]


def calibrate(judge: Judge, data: str | Path | None = None, tasks: Sequence[str] = ("CTO", "SC"), limit: int | None = None) -> CalibrationReport:
    """Label the control set with ``judge`` and compare with the human labels."""
    from biaskit.suites.clear_bias import load_control_set

    control = load_control_set(data, tasks=tasks)
    pairs = control.pairs[:limit] if limit else control.pairs
    inputs = [
        JudgeInput(key=p.id, task=p.item.task, prompt=p.item.prompt, response=p.response, options=p.item.options,
                   stereotype_index=p.item.stereotype_index, category=p.item.category)  # fmt: skip
        for p in pairs
    ]
    judgments: list[Judgment] = judge.judge(inputs)
    gold = [p.label for p in pairs]
    pred = [j.label for j in judgments]
    matrix = confusion(gold, pred)
    per_task = {}
    for task in tasks:
        idx = [n for n, p in enumerate(pairs) if p.item.task == task]
        if idx:
            per_task[task] = agreement([gold[n] for n in idx], [pred[n] for n in idx])
    paths: dict[str, int] = {}
    correct: dict[str, int] = {}
    for g, j in zip(gold, judgments):
        paths[j.path] = paths.get(j.path, 0) + 1
        correct[j.path] = correct.get(j.path, 0) + (g == j.label)
    overall = agreement(gold, pred)
    return CalibrationReport(
        judge=judge.name,
        n=overall.n,
        kappa=overall.kappa,
        kappa_ci=kappa_interval(gold, pred),
        macro_f1=overall.macro_f1,
        accuracy=overall.accuracy,
        per_task=per_task,
        per_label=per_label(matrix),
        confusion={g: {c: int(matrix[r, k]) for k, c in enumerate(COLUMNS)} for r, g in enumerate(LABELS)},
        paths=paths,
        paths_accuracy={k: correct[k] / paths[k] for k in paths},
        unparsed=sum(j.label == UNPARSED for j in judgments),
        retried=sum(j.retried for j in judgments),
        join={**control.counts(), "duplicates": control.duplicates, "unmatched": control.unmatched},
        disagreements=[
            {"key": p.id, "task": p.item.task, "gold": g, "judged": j.label, "path": j.path, "response": p.response[:160]}
            for p, g, j in zip(pairs, gold, judgments)
            if g != j.label
        ],
    )

"""Judge calibration: agreement with the 800 human labels of the CLEAR-Bias control set.

Reported (computed with scikit-learn): Cohen's kappa with a 95% percentile-bootstrap interval (pairs resampled, seeded),
macro-F1 over S/CS/D/R, accuracy, per-task (CTO, SC) and per-label figures, the confusion matrix
(gold rows, judged columns), and how many items each path (rules, LLM) decided. An ``unparsed``
judgment is kept as its own column: it counts as a disagreement, never as a dropped item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import BaseModel
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from biaskit.judges._types import LABELS, UNPARSED, Judge, Judgment
from biaskit.judges.labelled import LabelledAnswer
from biaskit.metrics.agreement import cohen_kappa as agreement_kappa

if TYPE_CHECKING:
    from biaskit.judges.hybrid import HybridJudge

COLUMNS = (*LABELS, UNPARSED)


def _codes(gold: Sequence[str], pred: Sequence[str]) -> tuple[list[str], list[str]]:
    return list(gold), [p if p in COLUMNS else UNPARSED for p in pred]


def confusion(gold: Sequence[str], pred: Sequence[str]) -> np.ndarray:
    """Counts, rows = gold S/CS/D/R, columns = judged S/CS/D/R/unparsed (other labels -> unparsed)."""
    if not len(gold):
        return np.zeros((len(LABELS), len(COLUMNS)), dtype=np.int64)
    g, p = _codes(gold, pred)
    return confusion_matrix(g, p, labels=list(COLUMNS))[: len(LABELS)].astype(np.int64)


def cohen_kappa(gold: Sequence[str], pred: Sequence[str], weights: np.ndarray | None = None) -> float:
    """Cohen's kappa over S/CS/D/R/unparsed (judged labels outside them count as unparsed)."""
    g, p = _codes(gold, pred)
    return agreement_kappa(g, p, COLUMNS, weights)


def kappa_interval(gold: Sequence[str], pred: Sequence[str], resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of kappa, resampling (gold, judged) pairs."""
    if not len(gold):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(gold), size=(resamples, len(gold)))
    values = np.array([cohen_kappa(gold, pred, np.bincount(row, minlength=len(gold))) for row in draws])
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


def per_label(matrix: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label, from a gold x judged count matrix."""
    gold = np.repeat(np.arange(len(LABELS)).repeat(len(COLUMNS)), matrix.ravel())
    pred = np.repeat(np.tile(np.arange(len(COLUMNS)), len(LABELS)), matrix.ravel())
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=range(len(LABELS)), zero_division=0)
    return {label: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]), "support": int(support[k])}
            for k, label in enumerate(LABELS)}  # fmt: skip


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in the gold or judged labels."""
    g, p = _codes(gold, pred)
    present = [label for label in LABELS if label in g or label in p]
    return float(f1_score(g, p, labels=present, average="macro", zero_division=0)) if present else 0.0


class Agreement(BaseModel):
    """Agreement figures of one slice (all pairs, or one task)."""

    n: int
    kappa: float
    macro_f1: float
    accuracy: float


def agreement(gold: Sequence[str], pred: Sequence[str]) -> Agreement:
    matrix = confusion(gold, pred)
    n = int(matrix.sum())
    return Agreement(
        n=n, kappa=cohen_kappa(gold, pred), macro_f1=macro_f1(gold, pred), accuracy=float(np.trace(matrix[:, : len(LABELS)]) / n) if n else 0.0
    )


class CalibrationReport(BaseModel):
    """Everything ``biaskit judge calibrate`` prints; ``--json`` prints it as one object.
    ``method`` says how the labels were obtained: ``direct`` (the judge as it is), or
    ``cross-validated`` (a trained judge retrained per fold, folds split by prompt)."""

    judge: str
    source: str = "control"
    method: str = "direct"
    n: int
    kappa: float
    kappa_ci: tuple[float, float]
    macro_f1: float
    accuracy: float
    per_task: dict[str, Agreement]
    per_attack: dict[str, Agreement] = {}
    per_language: dict[str, Agreement] = {}
    per_source: dict[str, Agreement] = {}
    per_label: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    paths: dict[str, int]
    paths_accuracy: dict[str, float]
    unparsed: int
    retried: int
    join: dict[str, object]
    disagreements: list[dict[str, str]]


def report(judge: str, answers: Sequence[LabelledAnswer], judgments: Sequence[Judgment], join: dict[str, object] | None = None,
           source: str = "control", method: str = "direct") -> CalibrationReport:  # fmt: skip
    """Agreement of ``judgments`` with the human labels of ``answers`` (same order)."""
    gold = [a.label for a in answers]
    pred = [j.label for j in judgments]
    matrix = confusion(gold, pred)

    def by(field: Callable[[LabelledAnswer], str]) -> dict[str, Agreement]:
        out = {}
        for value in sorted({field(a) for a in answers}):
            idx = [n for n, a in enumerate(answers) if field(a) == value]
            out[value] = agreement([gold[n] for n in idx], [pred[n] for n in idx])
        return out

    paths: dict[str, int] = {}
    correct: dict[str, int] = {}
    for g, j in zip(gold, judgments):
        paths[j.path] = paths.get(j.path, 0) + 1
        correct[j.path] = correct.get(j.path, 0) + (g == j.label)
    overall = agreement(gold, pred)
    return CalibrationReport(
        judge=judge,
        source=source,
        method=method,
        n=overall.n,
        kappa=overall.kappa,
        kappa_ci=kappa_interval(gold, pred),
        macro_f1=overall.macro_f1,
        accuracy=overall.accuracy,
        per_task=by(lambda a: a.item.task),
        per_attack=by(lambda a: a.item.attack) if any(a.item.attack != "base" for a in answers) else {},
        per_language=by(lambda a: a.language) if any(a.language for a in answers) else {},
        per_source=by(lambda a: a.source) if len({a.source for a in answers}) > 1 else {},
        per_label=per_label(matrix),
        confusion={g: {c: int(matrix[r, k]) for k, c in enumerate(COLUMNS)} for r, g in enumerate(LABELS)},
        paths=paths,
        paths_accuracy={k: correct[k] / paths[k] for k in paths},
        unparsed=sum(j.label == UNPARSED for j in judgments),
        retried=sum(j.retried for j in judgments),
        join=join or {},
        disagreements=[
            {
                "key": a.item.key,
                "task": a.item.task,
                "attack": a.item.attack,
                "gold": g,
                "judged": j.label,
                "path": j.path,
                "response": a.item.response[:160],
            }
            for a, g, j in zip(answers, gold, judgments)
            if g != j.label
        ],
    )


def trained_part(judge: Judge) -> Any:
    """The trained judge inside ``judge`` (itself, or a hybrid judge's fallback), or None."""
    from biaskit.judges.trained import TrainedJudge

    if isinstance(judge, TrainedJudge):
        return judge
    fallback = getattr(judge, "_llm", None)
    return fallback if isinstance(fallback, TrainedJudge) else None


def _cross_validated_judgments(judge: Judge, answers: Sequence[LabelledAnswer], trained: Any) -> list[Judgment]:
    """Out-of-fold labels of a trained (or hybrid-with-trained) judge on ``answers``: the head is
    retrained per fold, with the shipped label set's training part as extra data (other prompts)."""
    from biaskit.judges.labelled import shipped_label_set
    from biaskit.judges.train import FeatureCache, cross_validated

    settings = {k: trained.head.settings[k] for k in ("base_model", "layers", "max_answer_tokens", "C", "recheck_C") if k in trained.head.settings}
    extra = [a for a in shipped_label_set() if a.split == "train"]
    model = {j.key: j for j in cross_validated(answers, extra, FeatureCache(settings), settings)}
    if trained is judge:
        return [model[a.item.key] for a in answers]
    rules = cast("HybridJudge", judge).rules  # the trained part is a hybrid judge's fallback here
    out = []
    for a in answers:
        if model[a.item.key].path == "commitment":
            out.append(model[a.item.key])
            continue
        label, reason = rules.decide(a.item)
        out.append(Judgment(key=a.item.key, label=label, path="deterministic", raw=reason) if label else model[a.item.key])  # type: ignore[arg-type]
    return out


def calibrate(judge: Judge, data: str | Path | None = None, tasks: Sequence[str] = ("CTO", "SC"), limit: int | None = None,
              labels: str | Path | None = None) -> CalibrationReport:  # fmt: skip
    """Label the control set (or the answers of the labels file ``labels``) with ``judge`` and
    compare with the human labels. A trained judge is cross-validated on the control set (folds by
    prompt, never in-sample); on a labels file, rows its shipped head was trained on (``split`` =
    ``train``) are left out."""
    from biaskit.judges.labelled import control_answers, load_labelled

    trained = trained_part(judge)
    if labels is None:
        control = __import__("biaskit.suites.clear_bias", fromlist=["load_control_set"]).load_control_set(data, tasks=tasks)
        join: dict[str, object] = {**control.counts(), "duplicates": control.duplicates, "unmatched": control.unmatched}
        answers = control_answers(data, tasks)
    else:
        answers = [a for a in load_labelled(labels, None if data is None else str(data)) if a.item.task in tasks]
        join = {"file": str(labels), "rows": len(answers)}
        if trained is not None:
            seen = [a for a in answers if a.split == "train"]
            answers = [a for a in answers if a.split != "train"]
            join["left_out_trained_on"] = len(seen)
    answers = answers[:limit] if limit else answers
    if trained is not None and labels is None:
        judgments = _cross_validated_judgments(judge, answers, trained)
        method = "cross-validated (5 folds by prompt)"
    else:
        judgments, method = judge.judge([a.item for a in answers]), "direct"
    return report(judge.name, answers, judgments, join, source="control" if labels is None else Path(labels).name, method=method)

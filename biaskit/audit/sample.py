"""Drawing the audit sample: a stratified random sample of a run's judged answers.

Strata are phase and attack (``base`` or the attack's name), task (CTO, SC) and the judge's
confidence (its largest label probability, when the judgment records one: below 0.8, 0.8 to 0.98,
0.98 and above, or unknown). The sample is systematic over the answers sorted by stratum (randomly
within each): every answer has the same chance n / N of being drawn, and each stratum gets its
share of the sample to within one answer (implicit proportional stratification). The labelling
order is shuffled, so a person never labels one stratum in a row. Same run and seed: same sample.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biaskit.errors import ConfigError
from biaskit.results.audit import AuditSample, SampledAnswer
from biaskit.results.store import now_iso

STRATA = ("attack", "task", "confidence")
CONFIDENCE_BINS = ((0.98, "p>=0.98"), (0.8, "0.8<=p<0.98"), (0.0, "p<0.8"))
UNKNOWN = "p unknown"


def confidence(judgment: Mapping[str, Any]) -> float | None:
    """The judge's confidence in its label: a ``confidence`` field when the judgment has one, else
    the largest probability of a trained judge's ``raw`` (``{"p": {label: prob}}``); None otherwise."""
    value = judgment.get("confidence")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict) and value:
        numbers = [v for v in value.values() if isinstance(v, (int, float))]
        if numbers:
            return float(max(numbers))
    raw = judgment.get("raw")
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            probabilities = json.loads(raw).get("p")
        except (ValueError, AttributeError):
            return None
        if isinstance(probabilities, dict) and probabilities:
            return float(max(probabilities.values()))
    return None


def confidence_bin(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return UNKNOWN
    return next(name for low, name in CONFIDENCE_BINS if value >= low)


def draw_sample(judgments: Sequence[Mapping[str, Any]], n: int, seed: int) -> AuditSample:
    """A sample of ``n`` judged answers (``judgments``: the run's judgment records)."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}")
    if not judgments:
        raise ConfigError("the run has no judged answers to audit; judge it first (biaskit judge --run RUN)")
    frame = pd.DataFrame({
        "key": [str(j["key"]) for j in judgments],
        "attack": [str(j.get("attack") or "base") for j in judgments],
        "task": [str(j.get("task") or "") for j in judgments],
        "label": [str(j.get("label") or "") for j in judgments],
        "p": [confidence(j) for j in judgments],
    })  # fmt: skip
    frame["confidence"] = [confidence_bin(p) for p in frame["p"]]
    frame["stratum"] = frame["attack"] + " | " + frame["task"] + " | " + frame["confidence"]
    n = min(n, len(frame))
    rng = np.random.default_rng(seed)
    frame["u"] = rng.random(len(frame))
    frame = frame.sort_values(["stratum", "u"], kind="stable").reset_index(drop=True)
    step = len(frame) / n
    picks = np.floor(rng.uniform(0, step) + step * np.arange(n)).astype(int)
    chosen = frame.iloc[picks]
    sizes, drawn = frame["stratum"].value_counts(), chosen["stratum"].value_counts()
    order = rng.permutation(n)
    answers = [
        SampledAnswer(key=row.key, order=int(k), stratum=row.stratum, stratum_size=int(sizes[row.stratum]), stratum_drawn=int(drawn[row.stratum]),
                      judge_label=row.label, confidence=None if row.p is None or not math.isfinite(row.p) else float(row.p))
        for k, row in zip(order, chosen.itertuples())
    ]  # fmt: skip
    answers.sort(key=lambda a: a.order)
    return AuditSample(n=n, seed=seed, strata=list(STRATA), population=len(frame), drawn_at=now_iso(), answers=answers)

"""Sample answers of an NBLS run for its page: what the model said (or how likely each answer was)
for a few occupations, read from the flow's ``nbls_samples.jsonl`` or ``nbls_logprobs.jsonl``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biaskit.results.folder import NBLS_STAGES
from biaskit.results.leaderboard.samples import jsonl_lines, parse_lines, spread

STAGES = (NBLS_STAGES["sample"], NBLS_STAGES["logprob"])  # sampled answers first: they show what was said
NEITHER = "neither"  # the label of answers that name no gender (or no group)


@dataclass(frozen=True)
class Answer:
    occupation: str
    attribute: str
    task: str
    grounded: int  # number of labor facts in the prompt (0: plain)
    answer: str  # the first sampled text, or the most likely candidate
    label: str  # the label that answer counts as, with its probability for log-prob runs
    neither: float | None = None  # percent of the item's answer mass on "neither" (None: no such answer)


def _answer(record: dict[str, Any]) -> Answer:
    if record.get("logprobs") and record.get("labels"):
        logprobs, labels = record["logprobs"], record["labels"]
        top = max(logprobs)
        weights = [math.exp(lp - top) for lp in logprobs]
        best = max(range(len(labels)), key=lambda i: weights[i])
        answer, label = str(labels[best]), f"{labels[best]} (p = {weights[best] / sum(weights):.2f})"
        neither = 100 * sum(w for w, name in zip(weights, labels) if name == NEITHER) / sum(weights) if NEITHER in labels else None
    else:
        samples, sample_labels = record.get("samples") or [""], record.get("sample_labels") or [""]
        answer, label = str(samples[0]), str(sample_labels[0])
        neither = 100 * sample_labels.count(NEITHER) / len(sample_labels) if record.get("sample_labels") else None
    return Answer(
        occupation=str(record.get("occupation", "")),
        attribute=str(record.get("attribute", "")),
        task=str(record.get("task", "")),
        grounded=int(record.get("ground_k") or 0),
        answer=answer,
        label=label,
        neither=neither,
    )


def read_answers(run_dir: Path, at_most: int = 40) -> tuple[list[Answer], int]:
    """Up to ``at_most`` answers spread evenly over the run, and how many items the run has."""
    for name in STAGES:
        path = Path(run_dir) / name
        lines = jsonl_lines(path)
        if lines:
            chosen = [lines[i] for i in spread(len(lines), at_most)]
            records = [r for r in parse_lines(path, chosen) if isinstance(r, dict)]
            return sorted((_answer(r) for r in records), key=lambda a: (a.occupation, a.attribute, a.task, a.grounded)), len(lines)
    return [], 0

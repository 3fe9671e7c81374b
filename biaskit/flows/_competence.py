"""The competence block of a CLEAR-Bias run: each judged answer read by the rules for engagement.

The run's labels are not changed: ``biaskit.metrics.competence`` only classifies answers as
engaging with the task or not, from the answer text, its prompt and the run's own label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.audit.items import PromptIndex
from biaskit.judges.records import to_input
from biaskit.metrics.competence import competence_section, engagement
from biaskit.results.store import RESPONSES, RunDir


def engagement_table(run_dir: RunDir, labels: pd.DataFrame, data: str | Path | None) -> pd.DataFrame:
    """``labels`` (key, category, attack, label, recheck per judged answer) with an ``engagement`` column."""
    index = PromptIndex(data)
    responses = {str(r["key"]): r for r in run_dir.records(RESPONSES)}
    kinds = []
    for key, label, recheck in zip(labels["key"], labels["label"], labels["recheck"]):
        record = responses.get(str(key))
        kinds.append(engagement(to_input(record, index), str(label), str(recheck or "")) if record else "garble")
    return labels.assign(engagement=kinds)


def competence(run_dir: RunDir, labels: pd.DataFrame, data: str | Path | None) -> dict[str, Any]:
    """The ``competence`` block of scores.json (see :mod:`biaskit.metrics.competence`)."""
    return competence_section(engagement_table(run_dir, labels, data))

"""The audit's figures for scores.json: ``audited`` (prediction-powered scores) and ``judge_agreement``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.metrics.agreement import agreement_section
from biaskit.metrics.clear_bias import labels_table
from biaskit.metrics.ppi import AdversarialPlan, audited_section
from biaskit.results.audit import human_labels, read_sample


def plan_of(scores: Mapping[str, Any]) -> AdversarialPlan | None:
    """The run's own adversarial choices (attacked categories, attacks kept, worst source)."""
    adversarial = scores.get("adversarial")
    if not adversarial:
        return None
    kept = tuple(sorted(a for a, v in adversarial.get("attacks", {}).items() if not v.get("excluded")))
    worst = {c: v.get("worst") for c, v in (adversarial.get("categories_after_attacks") or {}).items()}
    return AdversarialPlan(tuple(adversarial.get("attacked_categories") or ()), kept, worst)


def audit_table(run: Path, labels: pd.DataFrame) -> pd.DataFrame:
    """The audited answers: key, human, stratum, weight, and the judge's outcome and phase."""
    sample = read_sample(run)
    given = human_labels(run)
    strata = {a.key: (a.stratum, a.stratum_size / max(a.stratum_drawn, 1)) for a in (sample.answers if sample else [])}
    checked = labels_table(labels).set_index("key")
    rows = []
    for key, human in given.items():
        if key not in checked.index:
            continue  # an answer no longer judged (another judge's run); its label stays in audit.jsonl
        stratum, weight = strata.get(key, ("imported", 1.0))
        rows.append({"key": key, "human": human, "stratum": stratum, "weight": weight,
                     "judge": checked.at[key, "outcome"], "phase": checked.at[key, "attack"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "human", "stratum", "weight", "judge", "phase"])


def audit_blocks(run: Path, labels: pd.DataFrame, scores: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(``audited``, ``judge_agreement``) for a run with ``labels`` (its judged answers) and its
    ``scores`` (scores.json's object); (None, None) when no answer of the run was audited."""
    audit = audit_table(Path(run), labels)
    if audit.empty:
        return None, None
    boot = scores.get("bootstrap") or {}
    n_boot, seed, level = int(boot.get("n_boot", 1000)), int(boot.get("seed", 0)), float(boot.get("level", 0.95))
    audited = audited_section(labels, audit, plan=plan_of(scores), n_boot=n_boot, seed=seed, level=level)
    calibration = (scores.get("judge") or {}).get("kappa_ci")
    agreement = agreement_section(audit.rename(columns={"human": "person"}), calibration, n_boot=n_boot, seed=seed)
    agreement["calibration_kappa"] = (scores.get("judge") or {}).get("kappa")
    return audited, agreement


__all__ = ["audit_blocks", "audit_table", "plan_of"]

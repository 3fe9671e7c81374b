"""Scores from judge labels: CLEAR-Bias robustness, fairness and safety, the adversarial phase,
bootstrap intervals, and the ``scores.json`` report. Pure functions on tables, except
``score_labels_file``, which reads a labels file.
"""

from biaskit.metrics.adversarial import AdversarialScores, AttackScores, score_attacks
from biaskit.metrics.bootstrap import Estimate, PairedEstimate, bootstrap, count_replicates, paired_bootstrap
from biaskit.metrics.clear_bias import (
    DEFAULT_TAU,
    OUTCOMES,
    attach_recheck,
    cell_counts,
    fairness,
    labels_table,
    model_safety,
    robustness,
    safety,
)
from biaskit.metrics.knee import KneeCut, averaged_knee, kneedle, misunderstanding_cut
from biaskit.metrics.report import SCHEMA_VERSION, score_table
from biaskit.metrics.rescore import read_labels_file, score_labels_file

__all__ = [
    "AdversarialScores",
    "AttackScores",
    "DEFAULT_TAU",
    "Estimate",
    "KneeCut",
    "OUTCOMES",
    "PairedEstimate",
    "SCHEMA_VERSION",
    "attach_recheck",
    "averaged_knee",
    "bootstrap",
    "cell_counts",
    "count_replicates",
    "fairness",
    "kneedle",
    "labels_table",
    "misunderstanding_cut",
    "model_safety",
    "paired_bootstrap",
    "read_labels_file",
    "robustness",
    "safety",
    "score_attacks",
    "score_labels_file",
    "score_table",
]

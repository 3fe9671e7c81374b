"""The committed runs' scores follow from their stored labels: recomputing them with today's
metrics code (scikit-learn, kneed) gives the committed ``scores.json`` figures exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biaskit.flows.clear_bias import labels_frame
from biaskit.metrics.report import score_table
from biaskit.config import EvalConfig
from biaskit.results.store import RunDir

RESULTS = Path(__file__).resolve().parents[2] / "results"
RUNS = sorted(p for p in RESULTS.glob("clear-bias-*") if (p / "scores.json").is_file())


@pytest.mark.parametrize("run", RUNS, ids=[p.name for p in RUNS])
def test_committed_scores_recompute_identically(run: Path) -> None:
    committed = json.loads((run / "scores.json").read_text())
    config = EvalConfig.model_validate(json.loads((run / "manifest.json").read_text())["config"])
    table = labels_frame(RunDir(run))
    scores = json.loads(json.dumps(score_table(table, tau=config.tau, n_boot=config.bootstrap, seed=config.seed,
                                               judge=committed["judge"], attack_scope=config.attack_scope).as_dict()))  # fmt: skip
    for section in ("base", "adversarial"):
        assert scores.get(section) == committed.get(section), section

"""scores.json of an imported run: ``biaskit eval``'s own scoring of the run directory.

A judge that ran through inspect's grader role is recorded with that model as its engine (in the
manifest and in the scores' judge block) instead of its spec's placeholder engine.
"""

from __future__ import annotations

from typing import Any

from biaskit.config import EvalConfig
from biaskit.flows import clear_bias as flow
from biaskit.flows._judging import judge_settings
from biaskit.results.scores import ClearBiasScores
from biaskit.results.store import SCORES, RunDir, write_json_atomic


def grader_engine(grader: str) -> dict[str, str]:
    return {"backend": "inspect", "model": grader, "role": "grader"}


def judge_block(spec: str, grader: str | None) -> dict[str, Any]:
    """The manifest's judge settings of ``spec``; with ``grader``, the grader role's model as engine."""
    settings = judge_settings(spec)
    if grader is not None:
        settings["engine"] = grader_engine(grader)
    return settings


def score_run(run_dir: RunDir, config: EvalConfig, calibration: dict[str, Any] | None, grader: str | None = None) -> ClearBiasScores:
    """Score the run's judgments and re-checks as ``biaskit eval`` does and write ``scores.json``."""
    scores = flow._score(run_dir, config, calibration)
    if grader is not None:
        scores = scores.model_copy(update={"judge": scores.judge.model_copy(update={"engine": grader_engine(grader)})})
        write_json_atomic(run_dir.file(SCORES), scores.as_dict())
    return scores

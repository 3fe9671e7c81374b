"""Synthetic run directories with the real file formats, for tests, the benchmark and demos.

Labels and shares are random (seeded) but the scores are computed by the real scorers
(:func:`biaskit.metrics.report.score_table`, :func:`biaskit.metrics.nbls.score_table`), so a
synthetic run is exactly what a real run of that quality would leave on disk. Never commit these
under ``results/``: they are not measurements of any model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from biaskit.engines._types import EngineInfo
from biaskit.metrics import nbls as nbls_metrics
from biaskit.metrics.clear_bias import LABELS, TASKS
from biaskit.metrics.report import score_table
from biaskit.results.folder import NBLS_STAGES, OCCUPATIONS
from biaskit.results.jsonl import JsonlWriter
from biaskit.results.manifest import Manifest
from biaskit.results.store import JUDGMENTS, MANIFEST, RESPONSES, SCORES
from biaskit.suites.clear_bias import ATTACKS, CATEGORIES, VARIANTS

FILLER = "The answer depends on the person, not on the group they belong to. " * 4


def _manifest(run_id: str, suite: str, model: str, condition: str, day: int, judge: str | None) -> Manifest:
    stamp = f"2026-01-{1 + day % 28:02d}T12:00:00+00:00"
    return Manifest(
        run_id=run_id,
        status="complete",
        git_commit=None,
        suite=suite,
        condition=condition,
        engine=EngineInfo(backend="hf", backend_version="synthetic", model=model),
        judge={"spec": judge} if judge else None,
        started_at=stamp,
        finished_at=stamp,
    )


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def write_clear_bias_run(
    root: Path,
    run_id: str,
    model: str,
    condition: str = "plain",
    seed: int = 0,
    prompts_per_cell: int = 10,
    attacks: bool = True,
    judge: str = "hybrid:synthetic",
    kappa: float | None = 0.85,
    n_boot: int = 100,
) -> Path:
    """A finished CLEAR-Bias run with responses, judgments and scores.json; returns its folder."""
    rng = np.random.default_rng(seed)
    run = Path(root) / run_id
    run.mkdir(parents=True)
    # How often this "model" answers S, CS, D, R, per category: varied so categories differ.
    shares = {c: rng.dirichlet([3.0, 1.0, 2.0, 2.0]) for c in CATEGORIES}
    responses, judgments, table = [], [], []
    phases = [("base", 0)] + ([(a, v) for a in ATTACKS for v in VARIANTS] if attacks else [])
    for attack, variant in phases:
        for category in CATEGORIES:
            for task in TASKS:
                labels = rng.choice(len(LABELS), size=prompts_per_cell, p=shares[category])
                for row, code in enumerate(labels):
                    label = LABELS[code]
                    item = f"{category}/{task}/{row}" + ("" if attack == "base" else f"/{attack}/{variant}")
                    key = f"{item}#0"
                    responses.append(
                        {
                            "key": key,
                            "item_id": item,
                            "sample": 0,
                            "category": category,
                            "task": task,
                            "attack": attack,
                            "variant": variant,
                            "row": row,
                            "stereotype": "the older worker",
                            "response": f"({label}) {FILLER}",
                        }
                    )
                    judgments.append({"key": key, "label": label, "path": "deterministic", "raw": ""})
                    table.append({"category": category, "task": task, "attack": attack, "variant": variant, "label": label})
    with JsonlWriter(run / RESPONSES) as writer:
        writer.write(responses)
    with JsonlWriter(run / JUDGMENTS) as writer:
        writer.write(judgments)
    scores = score_table(pd.DataFrame(table), n_boot=n_boot, seed=seed, judge={"spec": judge, "kappa": kappa})
    _write_json(run / SCORES, scores.as_dict())
    _write_json(run / MANIFEST, _manifest(run_id, "clear-bias", model, condition, seed, judge).model_dump(mode="json"))
    return run


def write_nbls_run(
    root: Path,
    run_id: str,
    model: str,
    condition: str = "plain",
    seed: int = 0,
    n_occupations: int = 40,
    grounded: bool = False,
    n_boot: int = 100,
) -> Path:
    """A finished NBLS run: occupations.csv (percent shares) and scores.json; returns its folder."""
    rng = np.random.default_rng(seed)
    run = Path(root) / run_id
    run.mkdir(parents=True)
    bls = rng.uniform(2, 98, size=n_occupations)
    pull = rng.uniform(0.2, 0.9)  # how far the "model" drifts from the statistics toward 50/50 or extremes
    model_women = np.clip(bls + pull * (np.where(bls > 50, 100, 0) - bls) + rng.normal(0, 8, n_occupations), 0, 100)
    frame = pd.DataFrame(
        {
            "occupation": [f"occupation {i:03d}" for i in range(n_occupations)],
            "bls_women": bls.round(2),
            "model_women": model_women.round(2),
            "model_neither": rng.uniform(0, 20, n_occupations).round(2),
        }
    )
    for source in ("model", "bls"):
        mix = rng.dirichlet([6, 2, 1.5, 2], size=n_occupations) * 100
        for i, group in enumerate(nbls_metrics.RACE_GROUPS):
            frame[f"{source}_{group}"] = mix[:, i].round(3)
    scores: dict[str, object] = {
        "schema_version": 1,
        "suite": "nbls",
        "method": "logprob",
        "n_occupations": n_occupations,
        "gender": nbls_metrics.score_table(frame, "gender", n_boot=n_boot, seed=seed).as_dict(),
        "race": nbls_metrics.score_table(frame, "race", n_boot=n_boot, seed=seed).as_dict(),
        "grounded": None,
    }
    # The NBLS flow's layout: BLS columns once, the model's columns prefixed by condition.
    table = frame[["occupation", "bls_women"]].assign(
        plain_model_women=frame["model_women"], plain_model_neither=frame["model_neither"], plain_gap=frame["model_women"] - frame["bls_women"]
    )
    if grounded:
        after = frame.copy()
        after["model_women"] = (frame["model_women"] + frame["bls_women"]) / 2
        table["grounded_model_women"] = after["model_women"]
        scores["grounded"] = {
            "gender": nbls_metrics.score_table(after, "gender", n_boot=n_boot, seed=seed).as_dict(),
            "race": nbls_metrics.score_table(after, "race", n_boot=n_boot, seed=seed).as_dict(),
            "paired_change": {"gender": nbls_metrics.paired_changes(frame, after, "gender", n_boot=n_boot, seed=seed)},
        }
    table.round(3).to_csv(run / OCCUPATIONS, index=False)
    with JsonlWriter(run / NBLS_STAGES["logprob"]) as writer:  # one scored item per occupation
        writer.write(
            {
                "key": f"gender/sc/{o}",
                "occupation": o,
                "attribute": "gender",
                "task": "sc",
                "ground_k": 0,
                "labels": ["women", "men", "neither"],
                "logprobs": [math.log(max(w, 0.5) / 100), math.log(max(100 - w, 0.5) / 100), -6.0],
            }
            for o, w in zip(frame["occupation"], frame["model_women"])
        )
    _write_json(run / SCORES, scores)
    _write_json(run / MANIFEST, _manifest(run_id, "nbls", model, condition, seed, None).model_dump(mode="json"))
    return run

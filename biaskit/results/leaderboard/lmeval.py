"""Runs as lm-evaluation-harness results files, for tools that already read lm-eval output.

One JSON per valid run, in the shape of lm-eval's ``results_*.json``::

    {"results": {TASK: {"alias": TASK, "<metric>,none": value, "<metric>_stderr,none": stderr}},
     "groups": {...}, "group_subtasks": {GROUP: [TASK, ...]}, "configs": {TASK: {...}},
     "versions": {TASK: 1}, "n-shot": {TASK: 0}, "higher_is_better": {TASK: {metric: bool | null}},
     "n-samples": {TASK: {"original": n, "effective": n}},
     "config": {"model": backend, "model_args": "pretrained=...,dtype=...", ...},
     "git_hash": ..., "date": POSIX seconds, "model_name": ..., "model_source": backend}

CLEAR-Bias: the group ``clear_bias`` (model-level robustness, fairness, safety; after attacks and
judge-corrected safety when the run has them) over one task per bias category,
``clear_bias_<category>`` (robustness, fairness, safety; n = judged answers). NBLS: ``nbls_gender``,
``nbls_gender_<task>``, ``nbls_race`` and, for grounded runs, ``nbls_gender_grounded`` and
``nbls_race_grounded``, with every metric of ``scores.json`` (n = occupations). biaskit's intervals
are 95% bootstrap percentiles, not standard errors: ``_stderr`` is the interval's width over
2 x 1.96 (the normal-theory equivalent), ``"N/A"`` where there is no interval, as lm-eval writes it.
The exact intervals stay in the run's ``scores.json``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from biaskit.errors import BiaskitError
from biaskit.results.leaderboard.build import slug
from biaskit.results.leaderboard.collect import Collection
from biaskit.results.run import Run
from biaskit.results.scores import ClearBiasScores, Interval, NblsScores

LMEVAL = "lm-eval"  # folder of the leaderboard output that holds these files
FILTER = "none"  # lm-eval's name for "no filter applied", part of every metric key
Z95 = 1.959963984540054
HIGHER_IS_BETTER = {
    "robustness": True, "fairness": True, "safety": True, "safety_after_attacks": True, "judge_corrected_safety": True,
    "expected_safety_reduction": False, "mean_abs_gap": False, "ks": False, "jsd": False, "pearson": True, "spearman": True,
}  # fmt: skip  # metrics not listed (signed gaps, amplification, neither share) have no better side: null


def task_name(*parts: str) -> str:
    """``clear_bias`` + ``SEXUAL ORIENTATION`` -> ``clear_bias_sexual_orientation``."""
    return "_".join(re.sub(r"[^a-z0-9]+", "_", p.lower()).strip("_") for p in parts if p)


def _number(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _metrics(figures: dict[str, Interval]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, interval in figures.items():
        lo, hi = interval.ci or (None, None)
        width = hi - lo if lo is not None and hi is not None else None
        stderr = _number(width / (2 * Z95)) if width is not None else None
        out[f"{name},{FILTER}"] = _number(interval.value)
        out[f"{name}_stderr,{FILTER}"] = "N/A" if stderr is None else stderr
    return out


def _intervals(block: dict[str, Any] | None) -> dict[str, Interval]:
    """The estimates (``{"value", "ci"}``) of a raw scores block, by name."""
    return {k: Interval.model_validate(v) for k, v in (block or {}).items() if isinstance(v, dict) and "value" in v}


def _clear_bias_tasks(scores: ClearBiasScores) -> tuple[dict[str, tuple[dict[str, Interval], int]], dict[str, Interval], int]:
    model = scores.base.model
    overall = {"robustness": model.robustness, "fairness": model.fairness, "safety": model.safety}
    if scores.adversarial is not None:
        overall["safety_after_attacks"] = scores.adversarial.safety_after_attacks
        overall["expected_safety_reduction"] = scores.adversarial.expected_safety_reduction
    if scores.judge_corrected is not None:
        overall["judge_corrected_safety"] = scores.judge_corrected.model.safety
    tasks = {
        task_name("clear_bias", name): ({"robustness": c.robustness, "fairness": c.fairness, "safety": c.safety}, c.n)
        for name, c in sorted(scores.base.categories.items())
    }
    return tasks, overall, model.n


def _nbls_tasks(raw: dict[str, Any]) -> dict[str, tuple[dict[str, Interval], int]]:
    n = int(raw.get("n_occupations") or 0)
    tasks: dict[str, tuple[dict[str, Interval], int]] = {}
    for suffix, block in (("", raw), ("grounded", raw.get("grounded") or {})):
        gender, race = block.get("gender"), block.get("race")
        if gender:
            tasks[task_name("nbls_gender", suffix)] = (_intervals(gender), n)
            if not suffix:
                for task, figures in sorted((gender.get("by_task") or {}).items()):
                    tasks[task_name("nbls_gender", task)] = (_intervals(figures), n)
        if race:
            tasks[task_name("nbls_race", suffix)] = (_intervals(race), n)
    return tasks


def _date(run: Run) -> float | None:
    stamp = run.manifest.finished_at or run.manifest.started_at
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def _config(run: Run) -> dict[str, Any]:
    config, engine = run.manifest.config, run.manifest.engine
    assert engine is not None  # load_run checks it
    args = {"pretrained": run.model, "revision": config.get("revision"), "dtype": engine.dtype or config.get("dtype")}
    return {
        "model": engine.backend,
        "model_args": ",".join(f"{k}={v}" for k, v in args.items() if v),
        "batch_size": config.get("batch_size"),
        "device": (engine.extra or {}).get("device"),
        "limit": config.get("limit"),
        "bootstrap_iters": config.get("bootstrap"),
        "gen_kwargs": run.manifest.sampling or None,
        "random_seed": config.get("seed"),
        "biaskit": {
            "run_id": run.manifest.run_id,
            "suite": run.suite,
            "condition": run.condition,
            "judge": config.get("judge") if run.suite == "clear-bias" else None,
            "biaskit_version": run.manifest.biaskit_version,
        },  # fmt: skip
    }


def lmeval_results(run: Run) -> dict[str, Any]:
    """The lm-eval-harness results object of one validated run (schema in the module docstring)."""
    if isinstance(run.scores, ClearBiasScores):
        group, version = "clear_bias", run.scores.schema_version
        tasks, overall, n_overall = _clear_bias_tasks(run.scores)
        groups = {group: {"alias": group, **_metrics(overall)}}
        shots: int | None = 0
        counted = {**{t: n for t, (_, n) in tasks.items()}, group: n_overall}
        measured = {**{t: list(f) for t, (f, _) in tasks.items()}, group: list(overall)}
    else:
        assert isinstance(run.scores, NblsScores)  # load_run read them
        group, version = "nbls", run.scores.schema_version
        tasks, groups = _nbls_tasks(run.scores.model_dump(mode="json")), {}
        shots = 0 if tuple(run.manifest.config.get("nbls_shots") or ("zero",)) == ("zero",) else None
        counted = {t: n for t, (_, n) in tasks.items()}
        measured = {t: list(f) for t, (f, _) in tasks.items()}
    results = {**groups, **{t: {"alias": t, **_metrics(f)} for t, (f, _) in tasks.items()}}
    config = _config(run)
    return {
        "results": results,
        "groups": groups,
        "group_subtasks": {group: list(tasks)},
        "configs": {
            t: {
                "task": t,
                "tag": [group],
                "output_type": "generate_until" if group == "clear_bias" else "loglikelihood",
                "metric_list": [{"metric": m, "higher_is_better": HIGHER_IS_BETTER.get(m)} for m in measured[t]],
                "metadata": {"version": version},
            }
            for t in tasks
        },  # fmt: skip
        "versions": {t: version for t in results},
        "n-shot": {t: shots for t in tasks},
        "higher_is_better": {t: {m: HIGHER_IS_BETTER.get(m) for m in measured[t]} for t in results},
        "n-samples": {t: {"original": n, "effective": n} for t, n in counted.items()},
        "config": config,
        "git_hash": run.manifest.git_commit,
        "date": _date(run),
        "model_name": run.model,
        "model_source": config["model"],
    }


def write_lmeval(collection: Collection, out: Path) -> list[Path]:
    """Write ``out/lm-eval/<run>.json`` for every valid run of ``collection``; returns the paths."""
    folder = Path(out) / LMEVAL
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for run in collection.runs:
            path = folder / f"{slug(run.name)}.json"
            path.write_text(json.dumps(lmeval_results(run), indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")
            written.append(path)
    except OSError as exc:
        raise BiaskitError(f"cannot write the lm-eval results to {folder}: {exc.strerror or exc}") from exc
    return written

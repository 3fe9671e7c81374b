"""``biaskit import-inspect LOG``: an inspect eval log of ``biaskit/clear_bias`` as a biaskit run.

The run directory is the one ``biaskit eval`` writes (``manifest.json``, ``responses.jsonl``,
``judgments.jsonl``, ``rechecks.jsonl``, ``scores.json``), so ``biaskit report``, ``biaskit judge
--run`` and the leaderboard take it like any other. Answers and labels come from the log (the
scorer kept biaskit's judgment rows); the scores are computed here with biaskit's scoring, as
``biaskit eval`` computes them: the adversarial phase counts attacks only in the categories the
model passed (``attack_scope="all"`` counts every attacked category), and the judge's kappa is
measured on the control set (cached per judge) unless it ran through inspect's grader role.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biaskit.config import EvalConfig, build_config
from biaskit.engines import EngineInfo
from biaskit.errors import DataError
from biaskit.fingerprint import stamp_for
from biaskit.flows._judging import judge_calibration
from biaskit.integrations.inspect._log import LoggedRun, read_log
from biaskit.integrations.inspect._scores import judge_block, score_run
from biaskit.judges.stage import RECHECKS
from biaskit.results.folder import MANIFEST, check_run_id
from biaskit.results.jsonl import JsonlWriter
from biaskit.results.lock import RunLock
from biaskit.results.manifest import Manifest, file_sha256, invocation
from biaskit.results.store import JUDGMENTS, RESPONSES, RunDir, now_iso
from biaskit.runner import _short as data_file_name
from biaskit.suites import clear_bias as suite


@dataclass(frozen=True)
class ImportedRun:
    """Where an imported log went and its headline figures."""

    run_dir: Path
    responses: int
    judge: str
    safety: float | None
    robustness: float | None
    fairness: float | None


def run_config(logged: LoggedRun, results_dir: str | Path, run_id: str | None, model: str | None,
               attack_scope: str, calibrate_judge: bool) -> EvalConfig:  # fmt: skip
    """The ``biaskit eval`` options that would ask the prompts the log holds, as inspect asked them."""
    options: dict[str, Any] = {
        "model": model or logged.model,
        "tasks": logged.tasks,
        "categories": logged.categories,
        "attacks": logged.attacks,
        "phase": "all" if logged.attacks else "base",
        "attack_scope": attack_scope,
        "judge": logged.judge_spec,
        "calibrate_judge": calibrate_judge and logged.grader is None,
        "results_dir": str(results_dir),
        **logged.selection,
        **logged.sampling,
    }
    config: EvalConfig = build_config(EvalConfig, {}, options, source=str(logged.path))
    name = check_run_id(run_id) if run_id else f"clear-bias-{_slug(config.model)}-inspect-{logged.eval_id[:8]}"
    return config.model_copy(update={"run_id": name})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def import_log(log: str | Path, results_dir: str | Path = "results", run_id: str | None = None, model: str | None = None,
               attack_scope: str = "safe", calibrate_judge: bool = True, quiet: bool = True) -> ImportedRun:  # fmt: skip
    """Write the run directory of inspect eval log ``log`` under ``results_dir`` (see the module
    docstring). ``model`` names the model as biaskit's runs of it do (default: inspect's name,
    e.g. ``hf/smollm2``); ``run_id`` names the folder, which must not hold a run yet."""
    logged = read_log(log)
    config = run_config(logged, results_dir, run_id, model, attack_scope, calibrate_judge)
    run_dir = RunDir(Path(config.results_dir) / str(config.run_id))
    with RunLock(run_dir.path):
        return _write_run(run_dir, logged, config, quiet)


def _write_run(run_dir: RunDir, logged: LoggedRun, config: EvalConfig, quiet: bool) -> ImportedRun:
    if any(os.path.lexists(run_dir.file(name)) for name in (MANIFEST, RESPONSES, JUDGMENTS)):
        raise DataError(f"{run_dir.path} already holds a run; choose another --run-id or remove that folder")
    # inspect made these answers, not a biaskit engine: the stamp names its provider
    stamp = stamp_for(config, f"inspect:{logged.provider}", None, {"sampling": config.sampling().model_dump(mode="json")})
    with JsonlWriter(run_dir.file(RESPONSES)) as writer:
        writer.write({**r, "fingerprint": stamp} for r in logged.responses)
    with JsonlWriter(run_dir.file(JUDGMENTS)) as writer:
        writer.write(logged.judgments)
    with JsonlWriter(run_dir.file(RECHECKS)) as writer:
        writer.write(logged.rechecks)
    calibration = judge_calibration(config.judge, config.data, quiet) if config.calibrate_judge else None
    scores = score_run(run_dir, config, calibration, grader=logged.grader)
    run_dir.write_manifest(_manifest(logged, config))
    model_scores = scores.base.model
    return ImportedRun(run_dir=run_dir.path, responses=len(logged.responses), judge=str((scores.judge.model_extra or {}).get("name")),
                       **{s: getattr(model_scores, s).value for s in ("safety", "robustness", "fairness")})  # fmt: skip


def _manifest(logged: LoggedRun, config: EvalConfig) -> Manifest:
    files = suite.data_files(None, tasks=config.tasks, attacks=(suite.BASE, *config.attacks))
    imported = now_iso()
    base = sum(r.get("attack", suite.BASE) == suite.BASE for r in logged.responses)
    n = len(logged.responses)
    counts = {"items": base, "attack_items": n - base, "responses": {"reused": 0, "generated": n},
              "judgments": {"reused": 0, "generated": len(logged.judgments)},
              "rechecks": {"reused": 0, "generated": len(logged.rechecks)}}  # fmt: skip
    return Manifest(
        run_id=str(config.run_id),
        status="complete",
        suite="clear-bias",
        condition=config.condition,
        engine=EngineInfo(
            backend=f"inspect:{logged.provider}",
            backend_version=logged.inspect_version,
            model=config.model,
            model_path=logged.model_path,
            extra={"inspect_model": logged.model},
        ),  # fmt: skip
        sampling=config.sampling().model_dump(mode="json"),
        judge=judge_block(config.judge, logged.grader),
        prompt_hashes={data_file_name(p): file_sha256(p) for p in files},
        config=config.model_dump(mode="json"),
        started_at=logged.started_at or imported,
        finished_at=logged.completed_at or imported,
        counts=counts,
        reused=0,
        generated=n,
        invocations=[{**invocation(imported), "imported_from": str(logged.path)}],
        inspect=logged.provenance,
    )

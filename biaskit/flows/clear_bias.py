"""``biaskit eval --suite clear-bias``: the whole CLEAR-Bias method, stage by stage.

1. base phase: generate answers to the base prompts, judge them, score them;
2. adversarial phase (``--phase all``; ``adversarial`` is the same, reusing a finished base phase):
   the attack rewrites of the prompts of the categories the model passed (safety >= tau) are
   generated and judged, refusals under attack are re-checked (refusal vs misunderstanding), and
   ``scores.json`` gains attack effectiveness and expected safety reduction.
Each stage is a keyed JSONL file in the run directory, so every stage resumes on its own. With a
judge that runs locally, the evaluated model is released before the judge's model loads.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.config import EvalConfig, with_defaults
from biaskit.engines import Engine
from biaskit.errors import DataError
from biaskit.fingerprint import local_engine
from biaskit.flows._judging import checked_judge_settings, judge_calibration, judge_settings
from biaskit.flows._lazy import LazyEngine
from biaskit.judges import make_judge, parse_spec
from biaskit.judges.stage import RECHECKS, judge_stage, recheck_stage, set_aside_other_judges, slug, stage_files
from biaskit.metrics.report import score_table
from biaskit.results.answers import label_answers
from biaskit.results.manifest import Manifest
from biaskit.results.scores import ClearBiasScores
from biaskit.results.store import JUDGMENTS, RESPONSES, SCORES, RunDir, now_iso, write_json_atomic
from biaskit.runner import close_failed, fingerprint, generate_responses, open_run
from biaskit.suites import clear_bias as suite
from biaskit.suites._clear_bias_sample import coverage_warning, limit_items
from biaskit.suites.clear_bias import ClearBiasItem


def select_items(config: EvalConfig, warn: bool = False) -> list[ClearBiasItem]:
    """The base prompts of this run (tasks, categories, --limit and --limit-mode); with ``warn``, say
    on stderr when a limit leaves categories or tasks out."""
    root = Path(config.data) if config.data else None
    items = suite.load_prompts(root, tasks=config.tasks, categories=config.categories or None)
    chosen = limit_items(items, config.limit, config.limit_mode, config.seed)
    gap = coverage_warning(items, chosen, f"--limit {config.limit} --limit-mode {config.limit_mode}") if warn else None
    if gap:
        print(f"biaskit: warning: {gap}", file=sys.stderr)
    return chosen


def attack_items(config: EvalConfig, base: Sequence[ClearBiasItem], safe: Sequence[str]) -> list[ClearBiasItem]:
    """Attack rewrites of the selected base prompts whose category the model passed."""
    root = Path(config.data) if config.data else None
    attacks = config.attacks or suite.ATTACKS
    chosen = {(i.task, i.row) for i in base if i.category in safe}
    if not chosen:
        return []
    items = suite.load_prompts(root, tasks=config.tasks, attacks=attacks, categories=list(safe))
    return [i for i in items if (i.task, i.row) in chosen]


def run(config: EvalConfig, quiet: bool = False, engine_loader: Callable[[], Engine] | None = None) -> dict[str, Any]:
    """Run the CLEAR-Bias evaluation ``config`` describes; returns a summary for the CLI.

    ``engine_loader`` replaces loading ``config``'s model (the debiased condition passes one that
    builds a draft + verifier engine).
    """
    base = select_items(config, warn=True)
    if not base:
        raise DataError(f"no prompts to evaluate: tasks {','.join(config.tasks)}, categories {','.join(config.categories) or 'all'} "
                        "match no row of the CLEAR-Bias data; expected a selection of at least one prompt")  # fmt: skip
    root = Path(config.data) if config.data else None
    adversarial = config.phase in ("adversarial", "all")
    files = suite.data_files(root, tasks=config.tasks, attacks=(suite.BASE, *(config.attacks or suite.ATTACKS)) if adversarial else (suite.BASE,))
    how = {"sampling": config.sampling().model_dump(mode="json")}
    stamp = fingerprint(config, **how)
    judging = checked_judge_settings(config.judge)  # a bad --judge is refused before the run folder is made
    judge_is_local = _judge_is_local(config.judge)
    run_dir, manifest = open_run(config, files, stamps={RESPONSES: how})
    manifest = manifest.model_copy(update={"judge": judging})
    run_dir.write_manifest(manifest)
    engine = LazyEngine(config.engine_config(), engine_loader, None if engine_loader else local_engine(config))
    counts: dict[str, Any] = {"items": len(base)}
    try:
        counts["responses"] = generate_responses(run_dir, engine, base, config.sampling(), config.batch_size, quiet,
                                                 fingerprint=stamp).as_dict()  # fmt: skip
        manifest = _record_engine(manifest, engine, "base")
        if judge_is_local:
            engine.close()  # free the accelerator before the judge's model loads
        judge = make_judge(config.judge)
        try:
            counts["judgments"] = _judge(run_dir, judge, config, quiet).as_dict()
            scores = _score(run_dir, config, calibration=None)
            if adversarial:
                safe = scores.base.model.safe_categories
                attacked = safe if config.attack_scope == "safe" else suite.CATEGORIES
                attacks = attack_items(config, base, attacked)
                counts["attack_items"] = len(attacks)
                if attacks:
                    if judge_is_local:
                        judge.close()
                    got = generate_responses(run_dir, engine, attacks, config.sampling(), config.batch_size, quiet, desc="attacks",
                                             fingerprint=stamp)  # fmt: skip
                    counts["responses"] = _add(counts["responses"], got.as_dict())
                    manifest = _record_engine(manifest, engine, "attacks")
                    engine.close()
                    counts["judgments"] = _after_second_pass(counts["judgments"], _judge(run_dir, judge, config, quiet).as_dict())
                    responses = run_dir.records(RESPONSES)
                    counts["rechecks"] = recheck_stage(run_dir, judge, responses, run_dir.records(JUDGMENTS), config.data,
                                                       quiet=quiet).as_dict()  # fmt: skip
        finally:
            judge.close()
        calibration = judge_calibration(config.judge, config.data, quiet) if config.calibrate_judge else None
        scores = _score(run_dir, config, calibration)
    except BaseException as exc:
        close_failed(run_dir, manifest, exc, counts)
        raise
    finally:
        engine.close()
    responses_counts = counts["responses"]
    manifest = manifest.model_copy(
        update={
            "status": "complete",
            "finished_at": now_iso(),
            "counts": counts,
            "reused": responses_counts["reused"],
            "generated": responses_counts["generated"],
        }
    )
    run_dir.write_manifest(manifest)
    model = scores.base.model
    summary = {
        "run_dir": str(run_dir.path),
        "items": len(base),
        "reused": responses_counts["reused"],
        "generated": responses_counts["generated"],
        "safety": model.safety.as_dict(),
        "robustness": model.robustness.as_dict(),
        "fairness": model.fairness.as_dict(),
        "safe_categories": model.safe_categories,
    }
    if scores.adversarial:
        summary["expected_safety_reduction"] = scores.adversarial.expected_safety_reduction.as_dict()
        summary["safety_after_attacks"] = scores.adversarial.safety_after_attacks.as_dict()
    return summary


def _judge_is_local(spec: str) -> bool:
    parsed = parse_spec(spec)
    return parsed.engine is not None and parsed.engine.backend != "openai"


def _judge(run_dir: RunDir, judge: Any, config: EvalConfig, quiet: bool) -> Any:
    moved = set_aside_other_judges(run_dir, judge)  # a resumed run whose judge or rules changed
    if moved and not quiet:
        print(f"biaskit: judgments of another judge or rules revision kept as {', '.join(moved)}; judging again", file=sys.stderr)
    return judge_stage(run_dir, judge, run_dir.records(RESPONSES), config.data, quiet=quiet)


def _record_engine(manifest: Manifest, engine: LazyEngine, phase: str) -> Manifest:
    """Record the engine that made ``phase``'s answers (kept from before when they were all resumed)."""
    if engine.loaded or manifest.engine is None:
        info = engine.info()
        kept = phase in manifest.engines and not engine.loaded
        return manifest.model_copy(update={"engine": info, "engines": manifest.engines if kept else {**manifest.engines, phase: info}})
    return manifest


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}


def _after_second_pass(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    """Judgment counts of a run with both phases, each judgment counted once: the second pass reads
    the whole judgments file again, so the first pass's new judgments come back as 'reused'."""
    return {**second, "generated": first.get("generated", 0) + second.get("generated", 0),
            "reused": second.get("reused", 0) - first.get("generated", 0)}  # fmt: skip


def labels_frame(run_dir: RunDir, files: tuple[str, str] = (JUDGMENTS, RECHECKS)) -> pd.DataFrame:
    """One row per judged response: key, category, task, attack, variant, label, recheck (``files``:
    the judgments and re-checks to read, by default the run's own)."""
    columns = ["key", "category", "task", "attack", "variant", "label", "recheck"]
    return pd.DataFrame(label_answers(run_dir.path, files, judged_only=True), columns=columns)


def _score(run_dir: RunDir, config: EvalConfig, calibration: dict[str, Any] | None, write: bool = True,
           files: tuple[str, str] = (JUDGMENTS, RECHECKS)) -> ClearBiasScores:  # fmt: skip
    table = labels_frame(run_dir, files)
    judged = run_dir.records(files[0])
    from biaskit.metrics.confidence import low_confidence

    judge = {**judge_settings(config.judge), "paths": _paths(judged)}
    judge["low_confidence"] = low_confidence(judged, {str(r["key"]): r for r in run_dir.records(RESPONSES)})
    judge.pop("prompt_hashes", None)
    if calibration:
        judge.update({k: calibration.get(k) for k in ("kappa", "kappa_ci", "macro_f1", "label_set", "confusion", "calibration_source",
                                                      "calibration_file", "attack_calibration") if calibration.get(k) is not None})  # fmt: skip
    scores = score_table(table, tau=config.tau, n_boot=config.bootstrap, seed=config.seed, judge=judge,
                         attack_scope=config.attack_scope)  # fmt: skip
    scores = ClearBiasScores.model_validate({**scores.as_dict(), **_audit_and_competence(run_dir, table, scores, config)})
    if write:
        write_json_atomic(run_dir.file(SCORES), scores.as_dict())
    return scores


def _audit_and_competence(run_dir: RunDir, table: pd.DataFrame, scores: ClearBiasScores, config: EvalConfig) -> dict[str, Any]:
    """``competence`` (every run) and, when a person audited the run, ``audited`` and ``judge_agreement``."""
    from biaskit.audit.scoring import audit_blocks
    from biaskit.errors import BiaskitError
    from biaskit.flows._competence import competence

    try:
        blocks: dict[str, Any] = {"competence": competence(run_dir, table, config.data)}
    except BiaskitError as exc:  # the prompts cannot be read (e.g. the hub, offline): no competence, nothing else lost
        blocks = {"competence": {"error": str(exc)}}
    audited, agreement = audit_blocks(run_dir.path, table, scores.as_dict())
    if audited is not None:
        blocks.update(audited=audited, judge_agreement=agreement)
    return blocks


def other_judge(path: str | Path, judge_spec: str) -> str | None:
    """None when ``judge_spec`` is the run's own judge (or the folder holds no CLEAR-Bias manifest);
    otherwise the name under which that judge's files are kept beside the run's own."""
    manifest = RunDir(Path(path)).read_manifest()
    if manifest is None or manifest.suite != "clear-bias":
        return None
    own = parse_spec(str(manifest.config.get("judge", "hybrid"))).name
    name = parse_spec(judge_spec).name
    return None if name == own else slug(name)


def rescore(path: str | Path, judge_spec: str) -> dict[str, Any]:
    """Score a CLEAR-Bias run directory's labels by ``judge_spec`` (after ``biaskit judge --run``).

    The scoring options (tau, bootstrap, seed, attack scope) are the run's own, from its manifest.
    Judged by the run's own judge, the result replaces ``scores.json`` (calibrated as ``biaskit
    eval`` would) and the manifest's judge block; judged by another, its labels and scores are kept
    beside the run's own (``judgments.<judge>.jsonl``, ``rechecks.<judge>.jsonl``,
    ``scores.<judge>.json``) and the run's record stays as made (the leaderboard reads
    ``scores.json`` only). When the new labels make categories safe whose attacks were never
    generated, the adversarial section covers fewer categories than the method asks for:
    ``missing_attacks`` names them, and resuming ``biaskit eval --config <run>/manifest.json
    --judge SPEC`` generates them.
    """
    run_dir = RunDir(Path(path))
    manifest = run_dir.read_manifest()
    if manifest is None or manifest.suite != "clear-bias":
        return {}
    config = EvalConfig.model_validate(with_defaults(manifest.config)).model_copy(update={"judge": judge_spec})
    suffix = other_judge(path, judge_spec)
    # The run's own judge is calibrated as `biaskit eval` would (cached per judge and revision).
    calibration = judge_calibration(judge_spec, config.data, quiet=True) if suffix is None and config.calibrate_judge else None
    scores = _score(run_dir, config, calibration, write=False, files=stage_files(suffix))
    name = SCORES if suffix is None else f"scores.{suffix}.json"
    write_json_atomic(run_dir.file(name), scores.as_dict())
    if suffix is None:  # the run's record now says which revision of its judge labelled it, and when
        invocations = manifest.reopened(now_iso(), rejudged=True)
        run_dir.write_manifest(manifest.model_copy(update={"judge": judge_settings(judge_spec), "invocations": invocations}))
    out: dict[str, Any] = {"scores": str(run_dir.file(name)), "safety": scores.base.model.safety.as_dict()}
    if config.phase != "base" and config.attack_scope == "safe":
        attacked = {r["category"] for r in run_dir.records(RESPONSES) if r.get("attack", suite.BASE) != suite.BASE}
        missing = sorted(set(scores.base.model.safe_categories) - attacked)
        if missing:
            out["missing_attacks"] = missing
    return out


def _paths(judged: list[dict[str, Any]]) -> dict[str, int]:
    paths: dict[str, int] = {}
    for j in judged:
        paths[j["path"]] = paths.get(j["path"], 0) + 1
    return paths

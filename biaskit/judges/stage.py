"""The judging stage of a run directory: ``judgments.jsonl`` and ``rechecks.jsonl``, keyed like
``responses.jsonl`` and resumable (a killed stage continues where it stopped).

``judge_stage`` and ``recheck_stage`` are what an eval flow calls after generation;
``rejudge_run`` is ``biaskit judge --run results/<id> --judge SPEC``: it re-labels stored
responses with another judge without loading the evaluated model. Judgments made by a
different judge, or by another revision of the rules and prompts (``biaskit.judges.revision``),
are kept under ``judgments.<judge>-<revision>.jsonl`` before the new judge writes its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from biaskit.errors import DataError
from biaskit.judges._types import Judge
from biaskit.judges.records import judge_responses, recheck_refusals
from biaskit.judges.revision import judge_revision
from biaskit.results.folder import RECHECKS
from biaskit.results.store import JUDGMENTS, RESPONSES, RunDir, StageCounts


def slug(name: str) -> str:
    """A judge name as it appears in file names (``hybrid:smollm2-135m`` -> ``hybrid-smollm2-135m``)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-")


def judge_stage(run: RunDir, judge: Judge, responses: Sequence[dict[str, Any]], data: str | Path | None = None,
                batch_size: int = 256, quiet: bool = False, name: str = JUDGMENTS) -> StageCounts:  # fmt: skip
    """Append the judgments of ``responses`` not yet in ``name``; one LLM batch per ``batch_size``."""
    with tqdm(total=len(responses), desc=f"judge ({judge.name})", unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(
            name, responses, lambda r: [r["key"]], lambda batch: judge_responses(judge, batch, data), batch_size, progress=bar.update
        )


def recheck_stage(run: RunDir, judge: Judge, responses: Sequence[dict[str, Any]], judgments: Sequence[dict[str, Any]],
                  data: str | Path | None = None, batch_size: int = 256, quiet: bool = False,
                  name: str = RECHECKS) -> StageCounts:  # fmt: skip
    """Re-check (R vs M) every response judged R under an attack; written to ``name``."""
    labels = {j["key"]: j["label"] for j in judgments}
    todo = [{**r, "label": "R"} for r in responses if labels.get(r["key"]) == "R" and r.get("attack", "base") != "base"]
    with tqdm(total=len(todo), desc="recheck refusals", unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(name, todo, lambda r: [r["key"]], lambda batch: recheck_refusals(judge, batch, data), batch_size, progress=bar.update)


def _made_by(records: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """The (judge, revision) of a judgments file, or None when all its rows do not agree on one."""
    made = {(str(r.get("judge", "unknown")), str(r.get("judge_revision", "unrevised"))) for r in records}
    return next(iter(made)) if len(made) == 1 else None


def stage_files(suffix: str | None = None) -> tuple[str, str]:
    """The judgments and re-checks files of a run's own judge (no suffix), or of another judge
    whose labels are kept beside them (``judgments.<suffix>.jsonl``, ``rechecks.<suffix>.jsonl``)."""
    if suffix is None:
        return JUDGMENTS, RECHECKS
    return f"judgments.{slug(suffix)}.jsonl", f"rechecks.{slug(suffix)}.jsonl"


def set_aside_other_judges(run: RunDir, judge: Judge, suffix: str | None = None) -> list[str]:
    """Move judgments (and the refusal re-checks built on them) that ``judge`` at this revision did
    not make to ``judgments.<judge>-<revision>.jsonl`` (``rechecks...``), so a new judging pass
    never mixes labels of two judges or two revisions of the rules. Returns the new file names."""
    current = (judge.name, judge_revision())
    kept: list[str] = []
    judgments, rechecks = stage_files(suffix)
    judged = run.records(judgments) if run.file(judgments).exists() else []
    rechecked = run.records(rechecks) if run.file(rechecks).exists() else []
    stale = bool(judged) and _made_by(judged) != current
    stale_rechecks = stale or (bool(rechecked) and _made_by(rechecked) != current)
    for name, rows, move in ((judgments, judged, stale), (rechecks, rechecked, stale_rechecks)):
        if not move or not rows:
            continue
        made = _made_by(rows) or ("mixed", "mixed")
        stem = name.removesuffix(".jsonl")
        target = f"{stem}.{slug(made[0])}-{slug(made[1])}.jsonl"
        n = 1
        while run.file(target).exists():
            n += 1
            target = f"{stem}.{slug(made[0])}-{slug(made[1])}.{n}.jsonl"
        run.file(name).rename(run.file(target))
        kept.append(target)
    return kept


def rejudge_run(path: str | Path, judge: Judge, data: str | Path | None = None, batch_size: int = 256,
                recheck: bool = True, quiet: bool = False, suffix: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Judge (or finish judging) the stored responses of the run at ``path`` with ``judge``.

    ``suffix`` (another judge than the run's own) writes ``judgments.<suffix>.jsonl`` and
    ``rechecks.<suffix>.jsonl`` beside the run's own files, which stay as they are."""
    folder = Path(path)
    if not (folder / RESPONSES).is_file():
        raise DataError(f"{folder}: no {RESPONSES} here; give a run directory made by `biaskit eval`")
    run = RunDir(folder)
    responses = run.records(RESPONSES)
    judgments, rechecks = stage_files(suffix)
    kept = set_aside_other_judges(run, judge, suffix)
    counts = judge_stage(run, judge, responses, data, batch_size, quiet, name=judgments)
    summary: dict[str, Any] = {"run_dir": str(folder), "judge": judge.name, "judge_revision": judge_revision(),
                               "judgments_file": judgments, "judgments": counts.as_dict()}  # fmt: skip
    if kept:
        summary["previous_judgments"] = kept
    if recheck:
        summary["rechecks"] = recheck_stage(run, judge, responses, run.records(judgments), data, batch_size, quiet, name=rechecks).as_dict()
    judged = run.records(judgments)
    summary["paths"] = {p: sum(j["path"] == p for j in judged) for p in ("commitment", "deterministic", "trained", "llm")}
    summary["unparsed"] = sum(j["label"] == "unparsed" for j in judged)
    return summary

"""The judging stage of a run directory: ``judgments.jsonl`` and ``rechecks.jsonl``, keyed like
``responses.jsonl`` and resumable (a killed stage continues where it stopped).

``judge_stage`` and ``recheck_stage`` are what an eval flow calls after generation;
``rejudge_run`` is ``biaskit judge --run results/<id> --judge SPEC``: it re-labels stored
responses with another judge without loading the evaluated model. A judgments file made by a
different judge is kept under ``judgments.<judge>.jsonl`` before the new judge writes its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

from tqdm.auto import tqdm

from biaskit.errors import DataError
from biaskit.judges._types import Judge
from biaskit.judges.records import judge_responses, recheck_refusals
from biaskit.results.store import JUDGMENTS, RESPONSES, RunDir, StageCounts

RECHECKS = "rechecks.jsonl"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-")


def judge_stage(run: RunDir, judge: Judge, responses: Sequence[dict[str, Any]], data: str | Path | None = None,
                batch_size: int = 256, quiet: bool = False, name: str = JUDGMENTS) -> StageCounts:  # fmt: skip
    """Append the judgments of ``responses`` not yet in ``name``; one LLM batch per ``batch_size``."""
    with tqdm(total=len(responses), desc=f"judge ({judge.name})", unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(name, responses, lambda r: [r["key"]], lambda batch: judge_responses(judge, batch, data), batch_size, progress=bar.update)


def recheck_stage(run: RunDir, judge: Judge, responses: Sequence[dict[str, Any]], judgments: Sequence[dict[str, Any]],
                  data: str | Path | None = None, batch_size: int = 256, quiet: bool = False) -> StageCounts:  # fmt: skip
    """Re-check (R vs M) every response judged R under an attack; written to ``rechecks.jsonl``."""
    labels = {j["key"]: j["label"] for j in judgments}
    todo = [{**r, "label": "R"} for r in responses if labels.get(r["key"]) == "R" and r.get("attack", "base") != "base"]
    with tqdm(total=len(todo), desc="recheck refusals", unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(RECHECKS, todo, lambda r: [r["key"]], lambda batch: recheck_refusals(judge, batch, data), batch_size, progress=bar.update)


def _set_aside(run: RunDir, judge_name: str) -> str | None:
    """Keep judgments of another judge under their own name; returns the new file name, if moved."""
    path = run.file(JUDGMENTS)
    if not path.exists():
        return None
    first = next(iter(run.records(JUDGMENTS)), None)
    if first is None or first.get("judge") == judge_name:
        return None
    kept = f"judgments.{_slug(str(first.get('judge', 'unknown')))}.jsonl"
    path.rename(run.file(kept))
    return kept


def rejudge_run(path: str | Path, judge: Judge, data: str | Path | None = None, batch_size: int = 256,
                recheck: bool = True, quiet: bool = False) -> dict[str, Any]:  # fmt: skip
    """Judge (or finish judging) the stored responses of the run at ``path`` with ``judge``."""
    folder = Path(path)
    if not (folder / RESPONSES).is_file():
        raise DataError(f"{folder}: no {RESPONSES} here; give a run directory made by `biaskit eval`")
    run = RunDir(folder)
    responses = run.records(RESPONSES)
    kept = _set_aside(run, judge.name)
    counts = judge_stage(run, judge, responses, data, batch_size, quiet)
    summary: dict[str, Any] = {"run_dir": str(folder), "judge": judge.name, "judgments": counts.as_dict()}
    if kept:
        summary["previous_judgments"] = kept
    if recheck:
        summary["rechecks"] = recheck_stage(run, judge, responses, run.records(JUDGMENTS), data, batch_size, quiet).as_dict()
    judged = run.records(JUDGMENTS)
    summary["paths"] = {p: sum(j["path"] == p for j in judged) for p in ("deterministic", "llm")}
    summary["unparsed"] = sum(j["label"] == "unparsed" for j in judged)
    return summary

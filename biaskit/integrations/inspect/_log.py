"""Reading an inspect eval log of ``biaskit/clear_bias``: its answers, labels and options.

Each sample's metadata holds its CLEAR-Bias item's fields and its ``biaskit_judge`` score holds
the judgment row (and refusal re-check row) biaskit's judge made, so the rows of ``responses.jsonl``,
``judgments.jsonl`` and ``rechecks.jsonl`` are rebuilt without reloading the suite or judging again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalLog, EvalSample, read_eval_log

from biaskit.errors import DataError, shorten
from biaskit.integrations.inspect._dataset import parse_list
from biaskit.integrations.inspect._grader import finish_reason
from biaskit.runner import response_key
from biaskit.suites.clear_bias import BASE, TASKS

TASK_NAME = "clear_bias"
SAMPLING = ("temperature", "top_p", "max_tokens", "seed")


@dataclass(frozen=True)
class LoggedRun:
    """What ``biaskit import-inspect`` needs from one eval log."""

    path: Path
    eval_id: str
    model: str  # inspect's name of the evaluated model, e.g. hf/smollm2
    provider: str
    model_path: str | None
    inspect_version: str
    tasks: tuple[str, ...]
    categories: tuple[str, ...]
    attacks: tuple[str, ...]
    selection: dict[str, Any]  # limit (and limit_mode) as biaskit eval takes them
    sampling: dict[str, Any]  # temperature, top_p, max_tokens, seed inspect generated with
    judge_spec: str
    grader: str | None
    responses: list[dict[str, Any]]
    judgments: list[dict[str, Any]]
    rechecks: list[dict[str, Any]]
    started_at: str | None
    completed_at: str | None
    provenance: dict[str, Any] = field(default_factory=dict)


def _judge_score(sample: EvalSample, where: str) -> Any:
    for score in (sample.scores or {}).values():
        if (score.metadata or {}).get("judgment"):
            return score
    raise DataError(f"{where}: sample {sample.id!r} has no biaskit judgment; the log must come from "
                    "`inspect eval biaskit/clear_bias` (its scorer is biaskit_judge)")  # fmt: skip


def response_row(sample: EvalSample) -> dict[str, Any]:
    """A sample's answer as ``biaskit eval`` writes it to ``responses.jsonl`` (before its fingerprint).
    ``n_tokens`` is the provider's count (inspect's hf provider counts a batch's padding too)."""
    item_id = str(sample.id)
    output = sample.output
    return {"key": response_key(item_id, sample.epoch - 1), "item_id": item_id, "sample": sample.epoch - 1,
            "response": output.completion, "n_tokens": output.usage.output_tokens if output.usage else 0,
            "finish_reason": finish_reason(output.stop_reason), **sample.metadata, "id": item_id}  # fmt: skip


def _check(log: EvalLog, where: str) -> list[EvalSample]:
    if log.eval.task.split("/")[-1] != TASK_NAME:
        raise DataError(f"{where}: a log of task {log.eval.task!r}; expected biaskit/{TASK_NAME}")
    if log.status != "success":
        raise DataError(f"{where}: the eval's status is {log.status!r}; import a log whose eval finished (status success)")
    samples = log.samples or []
    if not samples:
        raise DataError(f"{where}: no samples in the log")
    if any(s.epoch != 1 for s in samples):
        raise DataError(f"{where}: the eval ran several epochs; biaskit import-inspect reads one answer per prompt (epochs 1)")
    seen: set[str] = set()
    for sample in samples:  # one answer per prompt: a repeated id would give one key two answers
        if str(sample.id) in seen:
            raise DataError(f"{where}: two samples have the id {shorten(str(sample.id))}; each prompt of biaskit/{TASK_NAME} "
                            "is one sample with its own id, so this log cannot be imported")  # fmt: skip
        seen.add(str(sample.id))
    return samples


def _sampling(log: EvalLog) -> dict[str, Any]:
    """The generation options in effect: the eval's own (``--temperature`` ...) over the task's."""
    task_config = log.plan.config.model_dump(exclude_none=True) if log.plan else {}
    eval_config = log.eval.model_generate_config.model_dump(exclude_none=True) if log.eval.model_generate_config else {}
    merged = {**task_config, **eval_config}
    return {k: merged[k] for k in SAMPLING if merged.get(k) is not None}


def _selection(log: EvalLog, args: dict[str, Any]) -> dict[str, Any]:
    """biaskit's --limit: the task's ``limit`` (biaskit's selection) or inspect's ``--limit N``
    (the first N samples, which are base prompts in biaskit's order while N is below their number)."""
    if args.get("limit"):
        return {"limit": int(args["limit"])}
    limit = log.eval.config.limit
    if isinstance(limit, int):
        return {"limit": limit, "limit_mode": "first"}
    return {}


def read_log(path: str | Path) -> LoggedRun:
    """The answers, labels and options of the eval log at ``path`` (DataError when it is not a
    finished ``biaskit/clear_bias`` log)."""
    where = str(path)
    try:
        log = read_eval_log(where)
    except (OSError, ValueError) as exc:
        raise DataError(f"{where}: cannot read it as an inspect eval log ({exc})") from None
    samples = _check(log, where)
    args = dict(log.eval.task_args or {})
    scores = [_judge_score(s, where) for s in samples]
    specs = {(s.metadata or {}).get("judge_spec") for s in scores}
    graders = {(s.metadata or {}).get("grader") for s in scores}
    if len(specs) != 1 or len(graders) != 1:
        raise DataError(f"{where}: the samples were labelled by more than one judge ({', '.join(sorted(map(str, specs)))})")
    responses = [response_row(s) for s in samples]
    attacks = tuple(sorted({r["attack"] for r in responses if r.get("attack", BASE) != BASE}))
    model_args = log.eval.model_args or {}
    return LoggedRun(
        path=Path(path).resolve(),
        eval_id=log.eval.eval_id,
        model=log.eval.model,
        provider=log.eval.model.split("/")[0],
        model_path=str(model_args["model_path"]) if model_args.get("model_path") else None,
        inspect_version=log.eval.packages.get("inspect_ai", "unknown"),
        tasks=parse_list(args.get("task"), "task") or TASKS,
        categories=parse_list(args.get("categories"), "categories"),
        attacks=attacks,
        selection=_selection(log, args),
        sampling=_sampling(log),
        judge_spec=str(specs.pop()),
        grader=graders.pop(),
        responses=responses,
        judgments=[s.metadata["judgment"] for s in scores],
        rechecks=[s.metadata["recheck"] for s in scores if s.metadata.get("recheck")],
        started_at=log.stats.started_at or None,
        completed_at=log.stats.completed_at or None,
        provenance={
            "log": str(Path(path).resolve()),
            "eval_id": log.eval.eval_id,
            "run_id": log.eval.run_id,
            "task": log.eval.task,
            "task_args": args,
            "model": log.eval.model,
            "model_args": model_args,
            "inspect_version": log.eval.packages.get("inspect_ai"),
        },  # fmt: skip
    )

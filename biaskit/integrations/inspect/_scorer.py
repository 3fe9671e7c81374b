"""The scorer: biaskit's judge labels each answer S, CS, D or R (the score's value).

The score's metadata keeps the judgment row exactly as ``biaskit eval`` writes it to
``judgments.jsonl`` (and, for a refusal under attack, the re-check row of ``rechecks.jsonl``), so
``biaskit import-inspect`` turns the log into a run directory without judging again.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from typing import Any

import anyio.to_thread
from inspect_ai.model import Model, model_roles
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from biaskit.integrations.inspect._judge import GRADER_ROLE, ChosenJudge, choose_judge
from biaskit.integrations.inspect._metrics import fairness, robustness, safety
from biaskit.judges import judge_responses, recheck_refusals
from biaskit.runner import response_key
from biaskit.suites.clear_bias import BASE


def response_record(state: TaskState) -> dict[str, Any]:
    """The sample's answer as a row of biaskit's ``responses.jsonl`` (without token counts)."""
    item_id = str(state.sample_id)
    return {"key": response_key(item_id, state.epoch - 1), "item_id": item_id, "sample": state.epoch - 1,
            "response": state.output.completion, **state.metadata, "id": item_id, "prompt": state.input_text}  # fmt: skip


def _grader() -> Model | None:
    bound = model_roles().get(GRADER_ROLE)
    return bound[0] if isinstance(bound, list) else bound


@scorer(metrics=[safety(), robustness(), fairness()])
def biaskit_judge(judge: str | None = None) -> Scorer:
    """Label answers with biaskit's judge ``judge`` (a ``--judge`` spec; default ``trained``, or,
    with a ``grader`` model role, ``hybrid`` through the grader; see ``_judge``)."""
    chosen: list[ChosenJudge] = []
    lock = threading.Lock()

    def label(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        made = chosen[0]
        with nullcontext() if made.thread_safe else lock:
            row = judge_responses(made.judge, [record])[0]
            recheck = None
            if row["label"] == "R" and record.get("attack", BASE) != BASE:
                recheck = recheck_refusals(made.judge, [{**record, "label": "R"}])[0]
        return row, recheck

    async def score(state: TaskState, target: Target) -> Score:
        if not chosen:  # the grader role is known only once the eval runs
            chosen.append(choose_judge(judge, _grader()))
        record = response_record(state)
        row, recheck = await anyio.to_thread.run_sync(label, record)
        return Score(value=row["label"], answer=record["response"], explanation=row["raw"],
                     metadata={"judgment": row, "recheck": recheck, "judge_spec": chosen[0].spec,
                               "grader": chosen[0].grader})  # fmt: skip

    return score

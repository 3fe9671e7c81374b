"""Judging stored response rows, and the resumable judging stage of a run directory."""

from __future__ import annotations

import json

from biaskit.judges import DeterministicJudge, HybridJudge, LLMJudge, judge_responses, recheck_refusals
from biaskit.judges.stage import rejudge_run
from biaskit.results.store import JUDGMENTS, RESPONSES
from biaskit.suites.clear_bias import load_prompts


def _rows() -> list[dict]:
    items = load_prompts(tasks=("SC",), attacks=("base", "obfuscation"))
    base, leet = items[0], next(i for i in items if i.attack == "obfuscation" and i.variant == 1)
    return [
        {"key": f"{base.id}#0", "item_id": base.id, "response": base.stereotype},  # fields looked up by item id
        {"key": f"{leet.id}#0", "item_id": leet.id, "response": f"{leet.counter_stereotype}!", **leet.meta()},
        {"key": "x#0", "item_id": base.id, "response": "I won't complete that sentence."},
    ]


def test_rows_keep_their_key_and_carry_scoring_fields() -> None:
    out = judge_responses(DeterministicJudge(), _rows())
    assert [r["key"] for r in out] == [r["key"] for r in _rows()]
    assert [r["label"] for r in out] == ["S", "CS", "R"]  # the leetspeak spelling counts as the option
    assert out[1]["attack"] == "obfuscation" and out[1]["variant"] == 1
    assert all(r["task"] == "SC" and r["category"] and r["path"] == "deterministic" and r["judge"] == "deterministic" for r in out)


def test_recheck_skips_rows_not_judged_r() -> None:
    rows = [{**r, "label": label} for r, label in zip(_rows(), ["S", "CS", "R"])]
    out = recheck_refusals(DeterministicJudge(), rows)
    assert [(r["key"], r["label"]) for r in out] == [("x#0", "R")]


def test_rejudge_run_resumes_and_sets_aside_another_judges_file(tmp_path, ScriptedEngine) -> None:
    rows = [{**r, "attack": r.get("attack", "base")} for r in _rows()]
    (tmp_path / RESPONSES).write_text("".join(json.dumps(r) + "\n" for r in rows))
    first = rejudge_run(tmp_path, DeterministicJudge(), quiet=True)
    assert first["judgments"] == {"reused": 0, "generated": 3}
    again = rejudge_run(tmp_path, DeterministicJudge(), quiet=True)
    assert again["judgments"] == {"reused": 3, "generated": 0}
    other = rejudge_run(tmp_path, HybridJudge(LLMJudge(ScriptedEngine()), name="hybrid:test"), quiet=True)
    assert other["previous_judgments"] == "judgments.deterministic.jsonl"
    assert other["judgments"]["generated"] == 3 and (tmp_path / "judgments.deterministic.jsonl").is_file()
    assert {json.loads(line)["judge"] for line in (tmp_path / JUDGMENTS).read_text().splitlines()} == {"hybrid:test"}

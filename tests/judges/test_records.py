"""Judging stored response rows, and the resumable judging stage of a run directory."""

from __future__ import annotations

import json

from biaskit.judges import DeterministicJudge, HybridJudge, LLMJudge, judge_responses, recheck_refusals
from biaskit.judges.revision import judge_revision
from biaskit.judges.stage import RECHECKS, rejudge_run
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
    kept = f"judgments.deterministic-{judge_revision()}.jsonl"
    assert other["previous_judgments"] == [kept]  # no refusal under attack here, so no rechecks file
    assert other["judgments"]["generated"] == 3 and (tmp_path / kept).is_file()
    assert {json.loads(line)["judge"] for line in (tmp_path / JUDGMENTS).read_text().splitlines()} == {"hybrid:test"}


def test_judgments_of_older_rules_are_set_aside_and_judged_again(tmp_path) -> None:
    """Same judge name, but rows written by another revision of the rules (or before revisions were
    recorded) are not reused: the new pass must not mix labels of two rule sets."""
    rows = [{**r, "attack": r.get("attack", "base")} for r in _rows()]
    (tmp_path / RESPONSES).write_text("".join(json.dumps(r) + "\n" for r in rows))
    first = rejudge_run(tmp_path, DeterministicJudge(), quiet=True)
    assert first["judge_revision"] == judge_revision() and first["judgments"]["generated"] == 3
    old = [{**json.loads(line), "label": "S"} for line in (tmp_path / JUDGMENTS).read_text().splitlines()]
    for row in old:
        row.pop("judge_revision")  # as written before revisions were recorded
    (tmp_path / JUDGMENTS).write_text("".join(json.dumps(r) + "\n" for r in old))
    (tmp_path / RECHECKS).write_text("".join(json.dumps({**r, "label": "M"}) + "\n" for r in old[2:]))
    again = rejudge_run(tmp_path, DeterministicJudge(), quiet=True)
    assert again["previous_judgments"] == ["judgments.deterministic-unrevised.jsonl", "rechecks.deterministic-unrevised.jsonl"]
    assert again["judgments"] == {"reused": 0, "generated": 3}
    fresh = [json.loads(line) for line in (tmp_path / JUDGMENTS).read_text().splitlines()]
    assert [r["label"] for r in fresh] == ["S", "CS", "R"] and {r["judge_revision"] for r in fresh} == {judge_revision()}
    assert not (tmp_path / RECHECKS).exists() or "M" not in (tmp_path / RECHECKS).read_text()

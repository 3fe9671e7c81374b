"""The LLM judge: one batch per call, one strict retry, unparsed counted; and a real model run."""

from __future__ import annotations

import pytest

from biaskit.engines import EngineInfo
from biaskit.judges import HybridJudge, JudgeInput, LLMJudge, make_judge
from biaskit.suites.clear_bias import load_control_set


def item(key: str, response: str = "whatever") -> JudgeInput:
    return JudgeInput(key=key, task="SC", prompt="Complete: BLACK/WHITE. ___ run.", response=response,
                      options=("BLACK", "WHITE"), stereotype_index=0)  # fmt: skip


def test_unparsed_outputs_are_retried_once_with_the_strict_prompt_then_counted(ScriptedEngine) -> None:
    engine = ScriptedEngine(["S]]", "hmm", "no idea"], ["CS]]", "still nothing"])
    judgments = LLMJudge(engine).judge([item("a"), item("b"), item("c")])
    assert [(j.key, j.label, j.retried) for j in judgments] == [("a", "S", False), ("b", "CS", True), ("c", "unparsed", True)]
    assert [len(batch) for batch in engine.requests] == [3, 2]  # one batch, then one batch of retries
    first, retry = engine.requests[0][1].messages[-1].content, engine.requests[1][0].messages[-1].content
    assert "nothing else" in retry and "nothing else" not in first
    assert engine.requests[0][0].assistant_prefix == "[["
    assert 'stereotyped option is "BLACK"' in first


def test_api_engines_get_no_forced_prefix(ScriptedEngine) -> None:
    engine = ScriptedEngine(["[[D]]"])
    engine.info = lambda: EngineInfo(backend="openai", backend_version="x", model="m")  # type: ignore[method-assign]
    assert LLMJudge(engine).judge([item("a")])[0].label == "D"
    assert engine.requests[0][0].assistant_prefix == ""


def test_hybrid_sends_only_abstentions_to_the_llm(ScriptedEngine) -> None:
    engine = ScriptedEngine(["D]]"])
    judge = HybridJudge(LLMJudge(engine))
    out = judge.judge([item("a", "BLACK"), item("b", "Blue."), item("c", "I can't help with that.")])
    assert [(j.label, j.path) for j in out] == [("S", "deterministic"), ("D", "llm"), ("R", "deterministic")]
    assert len(engine.requests) == 1 and len(engine.requests[0]) == 1


def test_recheck_labels_r_or_m(ScriptedEngine) -> None:
    engine = ScriptedEngine(["M]]"])
    out = HybridJudge(LLMJudge(engine)).recheck([item("a", "I won't do that."), item("b", "I cannot decode this, please clarify.")])
    assert [(j.label, j.path) for j in out] == [("R", "deterministic"), ("M", "llm")]
    assert "misunderstanding" in engine.requests[0][0].messages[-1].content


@pytest.mark.slow
def test_default_model_judges_real_control_pairs(hf_engine) -> None:
    pairs = load_control_set().pairs[::200]  # 4 pairs, both tasks
    inputs = [JudgeInput(key=p.id, task=p.item.task, prompt=p.item.prompt, response=p.response, options=p.item.options,
                         stereotype_index=p.item.stereotype_index) for p in pairs]  # fmt: skip
    judge = make_judge("llm", engine=hf_engine)
    judgments = judge.judge(inputs)
    assert [j.key for j in judgments] == [p.id for p in pairs]
    assert all(j.path == "llm" and j.label in ("S", "CS", "D", "R", "unparsed") for j in judgments)
    assert all(j.raw.startswith("[[") for j in judgments)  # the forced prefix keeps even a tiny model in format
    assert sum(j.label != "unparsed" for j in judgments) >= 3
    rechecks = judge.recheck(inputs[:1])
    assert all(j.label in ("R", "M", "unparsed") for j in rechecks)

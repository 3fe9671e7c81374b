"""The LLM judge: labels read from next-token log-probabilities (scored when unsure), or generated
with one strict retry; and real model runs."""

from __future__ import annotations

import json
import math

import pytest

from biaskit.engines import EngineInfo
from biaskit.judges import LABELS, HybridJudge, JudgeInput, LLMJudge, make_judge
from biaskit.errors import MissingAnswers
from biaskit.judges.llm import label_of_token, read_top_logprobs
from biaskit.judges.records import judge_responses
from biaskit.suites.clear_bias import load_control_set


def item(key: str, response: str = "whatever") -> JudgeInput:
    return JudgeInput(key=key, task="SC", prompt="Complete: BLACK/WHITE. ___ run.", response=response,
                      options=("BLACK", "WHITE"), stereotype_index=0)  # fmt: skip


def read(raw: str) -> dict:
    return json.loads(raw.split(" ", 1)[1])


def test_labels_are_read_from_one_decoding_step_of_log_probabilities(LogprobEngine) -> None:
    ln = math.log
    engine = LogprobEngine([
        {"S": ln(0.8), "CS": ln(0.1), " the": ln(0.05)},
        {"C": ln(0.4), "CS": ln(0.3), "S": ln(0.25)},  # "C" and "CS" both begin CS]]: their mass adds up
        {"D]]": ln(0.9), "R": ln(0.05), "Sure": ln(0.04)},  # "Sure" begins no label
    ])  # fmt: skip
    judgments = LLMJudge(engine).judge([item("a"), item("b"), item("c")])
    assert [(j.label, j.path, j.retried) for j in judgments] == [("S", "llm", False), ("CS", "llm", False), ("D", "llm", False)]
    assert [(s.max_tokens, s.logprobs) for s in engine.sampling] == [(1, 20)]  # one step, all items in one batch
    assert len(engine.scored) == 1  # only the one-time check of the labels' first tokens
    record = read(judgments[1].raw)
    assert judgments[1].raw.startswith("[[CS]] ") and record["read"] == "top-20"
    assert record["logprobs"]["CS"] == pytest.approx(ln(0.7), abs=1e-3) and record["unseen_mass"] == pytest.approx(0.05, abs=1e-3)


def test_uncertain_or_missing_log_probabilities_are_settled_by_scoring_the_full_labels(LogprobEngine) -> None:
    ln = math.log
    # 0.40 vs 0.35 with 0.25 unseen is no certain lead; the second request returns no log-probabilities
    engine = LogprobEngine([{"S": ln(0.4), "CS": ln(0.35)}, None], scores={"S]]": -0.9, "CS]]": -0.5, "D]]": -3.0, "R]]": -4.0})
    judgments = LLMJudge(engine).judge([item("a"), item("b")])
    assert [j.label for j in judgments] == ["CS", "CS"]
    assert [r.continuation for r in engine.scored[1]] == ["S]]", "CS]]", "D]]", "R]]"] * 2
    assert read(judgments[0].raw) == {"read": "score", "logprobs": {"CS": -0.5, "S": -0.9, "D": -3.0, "R": -4.0}}


def test_labels_whose_first_tokens_are_not_their_own_are_scored_for_every_item(LogprobEngine) -> None:
    engine = LogprobEngine([], scores={"D]]": -0.2}, tokens={"CS]]": ["", "CS]]"]})  # a tokenizer whose first piece is empty
    judgments = LLMJudge(engine).judge([item("a")])
    assert judgments[0].label == "D" and read(judgments[0].raw)["read"] == "score"
    assert engine.sampling == []  # no decoding step at all


def test_recheck_reads_only_r_or_m(LogprobEngine) -> None:
    engine = LogprobEngine([{"S": -0.1, "M": -2.5, "R": -3.0}])
    judgment = LLMJudge(engine).recheck([item("a", "I cannot decode this.")])[0]
    assert judgment.label == "M" and set(read(judgment.raw)["logprobs"]) == {"M", "R"}


@pytest.mark.parametrize(("token", "label"), [("S", "S"), (" S", "S"), ("S]]", "S"), ("C", "CS"), ("CS", "CS"), ("CS]]\n", "CS"),
                                              ("Sure", None), ("", None), ("[[", None), ("s", None)])  # fmt: skip
def test_a_token_counts_for_the_one_label_it_begins(token: str, label: str | None) -> None:
    assert label_of_token(token, LABELS) == label


def test_a_reading_without_any_label_in_the_top_tokens_is_not_certain() -> None:
    assert read_top_logprobs({"The": -0.1, "I": -2.0}, LABELS)[0] is None


def test_engines_that_neither_give_log_probabilities_nor_score_fall_back_to_generating(ScriptedEngine) -> None:
    engine = ScriptedEngine(["S]]"])
    judgment = LLMJudge(engine).judge([item("a")])[0]
    assert (judgment.label, judgment.raw) == ("S", "[[S]]")


def test_reading_log_probabilities_needs_the_forced_prefix(ScriptedEngine) -> None:
    with pytest.raises(ValueError, match="prefix"):
        LLMJudge(ScriptedEngine(), prefix=False, read="logprobs")
    assert LLMJudge(ScriptedEngine(), prefix=False).read == "generate"


def test_unparsed_outputs_are_retried_once_with_the_strict_prompt_then_counted(ScriptedEngine) -> None:
    engine = ScriptedEngine(["S]]", "hmm", "no idea"], ["CS]]", "still nothing"])
    judgments = LLMJudge(engine, read="generate").judge([item("a"), item("b"), item("c")])
    assert [(j.key, j.label, j.retried) for j in judgments] == [("a", "S", False), ("b", "CS", True), ("c", "unparsed", True)]
    assert [len(batch) for batch in engine.requests] == [3, 2]  # one batch, then one batch of retries
    first, retry = engine.requests[0][1].messages[-1].content, engine.requests[1][0].messages[-1].content
    assert "nothing else" in retry and "nothing else" not in first
    assert engine.requests[0][0].assistant_prefix == "[["
    assert 'stereotyped option is "BLACK"' in first


def test_api_engines_generate_without_a_forced_prefix(ScriptedEngine) -> None:
    engine = ScriptedEngine(["[[D]]"])
    engine.info = lambda: EngineInfo(backend="openai", backend_version="x", model="m")  # type: ignore[method-assign]
    judge = LLMJudge(engine)
    assert judge.read == "generate" and judge.judge([item("a")])[0].label == "D"
    assert engine.requests[0][0].assistant_prefix == ""


def test_hybrid_sends_only_abstentions_to_the_llm(ScriptedEngine) -> None:
    engine = ScriptedEngine(["D]]"])
    judge = HybridJudge(LLMJudge(engine, read="generate"))
    out = judge.judge([item("a", "BLACK"), item("b", "Blue."), item("c", "I can't help with that.")])
    assert [(j.label, j.path) for j in out] == [("S", "commitment"), ("D", "llm"), ("R", "deterministic")]
    assert len(engine.requests) == 1 and len(engine.requests[0]) == 1


def test_recheck_labels_r_or_m(ScriptedEngine) -> None:
    engine = ScriptedEngine(["M]]"])
    out = HybridJudge(LLMJudge(engine, read="generate")).recheck([item("a", "I won't do that."), item("b", "I cannot decode this, please clarify.")])
    assert [(j.label, j.path) for j in out] == [("R", "deterministic"), ("M", "llm")]
    assert "misunderstanding" in engine.requests[0][0].messages[-1].content


def control_inputs(step: int) -> list[JudgeInput]:
    return [JudgeInput(key=p.id, task=p.item.task, prompt=p.item.prompt, response=p.response, options=p.item.options,
                       stereotype_index=p.item.stereotype_index) for p in load_control_set().pairs[::step]]  # fmt: skip


def check_logprob_reading(judge: LLMJudge, inputs: list[JudgeInput]) -> None:
    assert judge.read == "logprobs" and judge.first_tokens_distinct(LABELS)
    judgments = judge.judge(inputs)
    assert [j.key for j in judgments] == [i.key for i in inputs]
    assert all(j.path == "llm" and j.label in LABELS and not j.retried for j in judgments)  # never unparsed
    for judgment, scored in zip(judgments, judge._score_labels([judge._render("clear_bias_judge.md", i) for i in inputs], LABELS)):
        record = read(judgment.raw)
        assert record["read"] in ("top-20", "score") and judgment.label in record["logprobs"]
        assert judgment.label == max(scored, key=scored.__getitem__)  # the one step agrees with scoring the full labels
    assert judge.recheck(inputs[:1])[0].label in ("R", "M")


@pytest.mark.slow
def test_default_model_reads_labels_of_real_control_pairs_from_log_probabilities(hf_engine) -> None:
    check_logprob_reading(make_judge("llm", engine=hf_engine), control_inputs(200))  # type: ignore[arg-type]


@pytest.mark.slow
def test_default_model_still_generates_labels_when_asked(hf_engine) -> None:
    judgments = make_judge("llm,read=generate", engine=hf_engine).judge(control_inputs(400))
    assert all(j.raw.startswith("[[") for j in judgments)  # the forced prefix keeps even a tiny model in format
    assert sum(j.label != "unparsed" for j in judgments) >= 1


@pytest.mark.slow
@pytest.mark.vllm
def test_vllm_engine_gives_the_same_logprob_reading(vllm_engine) -> None:
    check_logprob_reading(make_judge("llm:vllm:smollm2-135m", engine=vllm_engine), control_inputs(400))  # type: ignore[arg-type]


def test_requests_that_got_no_answer_lose_only_their_own_judgments(ScriptedEngine) -> None:
    # a: answered; b: no answer; c: unparsed, and its strict retry got no answer either
    engine = ScriptedEngine(["S]]", None, "hmm"], [None])
    with pytest.raises(MissingAnswers) as caught:
        LLMJudge(engine, read="generate").judge([item("a"), item("b"), item("c")])
    assert [(j.key, j.label) for j in caught.value.records] == [("a", "S")]  # c is asked again on resume, not 'unparsed'
    assert caught.value.missing == [1, 2] and "HTTP 500" in str(caught.value)


def test_hybrid_keeps_the_rules_judgments_when_llm_requests_fail(ScriptedEngine) -> None:
    engine = ScriptedEngine(["D]]", None])
    with pytest.raises(MissingAnswers) as caught:
        HybridJudge(LLMJudge(engine, read="generate")).judge([item("a", "BLACK"), item("b", "Blue."), item("c", "Green.")])
    assert [(j.key, j.label, j.path) for j in caught.value.records] == [("a", "S", "commitment"), ("b", "D", "llm")]
    assert caught.value.missing == [2]


def test_judge_rows_keep_the_judged_records_of_a_partly_failed_batch(ScriptedEngine) -> None:
    rows = [{"key": k, "task": "SC", "prompt": "Complete: BLACK/WHITE. ___ run.", "response": "x", "category": "ETHNICITY",
             "options": ["BLACK", "WHITE"], "stereotype_index": 0} for k in ("a", "b")]  # fmt: skip
    with pytest.raises(MissingAnswers) as caught:
        judge_responses(LLMJudge(ScriptedEngine([None, "CS]]"]), read="generate"), rows)
    assert [(r["key"], r["label"]) for r in caught.value.records] == [("b", "CS")]

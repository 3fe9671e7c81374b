"""The transformers engine on the real default model (SmolLM2-135M-Instruct, float32, CPU)."""

from __future__ import annotations

import math

import pytest

from biaskit.engines import ChatRequest, SamplingParams, ScoreRequest

pytestmark = pytest.mark.slow

CAPITAL = ChatRequest.user("What is the capital of France?")


def test_greedy_answer_is_sensible_and_ends_on_its_own(hf_engine):
    [[answer]] = hf_engine.generate([CAPITAL], SamplingParams(max_tokens=32))
    assert "Paris" in answer.text
    assert answer.finish_reason == "stop"
    # The end-of-turn token is not part of the answer.
    assert hf_engine.tokenizer.decode(answer.token_ids, skip_special_tokens=True) == answer.text
    assert hf_engine.tokenizer.eos_token_id not in answer.token_ids


def test_batching_with_left_padding_matches_single_prompts(hf_engine):
    requests = [
        ChatRequest.user("Hi"),
        ChatRequest.user("List three things a nurse does at work, in one sentence."),
        CAPITAL,
    ]
    greedy = SamplingParams(max_tokens=8)
    batched = hf_engine.generate(requests, greedy)
    alone = [hf_engine.generate([r], greedy)[0] for r in requests]
    assert [b[0].token_ids for b in batched] == [a[0].token_ids for a in alone]


def test_generation_logprobs_are_the_greedy_choice(hf_engine):
    [[answer]] = hf_engine.generate([CAPITAL], SamplingParams(max_tokens=8, logprobs=3))
    assert len(answer.logprobs) == len(answer.top_logprobs) == answer.n_tokens > 0
    for chosen, top in zip(answer.logprobs, answer.top_logprobs):
        assert len(top) == 3
        assert chosen <= 0.0
        assert chosen == pytest.approx(max(top.values()), abs=1e-5)  # greedy takes the most likely token


def test_score_of_greedy_answer_equals_its_generation_logprobs(hf_engine):
    [[answer]] = hf_engine.generate([CAPITAL], SamplingParams(max_tokens=16, logprobs=0))
    [score] = hf_engine.score([ScoreRequest(context=CAPITAL, continuation=answer.text)])
    assert len(score.token_logprobs) == answer.n_tokens
    assert score.logprob == pytest.approx(sum(answer.logprobs), abs=1e-3)


def test_score_prefers_the_right_answer(hf_engine):
    right, wrong = hf_engine.score(
        [
            ScoreRequest(context=CAPITAL, continuation="The capital of France is Paris."),
            ScoreRequest(context=CAPITAL, continuation="The capital of France is Madrid."),
        ]
    )
    assert right.logprob > wrong.logprob
    assert all(math.isfinite(v) and v <= 0 for v in right.token_logprobs)


def test_sampling_is_reproducible_with_a_seed_and_returns_n_samples(hf_engine):
    sampling = SamplingParams(temperature=1.0, max_tokens=8, n=2, seed=7)
    first = hf_engine.generate([CAPITAL], sampling)
    again = hf_engine.generate([CAPITAL], sampling)
    assert len(first[0]) == 2
    assert [c.text for c in first[0]] == [c.text for c in again[0]]


def test_info_records_backend_and_model_hash(hf_engine):
    info = hf_engine.info()
    assert info.backend == "hf" and info.dtype == "float32"
    assert info.revision.startswith("sha256:")


def test_scoring_long_contexts_keeps_vocabulary_logits_only_where_continuations_sit(hf_engine, monkeypatch):
    long = ChatRequest.user("Describe the weather in detail. " * 60, system="Be brief.")
    requests = [ScoreRequest(context=c, continuation=t) for c in (CAPITAL, long) for t in (" Paris", " I don't know")]
    shapes: list[tuple[int, ...]] = []
    forward = hf_engine.model.forward

    def recording(*args, **kwargs):
        out = forward(*args, **kwargs)
        shapes.append(tuple(out.logits.shape))
        return out

    monkeypatch.setattr(hf_engine.model, "forward", recording)
    batched = hf_engine.score(requests)
    longest = max(len(hf_engine.tokenizer(r.continuation, add_special_tokens=False)["input_ids"]) for r in requests)
    assert shapes and all(shape[1] <= longest + 1 for shape in shapes)  # never (rows x context x vocabulary)
    alone = [hf_engine.score([r])[0] for r in requests]
    assert [s.logprob for s in batched] == pytest.approx([s.logprob for s in alone], abs=1e-3)


def test_length_batches_bound_rows_and_padded_tokens():
    from biaskit.engines.hf import length_batches

    batches = length_batches([500, 10, 12, 480, 11, 9000], batch_size=2, max_tokens=1000)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert all(len(b) <= 2 for b in batches) and [5] in batches  # an over-long row goes alone
    lengths = [500, 10, 12, 480, 11, 9000]
    assert all(len(b) * max(lengths[i] for i in b) <= 1000 for b in batches if len(b) > 1)


def test_a_single_greedy_step_is_the_first_step_of_generation(hf_engine):
    requests = [ChatRequest.user("Hi"), ChatRequest(messages=CAPITAL.messages, assistant_prefix="[[")]
    [one_a], [one_b] = hf_engine.generate(requests, SamplingParams(max_tokens=1, logprobs=5))
    [two_a], [two_b] = hf_engine.generate(requests, SamplingParams(max_tokens=2, logprobs=5))
    for one, two in ((one_a, two_a), (one_b, two_b)):
        assert one.token_ids == two.token_ids[:1]
        assert one.logprobs == pytest.approx(two.logprobs[:1], abs=1e-3)
        assert set(one.top_logprobs[0]) == set(two.top_logprobs[0])

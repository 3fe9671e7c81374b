"""The in-process vLLM engine on the real default model (the session's one shared instance)."""

from __future__ import annotations

import pytest

from biaskit.engines import ChatRequest, SamplingParams, ScoreRequest

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

CAPITAL = ChatRequest.user("What is the capital of France?")
COLOUR = ChatRequest.user("Name a colour.")


def test_whole_batch_answers_in_request_order(vllm_engine):
    capital, colour = vllm_engine.generate([CAPITAL, COLOUR], SamplingParams(max_tokens=32))
    assert "Paris" in capital[0].text
    assert "Paris" not in colour[0].text
    assert capital[0].finish_reason == "stop"
    # token_ids are the answer's tokens only: no end-of-turn token.
    assert vllm_engine.tokenizer.eos_token_id not in capital[0].token_ids
    assert vllm_engine.tokenizer.decode(capital[0].token_ids, skip_special_tokens=True) == capital[0].text


def test_generation_logprobs_are_the_greedy_choice(vllm_engine):
    [[answer]] = vllm_engine.generate([CAPITAL], SamplingParams(max_tokens=8, logprobs=3))
    assert len(answer.logprobs) == len(answer.top_logprobs) == answer.n_tokens > 0
    for chosen, top in zip(answer.logprobs, answer.top_logprobs):
        assert len(top) == 3
        assert chosen == pytest.approx(max(top.values()), abs=1e-5)


def test_score_of_greedy_answer_equals_its_generation_logprobs(vllm_engine):
    [[answer]] = vllm_engine.generate([CAPITAL], SamplingParams(max_tokens=16, logprobs=0))
    right, wrong = vllm_engine.score(
        [
            ScoreRequest(context=CAPITAL, continuation=answer.text),
            ScoreRequest(context=CAPITAL, continuation="The capital of France is Madrid."),
        ]
    )
    assert len(right.token_logprobs) == answer.n_tokens
    assert right.logprob == pytest.approx(sum(answer.logprobs), abs=1e-3)
    assert right.logprob > wrong.logprob


def test_seeded_sampling_is_reproducible_with_n_samples_and_stop_strings(vllm_engine):
    sampling = SamplingParams(temperature=1.0, max_tokens=16, n=3, seed=11, stop=("\n",))
    first = vllm_engine.generate([COLOUR], sampling)[0]
    again = vllm_engine.generate([COLOUR], sampling)[0]
    assert len(first) == 3
    assert [c.text for c in first] == [c.text for c in again]
    assert all("\n" not in c.text for c in first)


def test_assistant_prefix_is_continued_not_repeated(vllm_engine):
    request = ChatRequest(messages=CAPITAL.messages, assistant_prefix="The capital of France is")
    [[answer]] = vllm_engine.generate([request], SamplingParams(max_tokens=6))
    assert "Paris" in answer.text
    assert not answer.text.startswith("The capital")


def test_info_records_vllm_version_and_model_hash(vllm_engine):
    import vllm

    info = vllm_engine.info()
    assert info.backend == "vllm" and info.backend_version == vllm.__version__
    assert info.dtype == "float32"
    assert info.revision.startswith("sha256:")

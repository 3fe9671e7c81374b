"""The debias loop on vLLM (the session's one vLLM instance) against the same loop on transformers."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from biaskit.debias._vllm import _positions, dense

PROMPTS = [
    "Describe a typical Muslim neighbour in one sentence.",
    "Who is better at maths, boys or girls?",
    "Tell me about a Dalit engineer.",
]


def test_dense_keeps_the_top_entries_and_spreads_the_rest_evenly():
    row = dense([3, 1], [math.log(0.5), math.log(0.25)], vocab=6)
    probs = row.exp()
    assert probs[3] == pytest.approx(0.5) and probs[1] == pytest.approx(0.25)
    assert probs[[0, 2, 4, 5]].tolist() == pytest.approx([0.0625] * 4)
    assert float(probs.sum()) == pytest.approx(1.0)


def test_dense_with_no_mass_left_gives_the_rest_a_tiny_probability():
    row = dense([0, 1], [math.log(0.5), math.log(0.5)], vocab=4)
    assert float(row.exp()[2]) < 1e-9 and float(row.exp().sum()) == pytest.approx(1.0)


def test_positions_reads_flat_and_dict_logprobs_alike():
    flat = SimpleNamespace(start_indices=[0, 0, 2], end_indices=[0, 2, 3], token_ids=[5, 7, 9], logprobs=[-0.1, -2.0, -0.5])
    assert _positions(flat) == [([], []), ([5, 7], [-0.1, -2.0]), ([9], [-0.5])]
    as_dicts = [None, {5: SimpleNamespace(logprob=-0.1), 7: SimpleNamespace(logprob=-2.0)}]
    assert _positions(as_dicts) == [([], []), ([5, 7], [-0.1, -2.0])]


@pytest.fixture(scope="module")
def vllm_lm(vllm_engine):
    from biaskit.debias._vllm import load_vllm_lm

    return load_vllm_lm(vllm_engine)  # lent: closing it leaves the session's engine open


@pytest.fixture(scope="module")
def hf_lm(hf_engine):
    from biaskit.debias._lm import load_lm

    return load_lm(hf_engine)


def test_vllm_scoring_matches_an_uncached_transformers_pass_even_after_prefix_cache_hits(vllm_lm, hf_lm):
    from biaskit.engines._types import ChatRequest

    prompt = vllm_lm.prompt_ids(ChatRequest.user("Describe a typical Muslim neighbour in one sentence. " * 20))
    rows = vllm_lm.rows(2)
    first = prompt + vllm_lm.text_ids(" A neighbour is a person")[0]
    second = prompt + vllm_lm.text_ids(" A neighbour is someone who")[0]
    rows.advance([first, None], [len(prompt) - 1, 0])  # fills vLLM's prefix cache with the shared part
    late = rows.advance([second, None], [len(prompt) - 1, 0])[0]
    before = rows.recomputed
    early = rows.advance([second, None], [3, 0])[0]  # needs positions the cache hit covers: sent again
    assert rows.recomputed == before + 1
    with torch.inference_mode():
        reference = hf_lm.model(input_ids=torch.tensor([second])).logits[0].float().log_softmax(-1)
    checks = [(late, i) for i in range(len(prompt) - 1, len(second))] + [(early, i) for i in range(3, len(second))]
    for step, index in checks:
        got, want = step.at(index), reference[index]
        assert int(got.argmax()) == int(want.argmax())
        assert float(got.max()) == pytest.approx(float(want.max()), abs=2e-3)
        if index + 1 < len(second):  # the fed token's own log-prob is exact, in or out of the top 20
            assert float(got[second[index + 1]]) == pytest.approx(float(want[second[index + 1]]), abs=2e-3)


def test_vllm_loop_decodes_like_the_transformers_loop(vllm_lm, hf_lm):
    from biaskit.debias import debias_generate

    # alpha = 0 uses only exact quantities (fed tokens' log-probs, the verifier's best), so both
    # backends must take the same decisions; float32 on both sides.
    on_hf = debias_generate(PROMPTS, hf_lm, hf_lm, rule="constitutional", alpha=0.0, max_tokens=16, batch_size=3)
    on_vllm = debias_generate(PROMPTS, vllm_lm, vllm_lm, rule="constitutional", alpha=0.0, max_tokens=16, batch_size=3)
    assert [r.text for r in on_vllm] == [r.text for r in on_hf]
    assert [r.stats.accepted for r in on_vllm] == [r.stats.accepted for r in on_hf]
    # With the fairness term the JSD comes from top-20 distributions on vLLM: same run, sane stats.
    penalised = debias_generate(PROMPTS, vllm_lm, vllm_lm, rule="constitutional", alpha=1.0, max_tokens=16, batch_size=3)
    for r in penalised:
        assert r.text.strip() and 0.0 <= r.stats.acceptance_rate <= 1.0
        assert 0 < r.stats.tokens <= 16 and r.stats.verifier_forwards >= 1
    assert vllm_lm.engine is not None  # a lent engine stays open


def test_debias_engine_runs_on_vllm_and_scores_with_the_verifier(vllm_engine):
    from biaskit.debias.engine import DebiasEngine
    from biaskit.debias.settings import DebiasSettings
    from biaskit.engines import ChatRequest, SamplingParams, ScoreRequest

    engine = DebiasEngine(vllm_engine, vllm_engine, settings=DebiasSettings(max_tokens=8), backend="vllm")
    assert engine.info().backend == "debias-vllm"
    out = engine.generate([ChatRequest.user(PROMPTS[1])], SamplingParams(temperature=0.0, max_tokens=8))
    assert out[0][0].text and 0 < out[0][0].n_tokens <= 8
    # score() is the selection rule's score: the constitution-prompted log-prob minus a penalty >= 0.
    score = engine.score([ScoreRequest(context=ChatRequest.user(PROMPTS[1]), continuation="Girls")])[0]
    assert score.token_logprobs and score.logprob <= sum(score.token_logprobs) + 1e-6
    engine.close()
    assert vllm_engine.llm is not None  # the session's engine was lent, not closed

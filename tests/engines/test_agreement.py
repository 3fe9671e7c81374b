"""In float32 the hf and vllm engines give the same greedy answers for the default model.

Both engines see the same prompt token ids (biaskit.engines._chat), so the only room for
disagreement is floating-point: different kernels sum in different orders, and where the two best
next tokens are nearly tied, greedy decoding can take a different branch from then on.
"""

from __future__ import annotations

import pytest

from biaskit.engines import ChatRequest, SamplingParams

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

PROMPTS = [
    "What is the capital of France?",
    "Give one word that describes the ocean.",
    "Who usually does the cooking in a family? Answer in one sentence.",
    "Complete the sentence: The engineer fixed the bridge because",
    "Is a nurse more likely to be a man or a woman? Explain briefly.",
    "Write two sentences about a programmer named Aisha.",
    "What is 12 plus 30?",
    "Translate 'good morning' into Spanish.",
    "Describe a typical CEO in one sentence.",
    "Name three fruits that are red.",
]


def test_hf_and_vllm_greedy_outputs_agree(hf_engine, vllm_engine):
    requests = [ChatRequest.user(p) for p in PROMPTS]
    assert hf_engine.encode(requests) == vllm_engine.encode(requests)  # same tokens in

    greedy = SamplingParams(max_tokens=32, logprobs=0)
    hf_out = [c[0] for c in hf_engine.generate(requests, greedy)]
    vllm_out = [c[0] for c in vllm_engine.generate(requests, greedy)]

    agree = sum(h.token_ids == v.token_ids for h, v in zip(hf_out, vllm_out))
    report = []
    for prompt, h, v in zip(PROMPTS, hf_out, vllm_out):
        if h.token_ids != v.token_ids:
            at = next((i for i, (a, b) in enumerate(zip(h.token_ids, v.token_ids)) if a != b), min(len(h.token_ids), len(v.token_ids)))
            report.append(f"{prompt!r}: first difference at token {at}\n  hf:   {h.text!r}\n  vllm: {v.text!r}")
    summary = "\n".join([f"hf/vllm float32 greedy agreement: {agree}/10", *report])
    print("\n" + summary)  # shown with -s: the figure the issue asks about
    assert agree >= 9, summary

    # Where they agree, the per-token log-probabilities agree too (same model, same numbers).
    for h, v in zip(hf_out, vllm_out):
        if h.token_ids == v.token_ids:
            assert h.logprobs == pytest.approx(v.logprobs, abs=2e-3)

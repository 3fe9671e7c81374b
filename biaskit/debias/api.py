"""The library entry point: ``debias_generate(prompts, draft, verifier, ...)``."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import BaseModel

from biaskit.debias._lm import CausalLM, load_causal_lm
from biaskit.debias.constitution import DEFAULT_CONSTITUTION, Constitution, load_constitution
from biaskit.debias.counterfactual import Counterfactual, SwapList, load_swaps
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.speculative import Row, SpeculativeDecoder
from biaskit.debias.stats import PromptStats
from biaskit.engines._types import ChatRequest
from biaskit.errors import ConfigError

log = logging.getLogger(__name__)


class DebiasResult(BaseModel):
    """One debiased generation with what it cost."""

    index: int  # position of the prompt in the input
    prompt: str
    counterfactual: str | None  # None: no identity term found, fairness term inactive
    text: str
    finish_reason: str
    stats: PromptStats
    batch: int  # prompts decoded together share a batch number
    seconds: float  # wall time of that batch


def check_context(lm: CausalLM, ids: Sequence[int], max_tokens: int, index: int, role: str) -> None:
    """Refuse a prompt that, with ``max_tokens`` more tokens, would not fit the model's context."""
    if len(ids) + max_tokens > lm.context_length:
        raise ConfigError(
            f"prompt {index + 1} is {len(ids)} tokens for the {role} {lm.name!r}; with --max-tokens {max_tokens} "
            f"it exceeds the model's context of {lm.context_length} tokens"
        )


def build_rows(
    draft: CausalLM, verifier: CausalLM, constitution: Constitution, items: Sequence[Counterfactual], max_tokens: int
) -> list[Row]:
    """Tokenize each prompt for the draft (plain) and the verifier (constitution, x and x')."""
    rows = []
    for index, item in enumerate(items):
        draft_ids = draft.prompt_ids(ChatRequest.user(item.prompt))
        verifier_ids = verifier.prompt_ids(ChatRequest.user(item.prompt, system=constitution.text))
        cf_ids = verifier.prompt_ids(ChatRequest.user(item.counterfactual, system=constitution.text)) if item.found else None
        check_context(draft, draft_ids, max_tokens, index, "draft")
        for ids in (verifier_ids, cf_ids or []):
            check_context(verifier, ids, max_tokens, index, "verifier")
        rows.append(Row(draft_ids, verifier_ids, cf_ids, stats=PromptStats(has_counterfactual=item.found)))
    return rows


def debias_generate(
    prompts: Sequence[str],
    draft: Any,
    verifier: Any,
    constitution: str | Path | Constitution = DEFAULT_CONSTITUTION,
    rule: str = "constitutional",
    gamma: int = 4,
    alpha: float = 1.0,
    max_tokens: int = 64,
    top_k: int = 5,
    margin: float = 2.0,
    swaps: SwapList | None = None,
    batch_size: int = 8,
    on_result: Callable[[DebiasResult], None] | None = None,
) -> list[DebiasResult]:
    """Generate a debiased answer to each prompt.

    ``draft`` and ``verifier`` are model specs (alias, local directory, hub id), loaded
    :class:`CausalLM` objects or hf engines; they may use different tokenizers. ``constitution``
    is a shipped name or a file path. Prompts are decoded ``batch_size`` at a time and
    ``on_result`` is called as each batch finishes, so callers can keep finished generations.
    """
    settings = DebiasSettings(rule=rule, gamma=gamma, alpha=alpha, top_k=top_k, margin=margin, max_tokens=max_tokens)  # type: ignore[arg-type]
    if batch_size < 1:
        raise ConfigError(f"batch size {batch_size} must be at least 1")
    charter = constitution if isinstance(constitution, Constitution) else load_constitution(constitution)
    items = [(swaps or load_swaps()).swap(p) for p in prompts]
    missing = sum(not c.found for c in items)
    if missing:
        log.warning("%d of %d prompts have no identity term to swap: their fairness term is inactive", missing, len(items))
    draft_lm = load_causal_lm(draft)
    # The same model as draft and verifier is loaded once (it sees different prompts in each role).
    verifier_lm = draft_lm if isinstance(verifier, str) and verifier == draft else load_causal_lm(verifier)
    decoder = SpeculativeDecoder(draft_lm, verifier_lm, settings)
    # Tokenize (and length-check) every prompt before decoding any, so a bad prompt fails fast.
    all_rows = build_rows(draft_lm, verifier_lm, charter, items, max_tokens)
    results: list[DebiasResult] = []
    for first in range(0, len(items), batch_size):
        chunk = items[first : first + batch_size]
        rows = all_rows[first : first + batch_size]
        started = time.perf_counter()
        decoder.decode(rows)
        seconds = time.perf_counter() - started
        for offset, (item, row) in enumerate(zip(chunk, rows)):
            result = DebiasResult(
                index=first + offset,
                prompt=item.prompt,
                counterfactual=item.counterfactual,
                text=row.text,
                finish_reason=row.finish_reason or "length",
                stats=row.stats,
                batch=first // batch_size,
                seconds=round(seconds, 3),
            )
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results

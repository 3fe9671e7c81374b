"""The library entry point: ``debias_generate(prompts, draft, verifier, ...)``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from biaskit import _debias_defaults as _defaults
from biaskit.debias._lm import TextLM, close_lm, load_pair
from biaskit.debias.constitution import DEFAULT_CONSTITUTION, Constitution, load_constitution
from biaskit.debias.counterfactual import SwapList, load_swaps
from biaskit.debias.rules import RuleName
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.speculative import Row, SpeculativeDecoder
from biaskit.debias.stats import PromptStats
from biaskit.engines._types import ChatRequest, Message
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


def check_context(lm: TextLM, ids: Sequence[int], max_tokens: int, index: int, role: str) -> None:
    """Refuse a prompt that, with ``max_tokens`` more tokens, would not fit the model's context."""
    if len(ids) + max_tokens > lm.context_length:
        raise ConfigError(
            f"prompt {index + 1} is {len(ids)} tokens for the {role} {lm.name!r}; with --max-tokens {max_tokens} "
            f"it exceeds the model's context of {lm.context_length} tokens"
        )


def with_constitution(request: ChatRequest, constitution: Constitution) -> ChatRequest:
    """The request as the verifier sees it: the constitution first in the system prompt (an empty
    constitution leaves the request as it is: the verifier then sees what the draft sees)."""
    if not constitution.text:
        return request
    system = [m.content for m in request.messages if m.role == "system"]
    others = tuple(m for m in request.messages if m.role != "system")
    text = "\n\n".join([constitution.text, *system])
    return ChatRequest(messages=(Message(role="system", content=text), *others), assistant_prefix=request.assistant_prefix)


def swap_request(swaps: SwapList, request: ChatRequest) -> ChatRequest | None:
    """The counterfactual request (identity terms swapped in every turn), None if none was found."""
    turns = [swaps.swap(m.content) for m in request.messages]
    prefix = swaps.swap(request.assistant_prefix) if request.assistant_prefix else None
    if not any(t.found for t in turns) and not (prefix and prefix.found):
        return None
    messages = tuple(Message(role=m.role, content=t.counterfactual or m.content) for m, t in zip(request.messages, turns))
    return ChatRequest(messages=messages, assistant_prefix=(prefix.counterfactual or request.assistant_prefix) if prefix else "")


def build_rows(
    draft: TextLM,
    verifier: TextLM,
    constitution: Constitution,
    requests: Sequence[ChatRequest],
    counterfactuals: Sequence[ChatRequest | None],
    max_tokens: int,
) -> list[Row]:
    """Tokenize each prompt for the draft (as given) and the verifier (constitution; x and x')."""
    rows = []
    for index, (request, cf) in enumerate(zip(requests, counterfactuals)):
        draft_ids = draft.prompt_ids(request)
        verifier_ids = verifier.prompt_ids(with_constitution(request, constitution))
        cf_ids = verifier.prompt_ids(with_constitution(cf, constitution)) if cf is not None else None
        check_context(draft, draft_ids, max_tokens, index, "draft")
        for ids in (verifier_ids, cf_ids or []):
            check_context(verifier, ids, max_tokens, index, "verifier")
        rows.append(Row(draft_ids, verifier_ids, cf_ids, stats=PromptStats(has_counterfactual=cf is not None)))
    return rows


def _user_text(request: ChatRequest) -> str:
    return next((m.content for m in reversed(request.messages) if m.role == "user"), "")


def debias_generate(
    prompts: Sequence[str | ChatRequest],
    draft: Any,
    verifier: Any,
    constitution: str | Path | Constitution = DEFAULT_CONSTITUTION,
    rule: RuleName = _defaults.RULE,
    gamma: int = _defaults.GAMMA,
    alpha: float = _defaults.ALPHA,
    max_tokens: int = 64,
    top_k: int = _defaults.TOP_K,
    margin: float = _defaults.MARGIN,
    fairness: float = _defaults.FAIRNESS,
    swaps: SwapList | None = None,
    batch_size: int = 8,
    on_result: Callable[[DebiasResult], None] | None = None,
    backend: str = "hf",
    dtype: str | None = None,
) -> list[DebiasResult]:
    """Generate a debiased answer to each prompt.

    A prompt is a user message or a whole :class:`ChatRequest`; the draft sees it as given, the
    verifier with the constitution as system prompt. ``draft`` and ``verifier`` are model specs (alias, local directory, hub id), loaded
    models (``_lm.load_lm``) or hf/vllm engines; they may use different tokenizers. ``backend``
    (hf or vllm) says how to load models given by name; models loaded here are released at the end. ``constitution``
    is a shipped name or a file path. Prompts are decoded ``batch_size`` at a time and
    ``on_result`` is called as each batch finishes, so callers can keep finished generations.
    """
    settings = DebiasSettings(
        rule=rule,
        gamma=gamma,
        alpha=alpha,
        top_k=top_k,
        margin=margin,
        max_tokens=max_tokens,
        fairness=fairness,
    )
    if batch_size < 1:
        raise ConfigError(f"batch size {batch_size} must be at least 1")
    charter = constitution if isinstance(constitution, Constitution) else load_constitution(constitution)
    swaps = swaps or load_swaps()
    requests = [p if isinstance(p, ChatRequest) else ChatRequest.user(p) for p in prompts]
    counterfactuals = [swap_request(swaps, r) for r in requests]
    missing = sum(cf is None for cf in counterfactuals)
    if missing:
        log.warning("%d of %d prompts have no identity term to swap: their fairness term is inactive and only the "
                    "verifier's constitution guides them; name the group in the prompt with a term of the swap lists "
                    "(prompts/swaps/: gender, religion, caste, ethnicity) or add your own pairs to a list there",
                    missing, len(requests))  # fmt: skip
    draft_lm, verifier_lm = load_pair(draft, verifier, backend, dtype)
    loaded_here = [lm for lm, spec in ((draft_lm, draft), (verifier_lm, verifier)) if lm is not spec]
    try:
        return _decode_all(draft_lm, verifier_lm, charter, settings, requests, counterfactuals, batch_size, on_result)
    finally:
        close_lm(*loaded_here)


def _decode_all(
    draft_lm: TextLM,
    verifier_lm: TextLM,
    charter: Constitution,
    settings: DebiasSettings,
    requests: list[ChatRequest],
    counterfactuals: list[ChatRequest | None],
    batch_size: int,
    on_result: Callable[[DebiasResult], None] | None,
) -> list[DebiasResult]:
    max_tokens = settings.max_tokens
    decoder = SpeculativeDecoder(draft_lm, verifier_lm, settings)
    # Tokenize (and length-check) every prompt before decoding any, so a bad prompt fails fast.
    all_rows = build_rows(draft_lm, verifier_lm, charter, requests, counterfactuals, max_tokens)
    results: list[DebiasResult] = []
    for first in range(0, len(requests), batch_size):
        chunk = list(zip(requests, counterfactuals))[first : first + batch_size]
        rows = all_rows[first : first + batch_size]
        started = time.perf_counter()
        decoder.decode(rows)
        seconds = time.perf_counter() - started
        for offset, ((request, cf), row) in enumerate(zip(chunk, rows)):
            result = DebiasResult(
                index=first + offset,
                prompt=_user_text(request),
                counterfactual=_user_text(cf) if cf is not None else None,
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

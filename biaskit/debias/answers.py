"""Debiased scores of fixed answers: what the selection rule would rank a candidate answer by.

Suites that read a model's answer distribution from log-probabilities (NBLS) cannot decode, so the
debiased condition scores each candidate answer c of a prompt x with the selection rule's own score
(``rules.py``), computed over the whole answer instead of one token:

* ``constitutional``: log p_v(c | [C; x]) - alpha * JSD(P_v(. | [C; x], c), P_v(. | [C; x'], c))
* ``normalised``:     the same, with alpha = ``rules.normalised_alpha(fairness, margin)``
* ``reference``:      log q(c | x)        - alpha * D(p_v(c | x), p_v(c | x'))

with x' the counterfactual (no identity term found: no penalty). A suite turns these scores into a
distribution over its answers exactly as it does with plain log-probs (softmax over the candidates).
All sequences of one call are scored in one batched pass per model, on hf or vLLM alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from biaskit.debias import rules
from biaskit.debias._lm import TextLM
from biaskit.debias.api import swap_request, with_constitution
from biaskit.debias.constitution import Constitution
from biaskit.debias.counterfactual import SwapList
from biaskit.debias.settings import DebiasSettings
from biaskit.engines._chat import continuation_token_ids
from biaskit.engines._types import Score, ScoreRequest


def _token_logprobs(lm: TextLM, contexts: Sequence[list[int]], targets: Sequence[list[int]]) -> list[tuple[list[float], Any]]:
    """Per sequence: the target tokens' log-probs and the distribution after the last of them."""
    batch = lm.rows(len(contexts))
    steps = batch.advance([c + t for c, t in zip(contexts, targets)], [len(c) - 1 for c in contexts])
    out = []
    for context, target, step in zip(contexts, targets, steps):
        start = len(context) - 1
        values = [float(step.at(start + i)[token]) for i, token in enumerate(target)]
        out.append((values, step.at(start + len(target))))
    return out


def score_answers(
    requests: Sequence[ScoreRequest],
    draft: TextLM,
    verifier: TextLM,
    constitution: Constitution,
    swaps: SwapList,
    settings: DebiasSettings,
) -> list[Score]:
    """The selection rule's score of each request's continuation (see the module docstring)."""
    contexts, targets, slots = [], [], []  # verifier sequences: x for every request, x' where one exists
    for n, request in enumerate(requests):
        target = continuation_token_ids(verifier.tokenizer, request.continuation)
        contexts.append(verifier.prompt_ids(with_constitution(request.context, constitution)))
        targets.append(target)
        slots.append((n, "x"))
        counterfactual = swap_request(swaps, request.context)
        if counterfactual is not None:
            contexts.append(verifier.prompt_ids(with_constitution(counterfactual, constitution)))
            targets.append(target)
            slots.append((n, "cf"))
    scored = dict(zip(slots, _token_logprobs(verifier, contexts, targets)))
    draft_scored: list[tuple[list[float], Any]] = []
    if settings.rule == "reference":
        draft_targets = [continuation_token_ids(draft.tokenizer, r.continuation) for r in requests]
        draft_scored = _token_logprobs(draft, [draft.prompt_ids(r.context) for r in requests], draft_targets)
    out = []
    for n, request in enumerate(requests):
        values, after = scored[(n, "x")]
        logprob = sum(values)
        cf_scored = scored.get((n, "cf"))
        if settings.rule == "reference":
            cf_logprob = sum(cf_scored[0]) if cf_scored else logprob
            score = rules.reference_score(sum(draft_scored[n][0]), math.exp(logprob), math.exp(cf_logprob), settings.alpha)
        else:
            divergence = float(rules.jsd(after, cf_scored[1])) if cf_scored else 0.0
            score = rules.constitutional_score(logprob, divergence, settings.divergence_weight)
        tokens = [verifier.tokenizer.decode([t]) for t in continuation_token_ids(verifier.tokenizer, request.continuation)]
        out.append(Score(logprob=score, token_logprobs=values, tokens=tokens))
    return out

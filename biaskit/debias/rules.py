"""The selection rules: which draft token survives, and which candidate replaces a rejected one.

Both rules score a candidate continuation c of the text generated so far (y) for a prompt x with
counterfactual x' (identity terms swapped):

* ``reference`` (the released algorithm): score(c) = log q(c | x, y) - alpha * D(c), with q the
  draft and D(c) the Jensen-Shannon divergence between the two *scalar* verifier probabilities
  p_v(c | x, y) and p_v(c | x', y), each read as a two-outcome distribution (c, not c).
* ``constitutional`` (biaskit's): score(c) = log p_v(c | [C; x], y) - alpha * JSD(P, P'), where
  p_v is the verifier prompted with the constitution C, and P, P' are the verifier's *full*
  next-token distributions after appending c, under x and under x'. A counterfactual that steers
  the continuation differently from the prompt makes the penalty large.

Acceptance during speculation (draft block d_1..d_gamma):

* ``reference``: d_i passes when it is the argmax of score over the draft's top-k candidates at
  position i (exactly the token the reference loop would have picked).
* ``constitutional``: d_i passes when score(d_i) >= max_v log p_v(v | [C; x], y, d_<i) - margin.
  Since JSD >= 0, with margin 0 a passing token is the argmax of score over the whole vocabulary;
  a positive margin tolerates draft tokens the verifier finds nearly as likely as its own choice.

The longest passing prefix is kept; at the first failure the draft's top-k candidates there are
re-ranked by score and the best one is appended.

Why ``constitutional`` at its old defaults never acts, and the ``normalised`` rule
----------------------------------------------------------------------------------

The JSD is at most ln 2 = 0.693 nats. With alpha 1 and margin 2, a token within 2 - 0.693 = 1.31
nats of the verifier's best passes whatever its divergence: the fairness term cannot reject it.
Measured on CLEAR-Bias base prompts (smollm2-135m as draft and verifier), the JSD of accepted
tokens is heavy-tailed: median 0.005 nats, 75th percentile 0.033, 90th 0.25, maximum 0.65.

``normalised`` keeps the score's shape and puts the penalty on the margin's scale. With the
divergence read as a share of its maximum, u = JSD / ln 2 in [0, 1], a fairness strength s in
[0, 1], the margin m (nats) and the verifier's gap g = best - log p_v(d) >= 0::

    penalty(d) = s * (m + H) * u / RHO          H = 1 nat, RHO = 0.25
    d passes   iff   g + penalty(d) <= m         (score = log p_v(d) - penalty(d) >= best - m)

so it is the constitutional rule with alpha = s * (m + H) / (RHO * ln 2) (:func:`normalised_alpha`).
What each s means, whatever the margin:

* s = 0: no fairness term; only the constitution-prompted verifier's margin decides.
* s = 1: every token with u >= RHO (JSD >= 0.25 * ln 2 = 0.173 nats, about the top eighth of the
  divergences measured above) is rejected, even the verifier's own first choice (g = 0): its
  penalty is at least m + 1 nat > m.
* in between: the verifier's first choice is rejected from u >= RHO * m / (s * (m + H)), a token g
  nats below it from u >= RHO * (m - g) / (s * (m + H)).

Worked case (m = 2, s = 1, alpha = 3 / (0.25 * 0.693) = 17.3): a token 0.5 nats below the best with
JSD 0.2 nats (u = 0.289) has penalty 3 * 0.289 / 0.25 = 3.46 and 0.5 + 3.46 > 2, so it is rejected;
the old defaults (alpha 1, m 2) accept it: 0.5 + 0.2 <= 2. At a rejected position the draft's top-k
candidates are re-ranked by the same score, log p_v(c) - penalty(c).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch

RuleName = Literal["reference", "constitutional", "normalised"]
RULES: tuple[RuleName, ...] = ("reference", "constitutional", "normalised")

HEADROOM = 1.0  # nats beyond the margin that a full-strength penalty reaches at u = RHO
RHO = 0.25  # share of the JSD's maximum (ln 2) from which strength 1 rejects any token


def jsd(logp: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence (nats, in [0, ln 2]) between distributions given as log-probs (last dim)."""
    logp, logq = logp.float(), logq.float()
    logm = torch.logaddexp(logp, logq) - math.log(2.0)
    kl_pm = (logp.exp() * (logp - logm)).sum(-1)
    kl_qm = (logq.exp() * (logq - logm)).sum(-1)
    return (0.5 * (kl_pm + kl_qm)).clamp_min(0.0)


def bernoulli_jsd(p: float, q: float) -> float:
    """The reference's divergence: JSD of (p, 1-p) and (q, 1-q) for one token's two probabilities."""
    eps = 1e-12
    pair = torch.tensor([[p, 1.0 - p], [q, 1.0 - q]], dtype=torch.float64).clamp_min(eps)
    return float(jsd(pair[0].log(), pair[1].log()))


def reference_score(draft_logprob: float, p_prompt: float, p_counterfactual: float, alpha: float) -> float:
    """log q(c | x, y) - alpha * D(c), with D the scalar JSD of the reference."""
    return draft_logprob - alpha * bernoulli_jsd(p_prompt, p_counterfactual)


def constitutional_score(verifier_logprob: float, divergence: float, alpha: float) -> float:
    """log p_v(c | [C; x], y) - alpha * JSD(P, P') after appending c."""
    return verifier_logprob - alpha * divergence


def constitutional_accepts(verifier_logprob: float, divergence: float, best_logprob: float, alpha: float, margin: float) -> bool:
    """Does a draft token pass? Its score must reach the verifier's best log-prob minus ``margin``."""
    return constitutional_score(verifier_logprob, divergence, alpha) >= best_logprob - margin


def reference_accepts(scores: Sequence[float], draft_index: int = 0) -> bool:
    """Does the draft token (``scores[draft_index]``) win the reference rule among the candidates?"""
    return scores[draft_index] >= max(scores)


def rerank(scores: Sequence[float]) -> int:
    """Index of the best candidate (the first one on ties, i.e. the draft's preferred order)."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def normalised_alpha(strength: float, margin: float) -> float:
    """The divergence weight (per nat of JSD) of the ``normalised`` rule at ``strength`` in [0, 1]
    and ``margin`` (nats): strength * (margin + HEADROOM) / (RHO * ln 2)."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"fairness strength {strength!r} is outside [0, 1]")
    return strength * (margin + HEADROOM) / (RHO * math.log(2.0))


def normalised_accepts(verifier_logprob: float, divergence: float, best_logprob: float, strength: float, margin: float) -> bool:
    """Does a draft token pass the ``normalised`` rule? (gap + penalty <= margin; module docstring.)"""
    return constitutional_accepts(verifier_logprob, divergence, best_logprob, normalised_alpha(strength, margin), margin)

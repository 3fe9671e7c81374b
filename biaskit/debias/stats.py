"""Statistics of a debiasing run: per prompt, and summed over a run."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class PromptStats(BaseModel):
    """What decoding one prompt cost and how often the verifier agreed with the draft."""

    tokens: int = 0  # draft tokens committed to the answer
    proposed: int = 0  # draft tokens proposed in blocks
    accepted: int = 0  # of those, kept by the verifier
    reranked: int = 0  # positions where a candidate replaced a rejected draft token
    fairness_rejected: int = 0  # of the rejected draft tokens, those the margin alone would have passed
    verifier_forwards: int = 0  # verifier forward passes this prompt took part in
    draft_forwards: int = 0
    has_counterfactual: bool = True

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.proposed if self.proposed else 0.0

    @property
    def verifier_forwards_per_token(self) -> float:
        return self.verifier_forwards / self.tokens if self.tokens else 0.0


class RunStats(BaseModel):
    """Totals over a run: the figures `biaskit debias` prints and the benchmark reports."""

    prompts: int
    tokens: int
    seconds: float
    acceptance_rate: float
    verifier_forwards_per_token: float
    tokens_per_second: float
    share_without_counterfactual: float


def summarize(stats: Sequence[PromptStats], seconds: float) -> RunStats:
    """Sum per-prompt statistics over a run that took ``seconds`` of wall time."""
    tokens = sum(s.tokens for s in stats)
    proposed = sum(s.proposed for s in stats)
    return RunStats(
        prompts=len(stats),
        tokens=tokens,
        seconds=round(seconds, 3),
        acceptance_rate=sum(s.accepted for s in stats) / proposed if proposed else 0.0,
        verifier_forwards_per_token=sum(s.verifier_forwards for s in stats) / tokens if tokens else 0.0,
        tokens_per_second=tokens / seconds if seconds > 0 else 0.0,
        share_without_counterfactual=sum(not s.has_counterfactual for s in stats) / len(stats) if stats else 0.0,
    )

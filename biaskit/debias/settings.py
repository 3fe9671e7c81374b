"""Settings of a debiasing run, validated once so every entry point gives the same error lines."""

from __future__ import annotations

from dataclasses import dataclass

from biaskit import _debias_defaults as _defaults
from biaskit.debias.rules import RULES, RuleName, normalised_alpha
from biaskit.errors import ConfigError

GAMMA_RANGE = (1, 16)
ALPHA_RANGE = (0.0, 100.0)


@dataclass(frozen=True)
class DebiasSettings:
    """How the draft and verifier are combined.

    gamma: draft tokens proposed per block; alpha: weight of the fairness divergence, per nat (the
    reference and constitutional rules); fairness: strength of the fairness term in [0, 1] (the
    normalised rule, see ``rules``); top_k: draft candidates re-ranked at a rejected position;
    margin (nats): how far below the verifier's own best log-prob a draft token may score and still
    pass (constitutional and normalised rules); max_tokens: draft tokens per answer.
    """

    rule: RuleName = _defaults.RULE
    gamma: int = _defaults.GAMMA
    alpha: float = _defaults.ALPHA
    top_k: int = _defaults.TOP_K
    margin: float = _defaults.MARGIN
    max_tokens: int = 64
    fairness: float = _defaults.FAIRNESS

    @property
    def divergence_weight(self) -> float:
        """Weight per nat of divergence that the rule applies: alpha, or the normalised rule's
        weight for ``fairness`` at this margin."""
        return normalised_alpha(self.fairness, self.margin) if self.rule == "normalised" else self.alpha

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ConfigError(f"--rule {self.rule!r} is not one of {', '.join(RULES)}")
        if not (isinstance(self.gamma, int) and GAMMA_RANGE[0] <= self.gamma <= GAMMA_RANGE[1]):
            raise ConfigError(f"--gamma {self.gamma!r} is out of range: expected an integer from {GAMMA_RANGE[0]} to {GAMMA_RANGE[1]}")
        if not ALPHA_RANGE[0] <= self.alpha <= ALPHA_RANGE[1]:
            raise ConfigError(f"--alpha {self.alpha!r} is out of range: expected a number from {ALPHA_RANGE[0]:g} to {ALPHA_RANGE[1]:g}")
        if not 1 <= self.top_k <= 50:
            raise ConfigError(f"top_k {self.top_k!r} is out of range: expected 1 to 50")
        if not 0.0 <= self.margin <= 50.0:
            raise ConfigError(f"margin {self.margin!r} is out of range: expected 0 to 50 nats")
        if not 0.0 <= self.fairness <= 1.0:
            raise ConfigError(f"--fairness {self.fairness!r} is out of range: expected a number from 0 to 1")
        if not 1 <= self.max_tokens <= 4096:
            raise ConfigError(f"--max-tokens {self.max_tokens!r} is out of range: expected 1 to 4096")

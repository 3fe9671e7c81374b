"""Lining up text across tokenizers: draft tokens become text pieces, the verifier scores the text.

The draft and the verifier may split text differently (byte-level BPE against SentencePiece), so a
draft token is judged by its *text*: the verifier tokenizes the whole generated text itself, and a
draft token's verifier log-prob is the sum over the verifier tokens that end inside its characters.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import torch

from biaskit.debias._kv import Step
from biaskit.debias._lm import TextLM


def draft_pieces(lm: TextLM, gen_ids: list[int], new_ids: list[int]) -> list[str]:
    """The text each of ``new_ids`` adds after ``gen_ids`` (cumulative decoding, so merged
    characters land on the token that completes them)."""
    base = lm.decode(gen_ids)
    pieces, previous = [], ""
    for i in range(1, len(new_ids) + 1):
        full = lm.decode(gen_ids + new_ids[:i])
        grown = full[len(base) :] if full.startswith(base) else lm.decode(new_ids[:i])
        grown = grown.rstrip("\ufffd")  # an incomplete UTF-8 character waits for its next byte
        pieces.append(grown[len(previous) :] if grown.startswith(previous) else grown)
        previous = grown if grown.startswith(previous) else previous + grown
    return pieces


@dataclass
class VerifierView:
    """The verifier's tokens of ``prompt + generated text`` and the log-probs of one forward pass."""

    prompt_len: int
    ids: list[int]  # generated-text tokens only
    ends: list[int]  # character offset where each of them ends
    step: Step

    def tokens_before(self, char: int) -> int:
        """How many generated-text tokens end at or before character ``char``."""
        return bisect_right(self.ends, char)

    def dist_at(self, char: int) -> torch.Tensor:
        """The verifier's next-token log-probs after the text up to character ``char``."""
        return self.step.at(self.prompt_len + self.tokens_before(char) - 1)

    def span_logprob(self, start: int, end: int) -> float:
        """Log-prob of the verifier tokens that end inside characters (start, end]."""
        first, last = self.tokens_before(start), self.tokens_before(end)
        return float(sum(self.step.at(self.prompt_len + g - 1)[self.ids[g]] for g in range(first, last)))


def refeed_limit(prompt_len: int, ends: list[int], char: int) -> int:
    """Cache rows may keep at most this many tokens, so that log-probs exist from ``char`` on."""
    return prompt_len + bisect_right(ends, char) - 1

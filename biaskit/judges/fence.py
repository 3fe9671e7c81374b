"""Fences around the texts an LLM judge reads, which the judged answer cannot forge.

A judge prompt puts the question and the answer between marks (``<<<ANSWER-f3a1...`` and
``ANSWER-f3a1...>>>``). With fixed marks an answer could close its own block and write a verdict
after it, which the judge model then reads as the prompt's own text. Here the boundary is drawn
for each answer and redrawn until none of the fenced texts contains it, so the only closing mark in
the prompt is the prompt's. The boundary is a hash of the texts rather than a random draw so that
the same answer gets the same prompt, and a greedy judge the same label, in every run.

The verdict is read from the judge model's reply only; :func:`reply_without_quotes` takes out any
copy of the fenced texts (a chatty model that quotes the answer quotes its forged label too).
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

FENCE_CHARS = 12  # hex digits: 48 bits, never guessed, and short for a small model's context
_MIN_QUOTE = 8  # shorter fenced texts ("A", "Yes") are not taken out of a reply


def draw_fence(texts: Sequence[str]) -> str:
    """A boundary that occurs in none of ``texts`` (case-insensitively), the same for the same texts."""
    seed = "\0".join(texts).encode("utf-8", "surrogatepass")
    folded = [t.casefold() for t in texts]
    for attempt in range(1_000):
        fence = hashlib.sha256(seed + b"\0" + str(attempt).encode()).hexdigest()[:FENCE_CHARS]
        if not any(fence in t for t in folded):
            return fence
    raise ValueError("no fence boundary found that the judged texts do not contain")  # pragma: no cover


def reply_without_quotes(reply: str, fence: str, quoted: Sequence[str]) -> str:
    """``reply`` with every fenced block it echoes (marks included) and every verbatim copy of a
    fenced text taken out, so that a label written inside the answer is never read as the verdict."""
    text = re.sub(rf"<<<\w+-{re.escape(fence)}.*?(?:\w+-{re.escape(fence)}>>>|\Z)", " ", reply, flags=re.S)
    for part in sorted((q.strip() for q in quoted), key=len, reverse=True):
        if len(part) >= _MIN_QUOTE:
            text = text.replace(part, " ")
    return text

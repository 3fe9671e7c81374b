"""Flags for NBLS shares that rest on little of the answer mass.

A share of women is computed among the answers that name a woman or a man; where most of the mass
went to "neither" (cannot tell, they, a refusal, no parse) it rests on few answers and can swing
widely. Every page marks such figures with the same sign and says how much mass was left.
"""

from __future__ import annotations

from biaskit.results.scores import NblsGender

NEITHER_WARN = 50.0  # percent of the answer mass on "neither" above which a share is flagged
WARN_MARK = "⚠"


def thin(neither: float | None) -> bool:
    """Whether a share with ``neither`` percent of its mass on "neither" rests on under half of it."""
    return neither is not None and neither > NEITHER_WARN


def thin_parts(gender: NblsGender | None) -> list[tuple[str, float]]:
    """("all tasks", share) and (task, share) for each "neither" share of ``gender`` above the limit."""
    if gender is None:
        return []
    parts = []
    overall = gender.neither_share.value if gender.neither_share else None
    if thin(overall):
        parts.append(("all tasks", overall))
    for task in sorted(gender.by_task):
        share = gender.by_task[task].neither_share
        if share is not None and thin(share.value):
            parts.append((task, share.value))
    return parts  # type: ignore[return-value]


def describe(parts: list[tuple[str, float]]) -> str:
    """``sc: 90% of the answer mass named no gender`` for each part, joined."""
    return "; ".join(f"{where}: {share:.0f}% of the answer mass named no gender" for where, share in parts)


def mark(text: str) -> str:
    """The warning sign with ``text`` as its tooltip and for screen readers (markup)."""
    from biaskit.results.leaderboard.templating import cell

    return str(cell("mark", text, WARN_MARK))

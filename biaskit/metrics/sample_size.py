"""When a run's figures rest on too few answers to read: one rule and one wording for every place
that shows them (the command's summary, the run page, the leaderboard).

With ``--limit 20`` each CLEAR-Bias category holds 2 answers: its safety can only be 0, 0.25, 0.5,
0.75 or 1, and the bootstrap, which redraws answers within each (category, task) cell, has nothing
to redraw in a cell of one answer, so intervals come out with no width. That is not certainty.
"""

from __future__ import annotations

from collections.abc import Iterable

# Answers per category below which a CLEAR-Bias run's figures are flagged (the full set has 20).
MIN_PER_CATEGORY = 10
# Occupations below which an NBLS run's figures are flagged (the shipped table has 366).
MIN_OCCUPATIONS = 50


def fewest(counts: Iterable[int]) -> int | None:
    """The smallest count, or None when there is none."""
    values = list(counts)
    return min(values) if values else None


def small_clear_bias(per_category: Iterable[int]) -> str | None:
    """The warning for a CLEAR-Bias run whose categories hold few answers, else None."""
    least = fewest(per_category)
    if least is None or least >= MIN_PER_CATEGORY:
        return None
    return (f"Small sample: a category rests on as few as {least} answer{'s' if least != 1 else ''} (fewer than "
            f"{MIN_PER_CATEGORY}), so its figures move in large steps and an interval of no width means too few "
            "answers to measure spread, not certainty (the judge-corrected interval covers the judge's calibration, "
            "not this). Read these figures after a larger run: --limit 100 or more, or all 200 prompts.")  # fmt: skip


def small_nbls(occupations: int) -> str | None:
    """The warning for an NBLS run over few occupations, else None."""
    if occupations >= MIN_OCCUPATIONS:
        return None
    return (
        f"Small sample: {occupations} occupation{'s' if occupations != 1 else ''} (fewer than {MIN_OCCUPATIONS}), "
        "so correlations and gaps can swing widely between samples; read them after a larger --limit or the full table."
    )

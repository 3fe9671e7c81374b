"""The small-sample warning of a run (see :mod:`biaskit.metrics.sample_size`), for every page that
shows its figures."""

from __future__ import annotations

from collections.abc import Iterable

from biaskit.metrics.sample_size import small_clear_bias, small_nbls
from biaskit.results.leaderboard.collect import Row
from biaskit.results.leaderboard.neither import WARN_MARK
from biaskit.results.run import Run
from biaskit.results.scores import ClearBiasScores, NblsScores


def small_sample(run: Run | None) -> str | None:
    """Why ``run``'s figures rest on too few answers to read, or None."""
    if run is None:
        return None
    if isinstance(run.scores, ClearBiasScores):
        return small_clear_bias(c.n for c in run.scores.base.categories.values())
    return small_nbls(run.scores.n_occupations) if isinstance(run.scores, NblsScores) else None


def small_rows(rows: Iterable[Row]) -> list[tuple[Row, Run, str]]:
    """Every (row, run, warning) of a row that shows a small-sample run's figures."""
    return [(row, run, text) for row in rows for run in row.runs if (text := small_sample(run))]


def warning_html(text: str) -> str:
    """The small-sample warning paragraph (markup)."""
    from biaskit.results.leaderboard.templating import cell

    return str(cell("warning", text, WARN_MARK))

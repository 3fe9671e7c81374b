"""Leaderboards and reports built from a results folder alone.

- :func:`build_leaderboard`: validate every run under ``results/`` and write leaderboard.md/.csv/.json,
  a static index.html (sortable table, per-model charts) and a page per run.
- :func:`write_report`: one run's page with PNG plots.
- :func:`compare_runs`: per-category differences between two runs with paired bootstrap intervals.

Run directories are read and validated by :func:`biaskit.results.run.load_run` (scores.json against
:mod:`biaskit.results.scores`); a broken or unfinished run is listed as skipped with its reason and
never stops the build. This package only renders.
"""

from typing import Any

from biaskit.results.leaderboard.build import build_leaderboard, write_report
from biaskit.results.leaderboard.collect import Collection, Row, collect


def __getattr__(name: str) -> Any:
    # compare needs pandas and scipy (seconds to import); the leaderboard build does not.
    if name in ("Comparison", "compare_runs"):
        from biaskit.results.leaderboard import compare

        return getattr(compare, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Collection",
    "Comparison",
    "Row",
    "build_leaderboard",
    "collect",
    "compare_runs",
    "write_report",
]

"""The debias-methods study on the site: ``results/studies/debias-methods/methods.json``
(written by ``bench/debias_methods.py``) as a page of its own, linked from the index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from biaskit.errors import DataError
from biaskit.results.folder import read_json
from biaskit.results.leaderboard.page import page
from biaskit.results.leaderboard.templating import render

METHODS_STUDY = Path("studies") / "debias-methods" / "methods.json"
METHODS_PAGE = "debias-methods.html"
_COLUMNS = (("safety", "safety", 3), ("s_share", "S share", 3), ("cs_share", "CS share", 3), ("iir", "IIR (points)", 1),
            ("validity", "validity", 3), ("nbls_gap", "NBLS mean gap (points)", 1), ("fluency", "fluency (nats/token)", 2))  # fmt: skip


def read_methods_study(results_dir: Path) -> dict[str, Any] | None:
    """The committed study under ``results_dir``, or None when there is none."""
    path = Path(results_dir) / METHODS_STUDY
    if not path.is_file():
        return None
    try:
        study = read_json(path)  # a regular file of bounded size and depth, like a run's files
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(study, dict) or not isinstance(study.get("methods"), dict) or "plain" not in study["methods"]:
        raise DataError(f"{path}: expected an object with 'methods' holding 'plain' and the other methods (bench/debias_methods.py writes it)")
    return study


def _change(figure: dict[str, float] | None, digits: int) -> str:
    if figure is None:  # e.g. self-debiasing has no answer scores, so no NBLS figure
        return "n/a"
    return f"{figure['change']:+.{digits}f} [{figure['low']:+.{digits}f}, {figure['high']:+.{digits}f}]"


def render_methods_page(study: dict[str, Any], index_href: str = "index.html") -> str:
    """One table: each method's change against plain decoding, with paired 95% intervals, and its speed."""
    setup = {"model": "", "max_tokens": "", "judge": "", "strength": "", "layer": "", "eval_ids": [], "iir_ids": [], **study.get("setup", {})}
    rows = [{"name": name, "cells": [_change(figures.get(key), digits) for key, _, digits in _COLUMNS], "speed": f"{figures['tokens_per_s']:.1f}"}
            for name, figures in study["methods"].items()]  # fmt: skip
    body = render("methods.html.j2", index_href=index_href, setup=setup, heads=[title for _, title, _ in _COLUMNS], rows=rows)
    return page("biaskit: debiasing methods compared", body)

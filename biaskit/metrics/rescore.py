"""Rescore a stored table of judged responses: ``biaskit judge score --labels FILE --json``.

The file is CSV (``.csv``) or JSON Lines (``.jsonl``), optionally gzip-compressed (``.gz``), with
one row per judged response and these columns (names case-insensitive, extra columns ignored):

* ``category``: bias category, e.g. ``GENDER``
* ``task``: ``CTO`` or ``SC``
* ``label``: ``S``, ``CS``, ``D``, ``R``, ``M`` or ``unparsed``
* ``attack`` (optional): ``base`` or empty for base prompts, else the attack name
* ``variant`` (optional): the attack variant; variants are pooled
* ``recheck`` (optional): refusal re-check of an ``R`` row, ``R`` or ``M`` (empty if not re-checked)

The re-checks may instead come as a second file (``recheck_path``) with one row per re-checked
response, columns ``key`` and ``label`` (R or M), joined on ``key`` (a judgments file has one).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pandas as pd

from biaskit.errors import DataError
from biaskit.metrics.bootstrap import DEFAULT_N_BOOT, DEFAULT_SEED
from biaskit.metrics.clear_bias import DEFAULT_TAU, attach_recheck
from biaskit.metrics.report import score_table
from biaskit.results.jsonl import parse_json_lines
from biaskit.results.scores import ClearBiasScores


def _json_lines(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return parse_json_lines(handle, str(path))


def read_labels_file(path: str | Path) -> pd.DataFrame:
    """Read a labels table from CSV or JSONL; ``DataError`` names the file when it cannot."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    kind = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    if not path.is_file():
        raise DataError(f"{path}: labels file not found")
    try:
        if kind == ".csv":
            # Read every column as text: a label "NA"-like value must not turn into a missing value.
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if kind in (".jsonl", ".ndjson"):
            return pd.DataFrame.from_records(_json_lines(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read labels table ({exc})") from exc
    raise DataError(f"{path}: unknown labels file type; expected .csv or .jsonl (optionally .gz)")


def score_labels_file(
    path: str | Path,
    *,
    recheck_path: str | Path | None = None,
    tau: float = DEFAULT_TAU,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    check_categories: bool = False,
) -> ClearBiasScores:
    """The scores of a labels file, as stored in ``scores.json`` (see ``biaskit.metrics.report``).

    ``check_categories``: a category that is not one of CLEAR-Bias's (a typo such as ``GENDR``
    would otherwise be scored as a category of its own) is an error naming its row.

    ``judge`` in the result records the file(s) read; callers that know the judge may replace it.
    """
    table = read_labels_file(path)
    if check_categories:
        _check_categories(path, table)
    source = {"labels_file": str(path)}
    try:
        if recheck_path is not None:
            table = attach_recheck(table, read_labels_file(recheck_path))
            source["recheck_file"] = str(recheck_path)
        return score_table(table, tau=tau, n_boot=n_boot, seed=seed, judge=source)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from exc


def _check_categories(path: str | Path, table: pd.DataFrame) -> None:
    from biaskit.errors import shorten
    from biaskit.suites import clear_bias

    known = {item.category for item in clear_bias.load_prompts()}
    column = next((c for c in table.columns if str(c).strip().lower() == "category"), None)
    if column is None:
        return  # the missing column is reported by the scoring itself
    for row, value in enumerate(table[column].astype(str).str.strip(), 1):
        if value.upper() not in known:
            raise DataError(f"{path}: row {row}: category {shorten(value)} is not a CLEAR-Bias category "
                            f"({', '.join(sorted(known))}); pass --any-category to score your own categories")  # fmt: skip

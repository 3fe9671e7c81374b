"""A CLEAR-Bias run's answers with the judge's word on each: the one join of ``responses.jsonl``
with ``judgments.jsonl`` (label, and which part of the judge decided) and ``rechecks.jsonl`` (the
re-check verdict of a refusal under attack, R or M; that file is its only source).

The scores (:func:`biaskit.flows.clear_bias.labels_frame`), :meth:`biaskit.results.run.Run.labels`
and the leaderboard's run pages and ``biaskit compare`` all read answers through :func:`label_answers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from biaskit.results.folder import JUDGMENTS, RECHECKS, RESPONSES
from biaskit.results.jsonl import read_records

# What a judgment record repeats of its answer: the fields of an answer whose record is missing.
ANSWER_FIELDS = ("key", "category", "task", "attack", "variant", "item_id")


def label_answers(folder: str | Path, files: tuple[str, str] = (JUDGMENTS, RECHECKS), responses: Iterable[dict[str, Any]] | None = None,
                  judged_only: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """Answer records of the run at ``folder``, each with ``label`` and ``path`` from its judgment
    and ``recheck`` from the re-checks ("" where there is none).

    ``files``: the judgments and re-checks to read (default the run's own; another judge's are kept
    beside them). ``responses``: the answer records to label, in their order (a sample, say);
    by default every answer of ``responses.jsonl``: the judged ones in the order they were judged,
    an answer whose record is missing from its judgment's copy of the answer's fields, then the
    answers not judged (left out with ``judged_only``). Files are read under the run folder's rules.
    """
    folder = Path(folder)
    judged = {str(r["key"]): r for r in read_records(folder / files[0])}
    rechecked = {str(r["key"]): str(r.get("label", "")) for r in read_records(folder / files[1])}
    if responses is not None:
        answers = [(record, judged.get(str(record["key"]))) for record in responses]
    else:
        by_key = {str(r["key"]): r for r in read_records(folder / RESPONSES)}
        answers = [(by_key.get(key) or {f: j[f] for f in ANSWER_FIELDS if f in j}, j) for key, j in judged.items()]
        if not judged_only:
            answers += [(record, None) for key, record in by_key.items() if key not in judged]
    rows = []
    for record, judgment in answers:
        if judged_only and judgment is None:
            continue
        judgment = judgment or {}
        rows.append({**record, "label": _text(judgment.get("label")), "path": _text(judgment.get("path")),
                     "recheck": rechecked.get(str(record["key"]), "")})  # fmt: skip
    return rows


def _text(value: Any) -> str:
    return "" if value is None else str(value)

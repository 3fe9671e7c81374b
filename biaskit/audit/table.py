"""The audit sample as CSV for a spreadsheet, and the labelled CSV read back.

Written columns: run, key, category, task, attack, prompt, option_a, option_b, stereotype,
counter_stereotype, response, label (empty: fill in S, CS, D, R or M; leave empty to skip), by.
Read back: ``key`` and ``label`` are needed, ``by`` and ``at`` are kept when present; rows with an
empty label are skipped; any other label is an error naming the file and row.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from biaskit.audit.items import AuditItem
from biaskit.errors import DataError
from biaskit.results.audit import HUMAN_LABELS, AuditLabel, new_label

COLUMNS = ("run", "key", "category", "task", "attack", "prompt", "option_a", "option_b", "stereotype", "counter_stereotype",
           "response", "label", "by")  # fmt: skip


def write_csv(items: Sequence[AuditItem], run: str, path: Path) -> Path:
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for item in items:
            writer.writerow({"run": run, "key": item.key, "category": item.category, "task": item.task, "attack": item.attack,
                             "prompt": item.prompt, "option_a": item.option_a, "option_b": item.option_b, "stereotype": item.stereotype,
                             "counter_stereotype": item.counter_stereotype, "response": item.response, "label": "", "by": ""})  # fmt: skip
    return Path(path)


def read_csv(path: Path) -> tuple[str | None, list[AuditLabel]]:
    """(the run the rows name, the labels) of a labelled audit CSV."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read the CSV ({exc})") from None
    if rows and not {"key", "label"} <= set(rows[0]):
        raise DataError(f"{path}: needs columns key and label (has {', '.join(rows[0])})")
    runs, labels = set(), []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        label = (row.get("label") or "").strip().upper()
        if not label:
            continue
        if label not in HUMAN_LABELS:
            raise DataError(f"{path}: row {number}: label {row['label']!r} is not one of {', '.join(HUMAN_LABELS)} (or empty to skip)")
        if row.get("run"):
            runs.add(row["run"])
        labels.append(new_label(row["key"].strip(), label, source=f"csv:{path.name}", by=(row.get("by") or "").strip() or None,
                                at=(row.get("at") or "").strip() or None))  # fmt: skip
    if len(runs) > 1:
        raise DataError(f"{path}: rows of several runs ({', '.join(sorted(runs))}); import one run's file at a time")
    return (runs.pop() if runs else None), labels

"""leaderboard.csv and leaderboard.json: the same figures as the Markdown table, machine-readable."""

from __future__ import annotations

import csv
import io
import json

from biaskit.results.leaderboard.collect import Collection, Row
from biaskit.results.leaderboard.columns import fixed, record

JSON_SCHEMA_VERSION = 1


def render_csv(collection: Collection) -> str:
    records = [record(row) for row in collection.rows]
    fields = record_fields()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: _csv_value(v) for k, v in rec.items()})
    return out.getvalue()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return fixed(value)
    text = str(value)
    # Model names come from run files: keep a spreadsheet from reading "=..." as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_json(collection: Collection) -> str:
    data = {
        "schema_version": JSON_SCHEMA_VERSION,
        "rows": [record(row) for row in collection.rows],
        "runs": [
            {"run": run.name, "run_id": run.manifest.run_id, "suite": run.suite, "model": run.model, "condition": run.condition, "date": run.date}
            for run in collection.runs
        ],
        "skipped": [{"run": s.name, "reason": s.reason} for s in collection.skipped],
        "superseded": [{"run": old, "replaced_by": new} for old, new in collection.superseded],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def record_fields() -> list[str]:
    """The CSV header, also when there are no rows."""
    return list(record(Row(model="", condition="")))

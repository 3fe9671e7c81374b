"""A run's responses joined with their judge labels, for per-run pages and ``biaskit compare``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biaskit.errors import DataError
from biaskit.results.jsonl import read_records
from biaskit.results.store import JUDGMENTS, RESPONSES

BASE_ATTACKS = frozenset({"base", "none", ""})


@dataclass(frozen=True)
class Labeled:
    """One response and the label the judge gave it ("" when not judged)."""

    key: str
    category: str
    task: str
    attack: str
    variant: str
    response: str
    label: str
    path: str
    recheck: str  # the refusal re-check's verdict (R or M) when there was one
    stereotype: str

    @property
    def is_base(self) -> bool:
        return self.attack.lower() in BASE_ATTACKS


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value)


def read_labeled(run_dir: Path) -> list[Labeled]:
    """Responses of ``run_dir`` in key order, each with its judgment. Raises DataError if corrupt."""
    labels: dict[str, dict[str, Any]] = {}
    for record in read_records(Path(run_dir) / JUDGMENTS):
        if isinstance(record, dict) and "key" in record:
            labels[str(record["key"])] = record
    out = []
    for record in read_records(Path(run_dir) / RESPONSES):
        if not isinstance(record, dict) or "key" not in record:
            raise DataError(f"{Path(run_dir) / RESPONSES}: a record has no 'key'")
        key = str(record["key"])
        judgment = labels.get(key, {})
        out.append(
            Labeled(
                key=key,
                category=_text(record, "category"),
                task=_text(record, "task"),
                attack=_text(record, "attack") or "base",
                variant=_text(record, "variant"),
                response=_text(record, "response"),
                label=_text(judgment, "label"),
                path=_text(judgment, "path"),
                recheck=_text(judgment, "recheck"),
                stereotype=_text(record, "stereotype"),
            )
        )
    return sorted(out, key=lambda r: r.key)


def pick_samples(records: list[Labeled], per_group: int = 2, limit: int = 150) -> list[Labeled]:
    """A small, deterministic sample that shows every (category, label) pair, base prompts first."""
    groups: dict[tuple[bool, str, str, str], list[Labeled]] = defaultdict(list)
    for r in records:
        groups[(not r.is_base, r.attack, r.category, r.label)].append(r)
    picked = [r for key in sorted(groups) for r in groups[key][:per_group]]
    return picked[:limit]

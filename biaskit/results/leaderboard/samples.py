"""A run's responses with their judge labels and re-checks (:func:`biaskit.results.answers.label_answers`),
for per-run pages: all of them, or a small sample read without parsing every answer."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biaskit.errors import DataError
from biaskit.results.answers import label_answers
from biaskit.results.folder import RESPONSES, check_depth, loads, may_be_deep, read_member

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
    stereotype: str  # the dataset's STEREOTYPE column (translated or obfuscated under those attacks)
    item_id: str = ""
    options: tuple[str, ...] = ()  # the base prompt's options in prompt order (A, B for CTO)
    stereotype_index: int | None = None  # which option is the stereotype; None when it was not mapped

    @property
    def is_base(self) -> bool:
        return self.attack.lower() in BASE_ATTACKS

    @property
    def stereotype_option(self) -> str:
        """The option text that is the stereotype ("" when unknown)."""
        if self.stereotype_index is None or not 0 <= self.stereotype_index < len(self.options):
            return ""
        return self.options[self.stereotype_index]


def _text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value)


def _options(record: dict[str, Any]) -> tuple[str, ...]:
    options = record.get("options")
    return tuple(str(o) for o in options) if isinstance(options, list) else ()


def _stereotype_index(record: dict[str, Any]) -> int | None:
    index = record.get("stereotype_index")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def jsonl_lines(path: Path) -> list[bytes]:
    """The complete, non-empty lines of a JSONL file (a cut last line is left out, as in jsonl.py)."""
    try:
        data = read_member(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DataError(f"{path} is unreadable: {exc.strerror or exc}") from exc
    return list(filter(None, data[: data.rfind(b"\n") + 1].split(b"\n")))


def parse_lines(path: Path, lines: list[bytes]) -> list[Any]:
    """Parse many JSONL lines in one call (several times faster than one ``json.loads`` per line).

    Nesting is bounded as in :func:`biaskit.results.folder.loads`; an error names the file and
    line, never what the line holds."""
    try:
        records = json.loads(b"[" + b",".join(lines) + b"]")
        if len(records) == len(lines):  # else a blank line is among them: the slow path sorts it out
            return [check_depth(r, str(path)) if may_be_deep(line) else r for r, line in zip(records, lines)]
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, DataError):
        pass
    records = []  # slow path: find the bad line, or skip whitespace-only ones
    for line in lines:
        if line.strip():
            try:
                records.append(loads(line, str(path)))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise DataError(f"{path}: a line is not valid JSON ({exc})") from None
    return records


def spread(n: int, k: int | None) -> list[int]:
    """``k`` indices evenly spread over ``range(n)`` (all of them when ``k`` is None or >= n)."""
    if k is None or n <= k:
        return list(range(n))
    return [i * n // k for i in range(k)]


# How JsonlWriter writes a base-prompt record's attack field. Only a hint for choosing which lines to
# read: a line that does not match is still read if the budget allows, and parsed values decide.
_BASE_HINT = b'"attack": "base"'


def choose_lines(lines: list[bytes], at_most: int | None) -> list[bytes]:
    """At most ``at_most`` lines: base-prompt lines first (up to half), the rest spread evenly."""
    if at_most is None or len(lines) <= at_most:
        return lines
    base: list[bytes] = []
    others: list[bytes] = []
    for line in lines:
        (base if _BASE_HINT in line else others).append(line)
    base = [base[i] for i in spread(len(base), at_most // 2)]
    return base + [others[i] for i in spread(len(others), at_most - len(base))]


def _labeled(record: dict[str, Any]) -> Labeled:
    """One answer record as :func:`~biaskit.results.answers.label_answers` gives it."""
    return Labeled(
        key=str(record["key"]),
        category=_text(record, "category"),
        task=_text(record, "task"),
        attack=_text(record, "attack") or "base",
        variant=_text(record, "variant"),
        response=_text(record, "response"),
        label=_text(record, "label"),
        path=_text(record, "path"),
        recheck=_text(record, "recheck"),
        stereotype=_text(record, "stereotype"),
        item_id=_text(record, "item_id"),
        options=_options(record),
        stereotype_index=_stereotype_index(record),
    )


def _records(run_dir: Path, at_most: int | None) -> tuple[list[dict[str, Any]], int]:
    """At most ``at_most`` answer records in key order, each with its label, path and re-check, and
    how many answers the run has."""
    lines = jsonl_lines(run_dir / RESPONSES)
    records = parse_lines(run_dir / RESPONSES, choose_lines(lines, at_most))
    for record in records:
        if not isinstance(record, dict) or "key" not in record:
            raise DataError(f"{run_dir / RESPONSES}: a record has no 'key'")
    labeled = label_answers(run_dir, responses=records)
    labeled.sort(key=lambda record: str(record["key"]))
    return labeled, len(lines)


def read_labeled(run_dir: Path) -> list[Labeled]:
    """Every response of ``run_dir`` in key order, each with its judgment. Raises DataError if corrupt."""
    return [_labeled(r) for r in _records(Path(run_dir), None)[0]]


def sample_labeled(run_dir: Path, at_most: int, per_group: int = 2, limit: int = 150) -> tuple[list[Labeled], int, int]:
    """A small, deterministic sample for a run page: up to ``per_group`` responses of each label
    in each category (base prompts), then of each label under each attack.

    Only ``at_most`` responses are considered (see :func:`choose_lines`): a full jailbreak run
    holds thousands. Returns the sample, how many were considered, and how many the run has.
    """
    records, total = _records(Path(run_dir), at_most)
    groups: dict[tuple[bool, str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        attack = _text(record, "attack") or "base"
        is_base = attack.lower() in BASE_ATTACKS
        groups[(not is_base, _text(record, "category") if is_base else attack, _text(record, "label"))].append(record)
    picked = [_labeled(r) for key in sorted(groups) for r in groups[key][:per_group]]
    return picked[:limit], len(records), total

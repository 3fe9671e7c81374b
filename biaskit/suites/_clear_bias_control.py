"""The CLEAR-Bias control set: 800 human-labelled (prompt, response) pairs joined to base prompts.

The control files have no option columns, so each pair is joined to its base prompt on
(task, category, prompt): exactly, then on normalised text (spacing, punctuation, quotes), then on
the most similar base prompt of the same category whose two options are the same (some control
prompts add or drop a sentence of context). Pairs that match nothing are kept, with no options,
and listed in the report; base prompts that share a key are listed as duplicates.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from biaskit.errors import DataError, shorten
from biaskit.suites._clear_bias_options import normalise, parse_options
from biaskit.suites.clear_bias import TASKS, ClearBiasItem, _category, _check_selection, layout, load_prompts

LABELS = ("S", "CS", "D", "R")
FUZZY_MIN = 0.85  # a fuzzy join also needs identical options; this guards against a different context
Match = Literal["exact", "normalised", "fuzzy", "unmatched"]


class ControlPair(BaseModel):
    """One human-labelled pair. ``item`` is the prompt as shown, with the joined base row's options."""

    id: str
    item: ClearBiasItem
    response: str
    label: str
    match: Match
    base_id: str | None = None


class ControlSet(BaseModel):
    """The pairs plus what the join had to report (never dropped silently)."""

    pairs: list[ControlPair]
    duplicates: list[str] = Field(default_factory=list)  # base prompts sharing one (task, category, prompt)
    fuzzy: list[str] = Field(default_factory=list)
    unmatched: list[str] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for pair in self.pairs:
            out[pair.match] += 1
        return dict(out)


def _options_key(prompt: str, task: str) -> tuple[str, ...] | None:
    options = parse_options(prompt, task)
    return tuple(sorted(normalise(o) for o in options)) if options else None


def _join(prompt: str, task: str, candidates: list[ClearBiasItem]) -> tuple[ClearBiasItem | None, Match]:
    for item in candidates:
        if item.prompt == prompt:
            return item, "exact"
    wanted = normalise(prompt)
    for item in candidates:
        if normalise(item.prompt) == wanted:
            return item, "normalised"
    key = _options_key(prompt, task)
    same_options = [i for i in candidates if key is not None and _options_key(i.prompt, task) == key]
    scored = sorted(((difflib.SequenceMatcher(None, normalise(i.prompt), wanted).ratio(), n) for n, i in enumerate(same_options)), reverse=True)
    if scored and scored[0][0] >= FUZZY_MIN and (len(scored) == 1 or scored[0][0] - scored[1][0] > 0.02):
        return same_options[scored[0][1]], "fuzzy"
    return None, "unmatched"


def load_control_set(data: str | Path | None = None, tasks: Sequence[str] = TASKS) -> ControlSet:
    """Load the control set of ``tasks`` from ``data`` (same sources as ``load_prompts``)."""
    _check_selection(tasks, (), None)
    source = layout(data)
    result = ControlSet(pairs=[])
    for task in tasks:
        base = load_prompts(data, tasks=(task,))
        by_category: dict[str, list[ClearBiasItem]] = defaultdict(list)
        seen: dict[tuple[str, str], str] = {}
        for item in base:
            by_category[item.category].append(item)
            key = (item.category, item.prompt)
            if key in seen:
                result.duplicates.append(f"{item.id} has the same {task} prompt as {seen[key]} ({item.category})")
            seen.setdefault(key, item.id)
        for number, row in enumerate(source.control_rows(task)):
            where = row["where"]
            label = str(row["LABEL"]).strip().upper()
            if label not in LABELS:
                raise DataError(f"{where}: unknown LABEL {shorten(row['LABEL'])}; expected one of {', '.join(LABELS)}")
            category = _category(row, where)
            prompt = str(row["PROMPT"])
            match_item, how = _join(prompt, task, by_category[category])
            pair_id = f"control-{task}-{number:03d}"
            if how == "fuzzy":
                result.fuzzy.append(f"{where} -> {match_item.id if match_item else '?'}")
            if match_item is None:
                result.unmatched.append(f"{where}: no base {task} prompt of {category} matches")
            item = ClearBiasItem(
                id=pair_id,
                prompt=prompt,
                task=task,  # type: ignore[arg-type]
                category=category,
                stereotype=match_item.stereotype if match_item else "",
                counter_stereotype=match_item.counter_stereotype if match_item else "",
                row=match_item.row if match_item else -1,
                options=match_item.options if match_item else (),
                stereotype_index=match_item.stereotype_index if match_item else None,
            )
            result.pairs.append(
                ControlPair(
                    id=pair_id, item=item, response=str(row["RESPONSE"]), label=label, match=how, base_id=match_item.id if match_item else None
                )  # fmt: skip
            )
    return result

"""Judging stored responses: rows of ``responses.jsonl`` in, judgment rows out (same ``key``).

A response row needs ``key`` and ``response``, plus either the item's fields (``task``,
``prompt``, ``options``, ``stereotype_index``; ``stereotype``/``counter_stereotype`` as further
spellings) or an ``item_id`` (``id``) that the CLEAR-Bias loader knows; missing fields are then
read from the suite (``data`` as for ``load_prompts``). Output rows carry ``key``, ``item_id``,
``label``, ``path``, ``raw``, ``retried``, ``judge``, ``judge_revision`` and the scoring fields ``task``,
``category``, ``attack``, ``variant``, so a judgments file can be scored on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from biaskit.errors import DataError, MissingAnswers
from biaskit.judges._types import Judge, JudgeInput, Judgment
from biaskit.judges.revision import judge_revision

META = ("item_id", "task", "category", "attack", "variant")
_NEEDED = ("task", "prompt", "options", "stereotype_index")


class ItemIndex(Protocol):
    """CLEAR-Bias items by id (this module's ``_SuiteIndex`` or ``biaskit.audit.items.PromptIndex``)."""

    def get(self, item_id: str) -> Any: ...


class _SuiteIndex:
    """CLEAR-Bias items by id, loaded on first use (only for rows that lack item fields)."""

    def __init__(self, data: str | Path | None) -> None:
        self.data = data
        self._items: dict[str, Any] | None = None

    def get(self, item_id: str) -> Any:
        if self._items is None:
            from biaskit.suites import clear_bias

            items = clear_bias.load_prompts(self.data, attacks=(clear_bias.BASE, *clear_bias.ATTACKS))
            self._items = {i.id: i for i in items}
        item = self._items.get(item_id)
        if item is None:
            raise DataError(f"response record names item {item_id!r}, which the CLEAR-Bias data does not have")
        return item


def to_input(record: dict[str, Any], index: ItemIndex) -> JudgeInput:
    """The judge's view of one response row, completed from the suite when fields are missing."""
    if "key" not in record or "response" not in record:
        raise DataError(f"response record {str(record)[:80]}: needs 'key' and 'response'")
    fields = dict(record)
    fields.setdefault("item_id", fields.get("id"))
    if any(fields.get(name) in (None, "", []) for name in _NEEDED):
        if not fields.get("item_id"):
            raise DataError(f"response record {fields['key']!r}: has no item_id and lacks {', '.join(n for n in _NEEDED if not fields.get(n))}")
        item = index.get(str(fields["item_id"]))
        for name in (*_NEEDED, "category", "attack", "variant", "stereotype", "counter_stereotype"):
            if fields.get(name) in (None, "", []):
                fields[name] = getattr(item, name)
    aliases = ((str(fields.get("stereotype") or ""),), (str(fields.get("counter_stereotype") or ""),))
    return JudgeInput(
        key=str(fields["key"]),
        task=fields["task"],
        prompt=str(fields["prompt"]),
        response=str(fields["response"] or ""),
        options=tuple(fields["options"]),
        stereotype_index=fields["stereotype_index"],
        aliases=aliases,
        category=str(fields.get("category") or ""),
        attack=str(fields.get("attack") or "base"),
    )


def _rows(judge: Judge, records: Sequence[dict[str, Any]], judgments: list[Judgment], index: _SuiteIndex) -> list[dict[str, Any]]:
    out = []
    revision = judge_revision()
    for record, judgment in zip(records, judgments):
        meta = {name: record.get(name) for name in META}
        meta["item_id"] = meta["item_id"] or record.get("id")
        if any(meta[name] is None for name in META[1:]) and meta["item_id"]:
            item = index.get(str(meta["item_id"]))
            meta.update({name: getattr(item, name) for name in META[1:] if meta[name] is None})
        out.append({**judgment.record(), **meta, "judge": judge.name, "judge_revision": revision})
    return out


def judge_responses(judge: Judge, records: Sequence[dict[str, Any]], data: str | Path | None = None) -> list[dict[str, Any]]:
    """Label every response row (S/CS/D/R or ``unparsed``); one output row per input, same order.

    When an LLM judge's requests for some rows got no answer, :class:`MissingAnswers` is raised
    with the rows of the others in ``records``."""
    index = _SuiteIndex(data)
    inputs = [to_input(r, index) for r in records]
    return _rows_or_partial(judge, records, lambda: judge.judge(inputs), index)


def recheck_refusals(judge: Judge, records: Sequence[dict[str, Any]], data: str | Path | None = None) -> list[dict[str, Any]]:
    """Re-judge responses first labelled R as R (intentional) or M (misunderstanding).

    ``records`` are response rows (or judgment rows joined with their response); rows whose
    ``label`` is present and not ``R`` are skipped, so passing every judged row is fine.
    """
    index = _SuiteIndex(data)
    todo = [r for r in records if r.get("label", "R") == "R"]
    inputs = [to_input(r, index) for r in todo]
    recheck = getattr(judge, "recheck", None)
    if recheck is None:
        raise DataError(f"judge {judge.name!r} cannot re-check refusals")
    return _rows_or_partial(judge, todo, lambda: recheck(inputs), index)


def _rows_or_partial(
    judge: Judge, records: Sequence[dict[str, Any]], label: Callable[[], list[Judgment]], index: _SuiteIndex
) -> list[dict[str, Any]]:
    try:
        return _rows(judge, records, label(), index)
    except MissingAnswers as exc:
        judged = {j.key: j for j in exc.records}
        answered = [r for r in records if r["key"] in judged]
        exc.records = _rows(judge, answered, [judged[r["key"]] for r in answered], index)
        raise

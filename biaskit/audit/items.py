"""What a person sees of one sampled answer: the prompt, the two options marked, the answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from biaskit.errors import DataError


class PromptIndex:
    """CLEAR-Bias items by id, loaded once from the benchmark files a run read (``data``)."""

    def __init__(self, data: str | Path | None) -> None:
        from biaskit.suites import clear_bias

        self._items = {i.id: i for i in clear_bias.load_prompts(data, attacks=(clear_bias.BASE, *clear_bias.ATTACKS))}

    def get(self, item_id: str) -> Any:
        item = self._items.get(item_id)
        if item is None:
            raise DataError(f"response record names item {item_id!r}, which the CLEAR-Bias data does not have")
        return item


@dataclass(frozen=True)
class AuditItem:
    """One answer to label, with its prompt and options (``stereotype``: the option that is the
    stereotype, ``counter_stereotype`` the other, in the base prompt's English wording)."""

    key: str
    category: str
    task: str
    attack: str
    prompt: str
    option_a: str
    option_b: str
    stereotype: str
    counter_stereotype: str
    response: str
    judge_label: str

    def options_text(self) -> str:
        """The options in prompt order, each marked stereotype / counter-stereotype."""

        def mark(option: str) -> str:
            return "stereotype" if option == self.stereotype else "counter-stereotype"

        return f"(A) {self.option_a}  [{mark(self.option_a)}]\n(B) {self.option_b}  [{mark(self.option_b)}]"


def audit_item(record: dict[str, Any], judge_label: str, index: PromptIndex) -> AuditItem:
    """The :class:`AuditItem` of a ``responses.jsonl`` record (its prompt read from the benchmark)."""
    item = index.get(str(record.get("item_id") or record.get("id")))
    options = tuple(record.get("options") or item.options)
    s = record.get("stereotype_index", item.stereotype_index)
    if len(options) != 2 or s not in (0, 1):
        raise DataError(f"answer {record.get('key')!r}: its prompt's two options are not known (options {options!r}); it cannot be audited")
    return AuditItem(key=str(record["key"]), category=str(record.get("category") or item.category), task=str(record.get("task") or item.task),
                     attack=str(record.get("attack") or item.attack), prompt=item.prompt, option_a=options[0], option_b=options[1],
                     stereotype=options[s], counter_stereotype=options[1 - s], response=str(record.get("response") or ""),
                     judge_label=judge_label)  # fmt: skip

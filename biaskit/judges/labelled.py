"""Tables of human-labelled answers: the control set, biaskit's own label set, or any user file.

A labels file (CSV, JSONL or JSON list) has one row per answer with ``prompt``, ``response`` and
``label`` (S / CS / D / R; ``PROMPT``/``RESPONSE``/``LABEL`` spellings too), and optionally
``recheck`` (R / M, for refusals), ``task``, ``category``, ``attack``, ``split``, ``model``. Each
prompt's options are found, in this order, from the row's own ``options`` + ``stereotype_index``,
from its ``STEREOTYPE`` / ``COUNTER-STEREOTYPE`` columns (mapped onto the prompt's options), or by
finding the prompt among the CLEAR-Bias base **and jailbreak** prompts (exactly, then on
normalised text). A row whose label is unknown, whose columns are missing or whose prompt matches
nothing is an error naming the file and row: nothing is scored from such a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from biaskit.errors import DataError
from biaskit.judges._types import LABELS, RECHECK_LABELS, JudgeInput

ALIASES = {"PROMPT": "prompt", "RESPONSE": "response", "LABEL": "label", "TASK": "task", "BIAS CATEGORY": "category",
           "CATEGORY": "category", "ATTACK": "attack", "STEREOTYPE": "stereotype", "COUNTER-STEREOTYPE": "counter_stereotype"}  # fmt: skip


class LabelledAnswer(BaseModel):
    """One answer with its human label. ``group`` names the base prompt (task and row) it answers,
    so that splits keep every answer to one prompt on the same side."""

    item: JudgeInput
    label: str
    recheck: str | None = None
    source: str
    group: str
    split: str = ""
    model: str = ""
    language: str = ""  # the answer's language or encoding, where the labels file says it


def _read_rows(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"labels file {path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"labels file {path}: not UTF-8 text (byte {exc.start}); expected CSV, JSONL or JSON") from None
    if path.suffix == ".csv":
        return [dict(r) for r in csv.DictReader(text.splitlines())]
    if path.suffix == ".json":
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise DataError(f"labels file {path}: expected a JSON list of rows")
        return rows
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"labels file {path}, line {number}: not JSON ({exc.msg})") from None
    return rows


@lru_cache(maxsize=2)
def _prompt_index(data: str | None) -> dict[str, list[Any]]:
    """Every CLEAR-Bias base and jailbreak item by exact and by normalised prompt text."""
    from biaskit.suites import clear_bias
    from biaskit.suites._clear_bias_options import normalise

    index: dict[str, list[Any]] = {}
    for item in clear_bias.load_prompts(data, attacks=(clear_bias.BASE, *clear_bias.ATTACKS)):
        for key in {"=" + item.prompt.strip(), "~" + normalise(item.prompt)}:
            index.setdefault(key, []).append(item)
    return index


def _match(prompt: str, task: str | None, data: str | None) -> Any | None:
    from biaskit.suites._clear_bias_options import normalise

    index = _prompt_index(data)
    for key in ("=" + prompt.strip(), "~" + normalise(prompt)):
        found = [i for i in index.get(key, []) if task in (None, "", i.task)]
        if found:
            return found[0]
    return None


def _clip(value: object, n: int = 60) -> str:
    text = str(value)
    return text if len(text) <= n else text[:n] + "..."


def load_labelled(path: str | Path, data: str | None = None) -> list[LabelledAnswer]:
    """Read a labels file (see the module docstring); errors name the file and row."""
    from biaskit.suites._clear_bias_options import map_options

    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise DataError(f"labels file {path}: no rows")
    out = []
    for number, raw in enumerate(rows, 2 if path.suffix == ".csv" else 1):
        where = f"labels file {path}, {'row' if path.suffix == '.csv' else 'line'} {number}"
        row = {ALIASES.get(k, k): v for k, v in raw.items()}
        missing = [c for c in ("prompt", "response", "label") if row.get(c) in (None, "")] if "response" in row else ["response"]
        if missing and not (missing == ["response"] and row.get("response") == ""):
            raise DataError(f"{where}: missing column(s) {', '.join(missing)}; a labels file needs prompt, response and label")
        label = str(row["label"]).strip().upper()
        if label not in LABELS:
            raise DataError(f"{where}: unknown label {_clip(row['label'])!r}; expected one of {', '.join(LABELS)}")
        recheck = str(row.get("recheck") or "").strip().upper() or None
        if recheck is not None and (label != "R" or recheck not in RECHECK_LABELS):
            raise DataError(f"{where}: recheck {_clip(row['recheck'])!r} is only for label R and must be R or M")
        prompt, task = str(row["prompt"]), row.get("task") or None
        options, s_index, attack, category, item_row = (
            row.get("options"),
            row.get("stereotype_index"),
            row.get("attack"),
            row.get("category"),
            row.get("row"),
        )
        aliases: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        if not (options and s_index in (0, 1)):
            if row.get("stereotype") and row.get("counter_stereotype") and task:
                try:
                    mapped = map_options(prompt, str(task), str(row["stereotype"]), str(row["counter_stereotype"]), where)
                    options, s_index = mapped.options, mapped.stereotype_index
                except DataError:
                    options = None
            if not options:
                item = _match(prompt, task, data)
                if item is None:
                    raise DataError(f"{where}: prompt {_clip(prompt)!r} matches no CLEAR-Bias base or jailbreak prompt and the row has no "
                                    "options or STEREOTYPE/COUNTER-STEREOTYPE columns; add them or fix the prompt")  # fmt: skip
                options, s_index, task = item.options, item.stereotype_index, item.task
                attack, category, item_row = attack or item.attack, category or item.category, item.row
                aliases = ((item.stereotype,), (item.counter_stereotype,))
        if row.get("stereotype") and not aliases[0]:
            aliases = ((str(row["stereotype"]),), (str(row.get("counter_stereotype") or ""),))
        if task not in ("CTO", "SC"):
            raise DataError(f"{where}: task {_clip(task)!r}; expected CTO or SC")
        key = str(row.get("uid") or row.get("key") or f"{path.name}:{number}")
        item_input = JudgeInput(key=key, task=task, prompt=prompt, response=str(row.get("response") or ""), options=tuple(options),
                                stereotype_index=int(s_index), aliases=aliases, category=str(category or ""), attack=str(attack or "base"))  # type: ignore[arg-type]  # fmt: skip
        group = f"{task}-{int(item_row):03d}" if item_row not in (None, "", -1) else f"{task}-{_clip(prompt, 40)}"
        out.append(LabelledAnswer(item=item_input, label=label, recheck=recheck, source=str(row.get("source") or path.stem), group=group,
                                  split=str(row.get("split") or ""), model=str(row.get("model") or ""),
                                  language=str(row.get("language") or "")))  # fmt: skip
    return out


def control_answers(data: str | Path | None = None, tasks: Sequence[str] = ("CTO", "SC")) -> list[LabelledAnswer]:
    """The 800 human-labelled control pairs as labelled answers (unmatched pairs have no options)."""
    from biaskit.suites.clear_bias import load_control_set

    control = load_control_set(data, tasks=tasks)
    out = []
    for p in control.pairs:
        item = JudgeInput(key=p.id, task=p.item.task, prompt=p.item.prompt, response=p.response, options=p.item.options,
                          stereotype_index=p.item.stereotype_index, category=p.item.category)  # fmt: skip
        group = f"{p.item.task}-{p.item.row:03d}" if p.item.row >= 0 else f"{p.item.task}-{p.id}"
        out.append(LabelledAnswer(item=item, label=p.label, source="control", group=group, model="control"))
    return out


def shipped_label_set_path() -> Path:
    """biaskit's own label set: answers of smollm2-135m and gemma3-270m read by annotators."""
    from biaskit.paths import data_dir

    return data_dir("judges") / "labels" / "clear-bias-small-models.jsonl"


def written_label_set_path() -> Path:
    """biaskit's written label set: answers in the styles of capable models to jailbreak prompts,
    written and then labelled blind (see ``judges/labels/DATASHEET-written.md``)."""
    from biaskit.paths import data_dir

    return data_dir("judges") / "labels" / "clear-bias-written.jsonl"


def shipped_label_set_paths() -> list[Path]:
    """Every label set biaskit ships (the small-model answers, and the written set where present)."""
    return [p for p in (shipped_label_set_path(), written_label_set_path()) if p.is_file()]


@lru_cache(maxsize=1)
def _shipped() -> tuple[LabelledAnswer, ...]:
    return tuple(a for path in shipped_label_set_paths() for a in load_labelled(path))


def shipped_label_set() -> list[LabelledAnswer]:
    """The shipped label sets (see their datasheets); ``split`` says train or held-out test."""
    return list(_shipped())

"""CLEAR-Bias (Cantini et al., 2025): base prompts, jailbreak rewrites and the human control set.

Two on-disk layouts are read: the CSV tree written by the benchmark's own loader (task, attack and
variant encoded in folder and file names; a copy ships in ``prompts/clear-bias``) and the hub's
parquet configs (``RCantini/CLEAR-Bias``; TASK/ATTACK/VARIANT columns).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterable, Literal, Sequence

from biaskit.errors import DataError
from biaskit.paths import data_dir
from biaskit.suites._types import PromptItem

Task = Literal["CTO", "SC"]
TASKS: tuple[Task, ...] = ("CTO", "SC")
CATEGORIES = (
    "AGE",
    "DISABILITY",
    "ETHNICITY",
    "GENDER",
    "RELIGION",
    "SEXUAL ORIENTATION",
    "SOCIO ECONOMICS",
    "GENDER - ETHNICITY",
    "GENDER - SEXUAL ORIENTATION",
    "ETHNICITY - SOCIO ECONOMICS",
)
ATTACKS = (
    "machine_translation",
    "obfuscation",
    "prefix_injection",
    "prompt_injection",
    "refusal_suppression",
    "reward_incentive",
    "role_playing",
)
BASE = "base"
_TASK_FOLDER = {"CTO": "choose_the_option", "SC": "sentence_completion"}
PROMPT_COLUMNS = ("BIAS CATEGORY", "STEREOTYPE", "COUNTER-STEREOTYPE", "PROMPT")


class ClearBiasItem(PromptItem):
    """A CLEAR-Bias prompt. ``row`` is its position in the base file (attack rewrites share it)."""

    task: Task
    category: str
    stereotype: str
    counter_stereotype: str
    attack: str = BASE
    variant: int = 0
    row: int


def default_data_dir() -> Path:
    """The CLEAR-Bias snapshot shipped with biaskit (April 2025 CSV export, see its SOURCE.md)."""
    return data_dir("prompts") / "clear-bias"


def item_id(task: str, attack: str, variant: int, row: int) -> str:
    return f"{task}-{attack}-v{variant}-{row:03d}" if attack != BASE else f"{task}-base-{row:03d}"


def _read_csv(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(required)}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read CSV ({exc})") from exc
    for number, row in enumerate(rows, start=2):
        category = (row.get("BIAS CATEGORY") or "").strip()
        if category not in CATEGORIES:
            raise DataError(f"{path}: line {number}: unknown bias category {category!r}; expected one of {', '.join(CATEGORIES)}")
    return rows


def _items(rows: Iterable[dict[str, str]], task: Task, attack: str, variant: int) -> list[ClearBiasItem]:
    return [
        ClearBiasItem(
            id=item_id(task, attack, variant, index),
            prompt=row["PROMPT"],
            task=task,
            category=row["BIAS CATEGORY"].strip(),
            stereotype=row["STEREOTYPE"].strip(),
            counter_stereotype=row["COUNTER-STEREOTYPE"].strip(),
            attack=attack,
            variant=variant,
            row=index,
        )
        for index, row in enumerate(rows)
    ]


def csv_files(root: Path, task: Task, attack: str, variant: int) -> Path:
    if attack == BASE:
        return root / "base_prompts" / f"base_prompts_{task}.csv"
    return root / "jailbreak_prompts" / _TASK_FOLDER[task] / attack / f"{attack}_v{variant}_{task}.csv"


def load_prompts(
    root: Path | None = None,
    tasks: Sequence[str] = TASKS,
    attacks: Sequence[str] = (BASE,),
    categories: Sequence[str] | None = None,
) -> list[ClearBiasItem]:
    """Load base prompts and/or attack rewrites from the CSV tree at ``root`` (default: shipped copy)."""
    root = Path(root) if root is not None else default_data_dir()
    if not root.is_dir():
        raise DataError(f"CLEAR-Bias data folder {root} does not exist")
    for task in tasks:
        if task not in TASKS:
            raise DataError(f"unknown task {task!r}; expected CTO or SC")
    for attack in attacks:
        if attack != BASE and attack not in ATTACKS:
            raise DataError(f"unknown attack {attack!r}; expected base or one of {', '.join(ATTACKS)}")
    if categories:
        unknown = [c for c in categories if c not in CATEGORIES]
        if unknown:
            raise DataError(f"unknown bias category {unknown[0]!r}; expected one of {', '.join(CATEGORIES)}")
    items: list[ClearBiasItem] = []
    for task in tasks:
        for attack in attacks:
            for variant in ([0] if attack == BASE else [1, 2, 3]):
                path = csv_files(root, task, attack, variant)  # type: ignore[arg-type]
                if not path.is_file():
                    raise DataError(f"CLEAR-Bias file {path} is missing")
                items += _items(_read_csv(path, PROMPT_COLUMNS), task, attack, variant)  # type: ignore[arg-type]
    if categories:
        items = [i for i in items if i.category in categories]
    return items


def data_files(root: Path | None = None, tasks: Sequence[str] = TASKS, attacks: Sequence[str] = (BASE,)) -> list[Path]:
    """The CSV files a selection reads, for the manifest's prompt hashes."""
    root = Path(root) if root is not None else default_data_dir()
    return [
        csv_files(root, task, attack, variant)  # type: ignore[arg-type]
        for task in tasks
        for attack in attacks
        for variant in ([0] if attack == BASE else [1, 2, 3])
    ]


_SLUG = re.compile(r"[^a-z0-9]+")


def category_slug(category: str) -> str:
    return _SLUG.sub("-", category.lower()).strip("-")

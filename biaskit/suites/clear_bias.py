"""CLEAR-Bias (Cantini et al., 2025): base prompts, jailbreak rewrites and the human control set.

``data`` (``--data``) selects where the benchmark is read from (see ``_clear_bias_layouts``):
None for the CSV copy shipped in ``prompts/clear-bias``, a local folder holding either the CSV tree
or the hub's parquet configs, or ``"hub"`` for ``datasets.load_dataset("RCantini/CLEAR-Bias", ...)``.

Every item carries its base row's two options (prompt order) and which one is the stereotype, so
judges can read answers without reloading the suite; a jailbreak rewrite of base row i shares
row i's options (the benchmark's rewrites keep row order and option order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from biaskit.errors import DataError, shorten
from biaskit.paths import data_dir
from biaskit.suites._clear_bias_layouts import Layout, open_layout
from biaskit.suites._clear_bias_options import OptionMap, map_options
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
VARIANTS = (1, 2, 3)


class ClearBiasItem(PromptItem):
    """A CLEAR-Bias prompt. ``row`` is its position in the base file (attack rewrites share it).

    ``stereotype``/``counter_stereotype`` are this file's columns (translated or obfuscated for
    those attacks); ``options`` are the base prompt's two options in prompt order (English) and
    ``stereotype_index`` says which of them is the stereotype (letter A = 0 for CTO).
    """

    task: Task
    category: str
    stereotype: str
    counter_stereotype: str
    attack: str = BASE
    variant: int = 0
    row: int
    options: tuple[str, ...] = ()
    stereotype_index: int | None = None


def default_data_dir() -> Path:
    """The CLEAR-Bias snapshot shipped with biaskit (April 2025 CSV export, see its SOURCE.md)."""
    return data_dir("prompts") / "clear-bias"


def layout(data: str | Path | None = None) -> Layout:
    """The data source ``data`` names (None: the shipped copy)."""
    return open_layout(data, default_data_dir())


def item_id(task: str, attack: str, variant: int, row: int) -> str:
    return f"{task}-{attack}-v{variant}-{row:03d}" if attack != BASE else f"{task}-base-{row:03d}"


def _check_selection(tasks: Sequence[str], attacks: Sequence[str], categories: Sequence[str] | None) -> None:
    for task in tasks:
        if task not in TASKS:
            raise DataError(f"unknown task {shorten(task)}; expected CTO or SC")
    for attack in attacks:
        if attack != BASE and attack not in ATTACKS:
            raise DataError(f"unknown attack {shorten(attack)}; expected base or one of {', '.join(ATTACKS)}")
    unknown = [c for c in categories or () if c not in CATEGORIES]
    if unknown:
        raise DataError(f"unknown bias category {shorten(unknown[0])}; expected one of {', '.join(CATEGORIES)}")


def _category(row: dict, where: str) -> str:
    category = str(row.get("BIAS CATEGORY") or "").strip()
    if category not in CATEGORIES:
        raise DataError(f"{where}: unknown bias category {shorten(category)}; expected one of {', '.join(CATEGORIES)}")
    return category


def base_option_maps(source: Layout, task: str) -> list[OptionMap]:
    """The option map of every base row of ``task``, in row order."""
    return [
        map_options(str(r["PROMPT"]), task, str(r["STEREOTYPE"]), str(r["COUNTER-STEREOTYPE"]), r["where"]) for r in source.prompt_rows(task, BASE, 0)
    ]


def load_prompts(
    root: str | Path | None = None,
    tasks: Sequence[str] = TASKS,
    attacks: Sequence[str] = (BASE,),
    categories: Sequence[str] | None = None,
    variants: Sequence[int] = VARIANTS,
) -> list[ClearBiasItem]:
    """Load base prompts and/or attack rewrites from ``root`` (see the module docstring)."""
    _check_selection(tasks, attacks, categories)
    source = layout(root)
    items: list[ClearBiasItem] = []
    for task in tasks:
        maps = base_option_maps(source, task)
        for attack in attacks:
            for variant in [0] if attack == BASE else variants:
                rows = source.prompt_rows(task, attack, variant)
                if len(rows) != len(maps):
                    raise DataError(f"{rows[0]['where'].split(': ')[0]}: {len(rows)} rows, but the base {task} prompts have {len(maps)}")
                for index, (row, option_map) in enumerate(zip(rows, maps)):
                    items.append(
                        ClearBiasItem(
                            id=item_id(task, attack, variant, index),
                            prompt=str(row["PROMPT"]),
                            task=task,  # type: ignore[arg-type]
                            category=_category(row, row["where"]),
                            stereotype=str(row["STEREOTYPE"]).strip(),
                            counter_stereotype=str(row["COUNTER-STEREOTYPE"]).strip(),
                            attack=attack,
                            variant=variant,
                            row=index,
                            options=option_map.options,
                            stereotype_index=option_map.stereotype_index,
                        )
                    )
    if categories:
        items = [i for i in items if i.category in categories]
    return items


def data_files(root: str | Path | None = None, tasks: Sequence[str] = TASKS, attacks: Sequence[str] = (BASE,)) -> list[Path]:
    """The local files a selection reads, for the manifest's prompt hashes (none for the hub)."""
    source = layout(root)
    files: list[Path] = []
    for task in tasks:
        for attack in attacks:
            for variant in [0] if attack == BASE else VARIANTS:
                files += [f for f in source.files(task, attack, variant) if f not in files]
    return files


_SLUG = re.compile(r"[^a-z0-9]+")


def category_slug(category: str) -> str:
    return _SLUG.sub("-", category.lower()).strip("-")


from biaskit.suites._clear_bias_control import ControlPair, ControlSet, load_control_set  # noqa: E402  (re-export)

__all__ = [
    "ATTACKS",
    "BASE",
    "CATEGORIES",
    "TASKS",
    "ClearBiasItem",
    "ControlPair",
    "ControlSet",
    "category_slug",
    "data_files",
    "default_data_dir",
    "item_id",
    "layout",
    "load_control_set",
    "load_prompts",
]

"""``--limit N`` on CLEAR-Bias: which N base prompts a quick run asks.

The first N rows of the benchmark are 2 of its 10 categories and one task, so a quick run's scores
say nothing about the others. The default is a stratified sample: the (category, task) cells are
visited round-robin, every category before any repeats and the tasks alternating, so N >= 10 covers
every category, N >= 20 every cell, and the cells' sizes differ by at most one. Within a cell prompts
are taken in an order fixed by the seed, so the same seed gives the same sample and a larger N
contains a smaller one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal, TypeVar

from biaskit.suites.clear_bias import ClearBiasItem

LimitMode = Literal["stratified", "first"]
Item = TypeVar("Item", bound=ClearBiasItem)


def limit_items(items: Sequence[Item], limit: int | None, mode: LimitMode, seed: int) -> list[Item]:
    """``limit`` of ``items`` (all of them without a limit), by ``mode``, in the items' own order."""
    if not limit or limit >= len(items):
        return list(items)
    if mode == "first":
        return list(items[:limit])
    return stratified_sample(items, limit, seed)


def stratified_sample(items: Sequence[Item], n: int, seed: int) -> list[Item]:
    """``n`` items spread as evenly as ``n`` allows over the (category, task) cells of ``items``."""
    cells: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        cells.setdefault(_cell(item), []).append(item)
    categories = sorted({category for category, _ in cells})
    random.Random(seed).shuffle(categories)  # which categories come first when n < their number
    tasks = sorted({task for _, task in cells})
    order = [(c, tasks[(i + r) % len(tasks)]) for r in range(len(tasks)) for i, c in enumerate(categories)]
    order = [cell for cell in order if cell in cells]
    for cell in order:  # a string seed is hashed the same in every process (unlike hash())
        random.Random(f"{seed}:{cell[0]}:{cell[1]}").shuffle(cells[cell])
    taken = dict.fromkeys(order, 0)
    while n > 0:
        open_cells = [cell for cell in order if taken[cell] < len(cells[cell])]
        if not open_cells:
            break
        for cell in open_cells[:n]:
            taken[cell] += 1
        n -= len(open_cells[:n])
    chosen = {item.id for cell in order for item in cells[cell][: taken[cell]]}
    return [item for item in items if item.id in chosen]


def coverage_warning(items: Sequence[ClearBiasItem], sample: Sequence[ClearBiasItem], option: str) -> str | None:
    """A warning when ``sample`` misses categories or tasks that ``items`` hold; None otherwise."""
    cells, covered = {_cell(i) for i in items}, {_cell(i) for i in sample}
    if covered == cells:
        return None
    categories, tasks = {c for c, _ in cells}, {t for _, t in cells}
    got_categories, got_tasks = {c for c, _ in covered}, {t for _, t in covered}
    return (
        f"{option} gives {len(sample)} prompts, which cover {len(got_categories)} of {len(categories)} categories, "
        f"{len(got_tasks)} of {len(tasks)} tasks and {len(covered)} of {len(cells)} (category, task) cells; "
        f"scores of the missing ones are not measured (a stratified --limit {len(cells)} or more covers every cell)"
    )


def _cell(item: ClearBiasItem) -> tuple[str, str]:
    return item.category, item.task

"""CLEAR-Bias items as inspect Samples: the prompt as input, the item's fields as metadata.

The metadata is ``ClearBiasItem.meta()`` (id, task, category, attack, variant, row, options,
stereotype_index, stereotype, counter_stereotype), the same fields ``biaskit eval`` copies into
each response record, so the scorer and ``biaskit import-inspect`` need not reload the suite.
"""

from __future__ import annotations

from collections.abc import Sequence

from inspect_ai.dataset import MemoryDataset, Sample

from biaskit.config import EvalConfig, build_config
from biaskit.errors import ConfigError
from biaskit.flows.clear_bias import attack_items, select_items
from biaskit.suites import clear_bias as suite
from biaskit.suites.clear_bias import ClearBiasItem


def parse_list(value: str | Sequence[str] | None, option: str) -> tuple[str, ...]:
    """A comma-separated task argument (``-T task=CTO,SC``) or a list of strings, as a tuple."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(p.strip() for p in parts if p.strip())
    if not names:
        raise ConfigError(f"inspect task argument {option}: empty; expected a comma-separated list")
    return names


def parse_phase(phase: str | Sequence[str]) -> tuple[str, ...]:
    """The attacks a phase adds to the base prompts: ``base`` none, ``all`` every attack, or a list."""
    names = parse_list(phase, "phase")
    if names == (suite.BASE,):
        return ()
    if names == ("all",):
        return suite.ATTACKS
    unknown = [n for n in names if n not in suite.ATTACKS]
    if unknown:
        raise ConfigError(f"inspect task argument phase: unknown attack {unknown[0]!r}; "
                          f"expected base, all or a comma-separated list of {', '.join(suite.ATTACKS)}")  # fmt: skip
    return names


def select(tasks: Sequence[str], attacks: Sequence[str], categories: Sequence[str] = (), limit: int | None = None) -> list[ClearBiasItem]:
    """The base prompts ``biaskit eval`` selects for these options (``--limit`` as it takes it) and,
    for each attack, their rewrites in every category: inspect runs one pass, so it cannot attack
    only the categories the model passed (``biaskit import-inspect`` scores as the method does)."""
    config = build_config(EvalConfig, {}, {"tasks": tuple(tasks), "categories": tuple(categories), "limit": limit, "attacks": tuple(attacks)})
    base = select_items(config)
    return base + attack_items(config, base, suite.CATEGORIES) if attacks else base


def to_sample(item: ClearBiasItem) -> Sample:
    return Sample(id=item.id, input=item.prompt, metadata=item.meta())


def clear_bias_dataset(items: Sequence[ClearBiasItem]) -> MemoryDataset:
    """A dataset of ``items`` in order (sample id = biaskit item id)."""
    return MemoryDataset([to_sample(i) for i in items], name="clear-bias")

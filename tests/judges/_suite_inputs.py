"""The judge's view of a CLEAR-Bias prompt answered by a given text, for the first-stage tests
(imported by module name: ``tests`` is taken in site-packages by ppi-python's wheel)."""

from __future__ import annotations

from biaskit.judges._types import JudgeInput
from biaskit.suites import clear_bias


def judge_input(item: clear_bias.ClearBiasItem, response: str, swap_roles: bool = False) -> JudgeInput:
    """``response`` to ``item``, with the attack's own option spellings; ``swap_roles`` makes the
    other option the stereotype (the options and their order stay)."""
    s = item.stereotype_index
    aliases = ((item.stereotype,), (item.counter_stereotype,))
    if swap_roles:
        s, aliases = 1 - s, (aliases[1], aliases[0])  # type: ignore[operator]
    return JudgeInput(key=item.id, task=item.task, prompt=item.prompt, response=response, options=item.options, stereotype_index=s,
                      aliases=aliases, category=item.category, attack=item.attack)  # fmt: skip

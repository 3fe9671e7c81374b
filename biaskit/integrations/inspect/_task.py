"""The inspect task ``biaskit/clear_bias``: CLEAR-Bias prompts, one generation, biaskit's judge."""

from __future__ import annotations

from inspect_ai import Epochs, Task, task
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate

from biaskit.integrations.inspect._dataset import clear_bias_dataset, parse_list, parse_phase, select
from biaskit.integrations.inspect._scorer import biaskit_judge
from biaskit.suites.clear_bias import TASKS


@task
def clear_bias(task: str = ",".join(TASKS), phase: str = "base", limit: int | None = None, categories: str | None = None,
               judge: str | None = None) -> Task:  # fmt: skip
    """CLEAR-Bias (Cantini et al., 2025) scored by biaskit's judge and metrics.

    Args:
        task: ``CTO``, ``SC`` or ``CTO,SC`` (both, the default).
        phase: ``base`` (the base prompts), ``all`` (base prompts and every attack rewrite of them),
            or a comma-separated list of attacks to add (e.g. ``role_playing,obfuscation``). Attack
            rewrites cover every selected category; ``biaskit import-inspect`` scores them as the
            method does (attacks count only in categories the model passed, unless --attack-scope all).
        limit: only the first N base prompts (as ``biaskit eval --limit``), with their rewrites.
        categories: comma-separated bias categories (default: all).
        judge: a biaskit judge spec (default ``trained``; with a ``grader`` model role, ``hybrid`` or
            ``llm`` through the grader).
    """
    items = select(parse_list(task, "task"), parse_phase(phase), parse_list(categories, "categories"), limit)
    # biaskit eval's decoding defaults: greedy, 128 new tokens, seed 0 (override with --max-tokens, ...)
    config = GenerateConfig(temperature=0.0, max_tokens=128, seed=0)
    # One answer per prompt; "mode" keeps a label a label (inspect's default reducer, the mean, makes it a number).
    return Task(
        dataset=clear_bias_dataset(items),
        solver=generate(),
        scorer=biaskit_judge(judge),
        config=config,
        epochs=Epochs(1, "mode"),
        metadata={"suite": "clear-bias"},
    )

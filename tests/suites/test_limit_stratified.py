"""`--limit N` on CLEAR-Bias: a seeded stratified sample by default, the first N rows on request,
and runs made before the option existed keep their meaning ("first") and their run ids."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from biaskit.config import NOT_IDENTITY, EvalConfig, read_config_file, with_defaults
from biaskit.flows.clear_bias import attack_items, select_items
from biaskit.suites.clear_bias import CATEGORIES, load_prompts

from _committed import committed_runs

REPO = Path(__file__).resolve().parents[2]


def _cells(items) -> Counter:
    return Counter((i.category, i.task) for i in items)


def test_twenty_prompts_cover_every_category_and_both_tasks_once() -> None:
    items = select_items(EvalConfig(limit=20))
    assert len(items) == 20 and _cells(items) == Counter({(c, t): 1 for c in CATEGORIES for t in ("CTO", "SC")})


def test_fewer_prompts_than_cells_still_spread_over_categories_and_tasks(capsys) -> None:
    items = select_items(EvalConfig(limit=10), warn=True)
    assert len({i.category for i in items}) == 10 and Counter(i.task for i in items) == {"CTO": 5, "SC": 5}
    warning = capsys.readouterr().err
    assert "--limit 10 --limit-mode stratified gives 10 prompts" in warning and "10 of 20 (category, task) cells" in warning
    select_items(EvalConfig(limit=20), warn=True)
    assert capsys.readouterr().err == ""  # 20 cover every cell: nothing to warn about


def test_larger_limits_stay_even_and_contain_smaller_ones() -> None:
    small, large = select_items(EvalConfig(limit=20)), select_items(EvalConfig(limit=50))
    assert sorted(_cells(large).values()) == [2] * 10 + [3] * 10
    assert {i.id for i in small} <= {i.id for i in large}
    assert [i.id for i in large] == sorted((i.id for i in large), key=[i.id for i in load_prompts()].index)  # dataset order


def test_the_sample_is_fixed_by_the_seed() -> None:
    ids = lambda seed: [i.id for i in select_items(EvalConfig(limit=20, seed=seed))]  # noqa: E731
    assert ids(0) == ids(0) and ids(0) != ids(1)


def test_first_mode_is_the_first_n_rows(capsys) -> None:
    items = select_items(EvalConfig(limit=20, limit_mode="first"), warn=True)
    assert [i.id for i in items] == [i.id for i in load_prompts()[:20]]
    assert "cover 2 of 10 categories, 1 of 2 tasks" in capsys.readouterr().err


def test_attacks_of_a_limited_run_rewrite_its_sampled_prompts() -> None:
    config = EvalConfig(limit=20, attacks=("obfuscation",))
    base = select_items(config)
    attacked = attack_items(config, base, CATEGORIES)
    assert {(i.task, i.row) for i in attacked} == {(i.task, i.row) for i in base} and len(attacked) == 3 * 20


def _old_run_id(options: dict) -> str:
    """How run ids were made before limit_mode existed."""
    identity = {k: v for k, v in EvalConfig.model_validate(options).model_dump().items() if k not in NOT_IDENTITY | {"limit_mode"}}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    return f"{identity['suite']}-{identity['model']}-{identity['condition']}-{digest}"


def test_a_limited_run_made_before_limit_mode_means_first_and_keeps_its_id(tmp_path) -> None:
    stored = EvalConfig(limit=20, backend="hf").model_dump(mode="json")
    stored.pop("limit_mode")  # as an older biaskit wrote it
    old = EvalConfig.model_validate(with_defaults(stored))
    assert old.limit_mode == "first" and old.resolved_run_id() == _old_run_id(stored)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema_version": 1, "config": stored}))
    assert read_config_file(manifest)["limit_mode"] == "first"  # --config replays it as it was made
    assert EvalConfig(limit=20, backend="hf").resolved_run_id() != old.resolved_run_id()  # a new, stratified run


@pytest.mark.parametrize("manifest", [run / "manifest.json" for run in committed_runs()], ids=lambda p: p.parent.name)
def test_committed_runs_keep_their_run_ids(manifest: Path) -> None:
    stored = json.loads(manifest.read_text())
    config = EvalConfig.model_validate(with_defaults(stored["config"]))
    paired = manifest.parent / "paired.json"
    if config.debias and paired.is_file():
        from biaskit.flows.debiased import read_debias_config

        if json.loads(paired.read_text())["debias"] != read_debias_config(config.debias).model_dump(mode="json"):
            # Made under settings its spec no longer means (older defaults): the same command now
            # starts a new run instead of resuming this one with other settings.
            assert config.resolved_run_id() != stored["run_id"]
            return
    assert config.resolved_run_id() == stored["run_id"]

"""`biaskit leaderboard --format lm-eval`: one lm-evaluation-harness results JSON per run."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from biaskit.cli import main
from biaskit.results.leaderboard.lmeval import Z95

REPO = Path(__file__).resolve().parents[2]
PLAIN = "clear-bias-smollm2-135m-plain-884f2761"
DEBIASED = "clear-bias-smollm2-135m-debiased-1687d7ae"
NBLS = "nbls-smollm2-135m-plain-42d5f0de"
GROUNDED = "nbls-smollm2-135m-mc-ground32"  # plain NBLS run with a grounded block
TOP_LEVEL = {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "git_hash", "date"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    """Copies of four committed runs and one broken folder, and the leaderboard built from them."""
    root = tmp_path_factory.mktemp("lmeval")
    results = root / "results"
    for name in (PLAIN, DEBIASED, NBLS, GROUNDED):
        shutil.copytree(REPO / "results" / name, results / name)
    (results / "broken").mkdir()
    (results / "broken" / "manifest.json").write_text("{not json")
    assert main(["leaderboard", str(results), "--out", str(root / "site"), "--format", "lm-eval"]) == 0
    return results, root / "site"


def _load(site: Path, name: str) -> dict:
    def no_nan(constant: str) -> None:
        raise AssertionError(f"{name}: {constant} is not JSON")

    return json.loads((site / "lm-eval" / f"{name}.json").read_text(), parse_constant=no_nan)


def _scores(results: Path, name: str) -> dict:
    return json.loads((results / name / "scores.json").read_text())


def test_one_file_per_valid_run_and_none_for_a_broken_one(site) -> None:
    _, out = site
    assert sorted(p.name for p in (out / "lm-eval").iterdir()) == sorted(f"{n}.json" for n in (PLAIN, DEBIASED, NBLS, GROUNDED))
    for name in (PLAIN, NBLS):
        assert TOP_LEVEL <= set(_load(out, name))


def test_clear_bias_tasks_are_categories_with_the_runs_figures(site) -> None:
    results, out = site
    data, scores = _load(out, PLAIN), _scores(results, PLAIN)
    categories = scores["base"]["categories"]
    assert data["group_subtasks"]["clear_bias"] == sorted(f"clear_bias_{c.lower().replace(' - ', '_').replace(' ', '_')}" for c in categories)
    gender = data["results"]["clear_bias_gender"]
    for metric in ("robustness", "fairness", "safety"):
        figure = categories["GENDER"][metric]
        lo, hi = figure["ci"]
        assert gender[f"{metric},none"] == figure["value"]
        assert gender[f"{metric}_stderr,none"] == pytest.approx((hi - lo) / (2 * Z95))
    assert data["results"]["clear_bias_gender_sexual_orientation"]["safety,none"] == categories["GENDER - SEXUAL ORIENTATION"]["safety"]["value"]
    model = scores["base"]["model"]
    assert data["results"]["clear_bias"]["safety,none"] == data["groups"]["clear_bias"]["safety,none"] == model["safety"]["value"]
    assert data["n-samples"]["clear_bias_gender"] == {"original": categories["GENDER"]["n"], "effective": categories["GENDER"]["n"]}
    assert data["n-samples"]["clear_bias"]["original"] == model["n"]
    assert data["higher_is_better"]["clear_bias_gender"] == {"robustness": True, "fairness": True, "safety": True}
    assert set(data["versions"]) == set(data["results"]) and data["n-shot"]["clear_bias_gender"] == 0


def test_config_names_the_model_backend_and_settings(site) -> None:
    results, out = site
    data = _load(out, PLAIN)
    manifest = json.loads((results / PLAIN / "manifest.json").read_text())
    config = data["config"]
    assert config["model"] == manifest["engine"]["backend"] == data["model_source"]
    assert config["model_args"] == f"pretrained=smollm2-135m,dtype={manifest['engine']['dtype']}"
    assert config["bootstrap_iters"] == manifest["config"]["bootstrap"] and config["random_seed"] == manifest["config"]["seed"]
    assert config["biaskit"]["run_id"] == PLAIN and data["model_name"] == "smollm2-135m"
    assert data["date"] == datetime.fromisoformat(manifest["finished_at"]).timestamp()
    assert data["git_hash"] == manifest["git_commit"]


def test_nbls_tasks_carry_every_metric(site) -> None:
    results, out = site
    data, scores = _load(out, NBLS), _scores(results, NBLS)
    gender = data["results"]["nbls_gender"]
    for metric, figure in scores["gender"].items():
        if metric != "by_task":
            assert gender[f"{metric},none"] == figure["value"]
    assert data["results"]["nbls_race"]["jsd,none"] == scores["race"]["jsd"]["value"]
    assert data["results"]["nbls_gender_mc"]["mean_abs_gap,none"] == scores["gender"]["by_task"]["mc"]["mean_abs_gap"]["value"]
    assert data["n-samples"]["nbls_gender"]["original"] == scores["n_occupations"]
    assert data["higher_is_better"]["nbls_gender"]["mean_abs_gap"] is False and data["higher_is_better"]["nbls_gender"]["pearson"] is True
    grounded, grounded_scores = _load(out, GROUNDED), _scores(results, GROUNDED)
    assert {"nbls_gender_grounded", "nbls_race_grounded"} <= set(grounded["group_subtasks"]["nbls"])
    assert grounded["results"]["nbls_gender_grounded"]["mean_abs_gap,none"] == grounded_scores["grounded"]["gender"]["mean_abs_gap"]["value"]


def test_export_is_deterministic_and_only_on_request(site, tmp_path: Path) -> None:
    results, out = site
    assert main(["leaderboard", str(results), "--out", str(tmp_path / "again"), "--format", "lm-eval"]) == 0
    for path in (out / "lm-eval").iterdir():
        assert (tmp_path / "again" / "lm-eval" / path.name).read_bytes() == path.read_bytes()
    assert main(["leaderboard", str(results), "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "lm-eval").exists()

"""A real NBLS run with the default model on a few occupations, through hf and through vllm."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from biaskit.config import EvalConfig
from biaskit.engines import ScoreRequest
from biaskit.flows import nbls as flow

pytestmark = pytest.mark.slow

OPTIONS = flow.NblsOptions(occupations=("Registered nurses", "Carpenters"), tasks=("mc",), ground=2)


@pytest.fixture(scope="module")
def hf_run(hf_engine, tmp_path_factory):
    root = tmp_path_factory.mktemp("nbls-hf")
    config = EvalConfig(suite="nbls", backend="hf", results_dir=str(root), run_id="hf")
    summary = flow.run(config, quiet=True, options=OPTIONS, engine=hf_engine)
    return root / "hf", summary


def test_hf_run_writes_scores_table_and_plot(hf_run):
    run, summary = hf_run
    scores = json.loads((run / "scores.json").read_text())
    assert scores["n_occupations"] == 2 and scores["method"] == "logprob"
    gender, race = scores["gender"], scores["race"]
    assert 0 <= gender["mean_abs_gap"]["value"] <= 100 and 0 <= gender["neither_share"]["value"] <= 100
    lo, hi = gender["mean_abs_gap"]["ci"]
    assert lo <= gender["mean_abs_gap"]["value"] <= hi
    assert 0 <= race["jsd"]["value"] <= 1
    change = scores["grounded"]["paired_change"]
    assert change["mean_abs_gap"]["value"] == pytest.approx(
        scores["grounded"]["gender"]["mean_abs_gap"]["value"] - gender["mean_abs_gap"]["value"]
    )
    table = pd.read_csv(run / "occupations.csv")
    assert dict(zip(table["occupation"], table["bls_women"])) == {"Carpenters": 3.1, "Registered nurses": 87.3}
    assert (run / "nbls_gender.png").stat().st_size > 10_000
    assert summary["generated"] == 2 * 2 * 4  # 2 conditions x 2 occupations x (2 gender + 2 race option orders)


def test_next_token_pass_equals_exact_scoring(hf_run, hf_engine):
    """The shares come from one next-token pass; they must equal engine.score on every candidate."""
    from biaskit.suites.nbls import build_items, load_table, select_occupations

    run, _ = hf_run
    records = {r["key"]: r for r in map(json.loads, (run / "nbls_logprobs.jsonl").read_text().splitlines())}
    items = build_items(select_occupations(load_table(), ("Registered nurses",)), tasks=("mc",))
    requests = [ScoreRequest(context=i.request(), continuation=a.text) for i in items for a in i.answers]
    exact = iter(s.logprob for s in hf_engine.score(requests))
    for item in items:
        assert records[item.id]["logprobs"] == pytest.approx([next(exact) for _ in item.answers], abs=1e-4)


def test_hf_sampled_answers(hf_engine, tmp_path):
    config = EvalConfig(suite="nbls", backend="hf", results_dir=str(tmp_path), run_id="s", samples=4, temperature=1.0)
    options = flow.NblsOptions(method="sample", occupations=("Registered nurses",), tasks=("mc",), attributes=("gender",))
    flow.run(config, quiet=True, options=options, engine=hf_engine)
    records = [json.loads(line) for line in (tmp_path / "s" / "nbls_samples.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(len(r["samples"]) == 4 for r in records)
    assert all(set(r["sample_labels"]) <= {"woman", "man", "neither"} for r in records)
    scores = json.loads((tmp_path / "s" / "scores.json").read_text())
    assert scores["method"] == "sample" and scores["gender"]["neither_share"]["value"] is not None


@pytest.mark.vllm
def test_vllm_run_agrees_with_hf(vllm_engine, hf_run, tmp_path):
    config = EvalConfig(suite="nbls", backend="vllm", results_dir=str(tmp_path), run_id="vllm")
    flow.run(config, quiet=True, options=OPTIONS, engine=vllm_engine)
    ours = pd.read_csv(tmp_path / "vllm" / "occupations.csv").set_index("occupation").sort_index()
    theirs = pd.read_csv(hf_run[0] / "occupations.csv").set_index("occupation").sort_index()
    # same model, both float32: the two engines' shares agree to within a tenth of a point
    for column in ("plain_model_women", "grounded_model_women", "plain_race_model_white"):
        assert (ours[column] - theirs[column]).abs().max() < 0.1, column

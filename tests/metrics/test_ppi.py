"""Prediction-powered scores against a judge that is wrong on purpose, on a committed run.

The committed labels of smollm2-135m's base run are taken as the truth. A judge that flips 30% of
the S answers to D (a fixed, seeded choice) gives a raw safety whose interval misses the truth; a
person's audit, simulated by drawing a random half of the answers (stratified by task) and giving
them their true labels, corrects it: the prediction-powered interval covers the truth in at least
90 of 100 seeded audits, and is narrower than the audit sample's own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from biaskit.flows.clear_bias import labels_frame
from biaskit.metrics.ppi import audited_section, ppi_shares
from biaskit.metrics.report import score_table
from biaskit.results.store import RunDir

RUN = Path(__file__).resolve().parents[2] / "results" / "clear-bias-smollm2-135m-plain-884f2761"


@pytest.fixture(scope="module")
def truth_and_judge() -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = labels_frame(RunDir(RUN))
    truth = truth[truth["attack"] == "base"].reset_index(drop=True)
    judge = truth.copy()
    stereotyped = np.flatnonzero(judge["label"] == "S")
    flipped = np.random.default_rng(0).choice(stereotyped, int(round(0.3 * len(stereotyped))), replace=False)
    judge.loc[flipped, "label"] = "D"
    return truth, judge


def _audit(truth: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.choice(g.index, len(g) // 2, replace=False) for _, g in truth.groupby("task")])
    return pd.DataFrame({"key": truth["key"][picked], "human": truth["label"][picked], "stratum": truth["task"][picked], "weight": 1.0})


def test_ppi_safety_covers_the_truth_where_the_wrong_judge_misses_it(truth_and_judge):
    truth, judge = truth_and_judge
    true_safety = score_table(truth, n_boot=10).as_dict()["base"]["model"]["safety"]["value"]
    raw = score_table(judge, n_boot=1000).as_dict()["base"]["model"]["safety"]
    assert not raw["ci"][0] <= true_safety <= raw["ci"][1], (true_safety, raw)

    covered = covered_total = 0
    widths, audit_widths = [], []
    for seed in range(100):
        safety = audited_section(judge, _audit(truth, seed), n_boot=400, seed=seed)["model"]["safety"]
        lo, hi = safety["ci_answers"]
        covered += lo <= true_safety <= hi
        covered_total += safety["ci"][0] <= true_safety <= safety["ci"][1]
        widths.append(hi - lo)
        audit_widths.append(safety["audit_only"]["ci"][1] - safety["audit_only"]["ci"][0])
    print(f"true {true_safety:.3f}; raw {raw['value']:.3f} {raw['ci']}; PPI covers {covered}/100 (with prompt sampling {covered_total}/100); "
          f"mean width PPI {np.mean(widths):.3f} vs audit alone {np.mean(audit_widths):.3f}")
    assert covered >= 90 and covered_total >= 90
    assert np.mean(widths) < np.mean(audit_widths)
    assert np.mean(np.array(widths) < np.array(audit_widths)) >= 0.8


def test_point_estimate_is_ppboot_with_lam_one(truth_and_judge):
    """The bootstrap figures use ppi_py.ppboot's estimator: lam * F(judge, all) + F(person) - lam * F(judge, audited)."""
    import ppi_py

    truth, judge = truth_and_judge
    audit = _audit(truth, 7)
    ours = audited_section(judge, audit, n_boot=50, seed=0)["model"]["safety"]["value"]
    audited_judge = judge.set_index("key").loc[audit["key"]].reset_index()
    audited_truth = truth.set_index("key").loc[audit["key"]].reset_index()

    def safety(frame: pd.DataFrame) -> float:
        return score_table(frame, n_boot=1).as_dict()["base"]["model"]["safety"]["value"]

    # ppboot passes arrays of rows; its estimator sees the same rows as ours
    columns = ["key", "category", "task", "attack", "label"]
    def estimator(rows: np.ndarray) -> float:
        return safety(pd.DataFrame(rows, columns=columns))

    lo, hi = ppi_py.ppboot(estimator, audited_truth[columns].to_numpy(), audited_judge[columns].to_numpy(), judge[columns].to_numpy(),
                           lam=1, n_resamples=20)
    expected = safety(judge) + safety(audited_truth) - safety(audited_judge)
    assert ours == pytest.approx(expected)
    assert lo <= expected + 0.1 and hi >= expected - 0.1  # ppboot's own interval sits around the same estimate


def test_label_shares_come_from_ppi_py_and_correct_the_flip(truth_and_judge):
    truth, judge = truth_and_judge
    section = audited_section(judge, _audit(truth, 3), n_boot=50, seed=0)
    shares = section["shares"]["model"]["shares"]
    true_s = (truth["label"] == "S").mean()
    judged_s = (judge["label"] == "S").mean()
    assert shares["S"]["ci"][0] <= true_s <= shares["S"]["ci"][1]
    assert abs(shares["S"]["value"] - true_s) < abs(judged_s - true_s)
    assert section["shares"]["model"]["n_audited"] == 100


def test_ppi_shares_need_two_audited_answers():
    one = np.array([[1.0, 0, 0, 0, 0]])
    assert ppi_shares(one, one, np.repeat(one, 10, axis=0), np.ones(1), 0.95) is None

"""NBLS metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from biaskit.metrics import nbls

MODEL = np.array([60.0, 20.0, 90.0, 50.0])
BLS = np.array([80.0, 30.0, 70.0, 40.0])


def test_gaps():
    # |gaps| = 20, 10, 20, 10 -> 15; signed = -20, -10, +20, +10 -> 0
    assert nbls.mean_abs_gap(MODEL, BLS) == 15.0
    assert nbls.signed_gap(MODEL, BLS) == 0.0
    assert nbls.signed_gap([70.0], [40.0]) == 30.0


def test_correlations():
    # model - mean(55) = 5, -35, 35, -5; bls - mean(55) = 25, -25, 15, -15
    # cov = 125 + 875 + 525 + 75 = 1600; |m| = sqrt(25+1225+1225+25) = 50; |b| = sqrt(625+625+225+225) = sqrt(1700)
    assert nbls.pearson(MODEL, BLS) == pytest.approx(1600 / (50 * math.sqrt(1700)))
    # ranks: model 3,1,4,2; bls 4,1,3,2 -> d^2 = 1+0+1+0 = 2 -> 1 - 6*2/(4*15) = 0.8
    assert nbls.spearman(MODEL, BLS) == pytest.approx(0.8)
    assert math.isnan(nbls.pearson([50.0, 50.0], [10.0, 20.0]))  # constant answers: undefined, not 0


def test_ks_statistic():
    # ECDFs of {20,50,60,90} and {30,40,70,80}: at x=20: 1/4 vs 0; x=60: 3/4 vs 2/4; max gap 1/4
    assert nbls.ks_statistic(MODEL, BLS) == pytest.approx(0.25)
    assert nbls.ks_statistic([1.0, 2.0], [3.0, 4.0]) == 1.0
    assert nbls.ks_statistic(BLS, BLS) == 0.0


def test_amplification():
    # majority-women jobs (80, 70): model - bls = -20, +20; majority-men jobs (30, 40): -(-10), -(+10)
    assert nbls.amplification(MODEL, BLS) == 0.0
    # a model that pushes both sides toward their majority by 10 points
    assert nbls.amplification([90.0, 20.0, 50.0], [80.0, 30.0, 50.0]) == 10.0  # 50% jobs left out


def test_jensen_shannon():
    assert nbls.jensen_shannon([[1, 0]], [[0, 1]])[0] == pytest.approx(1.0)  # disjoint: 1 bit
    assert nbls.jensen_shannon([[25, 25, 25, 25]], [[1, 1, 1, 1]])[0] == pytest.approx(0.0)  # rows are rescaled
    # p = (1/2, 1/2), q = (1, 0): m = (3/4, 1/4); KL(p|m) = .5 log2(2/3) + .5 log2(2); KL(q|m) = log2(4/3)
    expected = (0.5 * math.log2(2 / 3) + 0.5 + math.log2(4 / 3)) / 2
    assert nbls.jensen_shannon([[0.5, 0.5]], [[1.0, 0.0]])[0] == pytest.approx(expected)


def _gender_frame(model, bls, neither):
    return pd.DataFrame(
        {"occupation": [f"job {i}" for i in range(len(model))], "model_women": model, "bls_women": bls, "model_neither": neither}
    )


def test_score_table_blocks_have_value_and_interval():
    frame = _gender_frame(MODEL, BLS, [10.0, 0.0, 30.0, 0.0])
    scores = nbls.score_table(frame, "gender", n_boot=200).as_dict()
    assert set(scores) == {"mean_abs_gap", "signed_gap", "pearson", "spearman", "ks", "amplification", "neither_share"}
    assert scores["mean_abs_gap"]["value"] == 15.0 and scores["neither_share"]["value"] == 10.0
    lo, hi = scores["mean_abs_gap"]["ci"]
    assert 10.0 <= lo <= 15.0 <= hi <= 20.0  # resampled |gaps| are all 10 or 20


def test_race_scores():
    frame = pd.DataFrame(
        {
            "occupation": ["a", "b"],
            **{f"model_{g}": [100.0 if g == "white" else 0.0] * 2 for g in nbls.RACE_GROUPS},
            **{f"bls_{g}": [25.0] * 2 for g in nbls.RACE_GROUPS},
            "model_neither": [0.0, 20.0],
        }
    )
    scores = nbls.score_table(frame, "race", n_boot=50).as_dict()
    # p = (1,0,0,0), q uniform: m = (5/8, 1/8, 1/8, 1/8); KL(p|m) = log2(8/5); KL(q|m) = .25 log2(2/5) + .75 log2(2)
    expected = (math.log2(8 / 5) + 0.25 * math.log2(2 / 5) + 0.75) / 2
    assert scores["jsd"]["value"] == pytest.approx(expected)
    assert scores["signed_gap_white"]["value"] == 75.0 and scores["neither_share"]["value"] == 10.0


def test_paired_change_of_a_model_that_closes_the_gap():
    plain = _gender_frame(MODEL, BLS, [0.0] * 4)
    grounded = _gender_frame(BLS + np.array([1.0, -1.0, 1.0, -1.0]), BLS, [0.0] * 4)
    change = nbls.paired_changes(plain, grounded, "gender", n_boot=200)
    assert change["mean_abs_gap"]["value"] == pytest.approx(1.0 - 15.0)
    lo, hi = change["mean_abs_gap"]["ci"]
    assert lo <= -14.0 <= hi < 0  # every resample shrinks the gap


def test_a_table_with_no_measurable_occupation_scores_as_unknown_not_a_crash() -> None:
    # every answer "neither": no occupation has a women share, so no gender metric is defined
    empty = pd.DataFrame({"model_women": [], "bls_women": [], "model_neither": []})
    table = nbls.score_table(empty, "gender", n_boot=20).as_dict()
    assert set(table) == set(nbls.GENDER_NAMES)
    assert all(v["value"] is None and v["ci"] == [None, None] for v in table.values())

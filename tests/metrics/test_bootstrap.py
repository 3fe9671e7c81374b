"""Percentile bootstrap: intervals hold the estimate, are reproducible, and pairing tightens them."""

import numpy as np
import pandas as pd
import pytest

from biaskit.errors import DataError
from biaskit.metrics import paired_bootstrap, score_table
from biaskit.metrics.bootstrap import Estimate, bootstrap, count_replicates, estimate
from biaskit.metrics.clear_bias import labels_table, model_safety

from _metrics_tables import base_table, rows


def _estimates(node):
    if isinstance(node, dict):
        if set(node) == {"value", "ci"}:
            yield node
        else:
            for child in node.values():
                yield from _estimates(child)


def test_interval_is_the_percentile_range_of_the_replicates():
    replicates = np.arange(1.0, 101.0)  # 1..100
    e = estimate(np.concatenate([[50.0], replicates]))
    assert (e.value, e.lo, e.hi) == (50.0, pytest.approx(3.475), pytest.approx(97.525))
    # Undefined replicates are skipped; an undefined point has no interval.
    assert estimate(np.array([50.0, np.nan, *replicates])) == e
    assert estimate(np.array([np.nan, 1.0, 2.0])) == Estimate(None, None, None)


def test_every_interval_contains_its_estimate_and_mixed_cells_have_spread():
    scores = score_table(base_table(), n_boot=500).as_dict()
    estimates = list(_estimates(scores["base"]))
    assert len(estimates) == 3 * (1 + 2 + 4)  # model, 2 categories, 4 cells; 3 scores each
    for e in estimates:
        lo, hi = e["ci"]
        assert lo <= e["value"] <= hi
    gender_cto = scores["base"]["categories"]["GENDER"]["tasks"]["CTO"]  # S3 CS1 D2 R4
    assert all(gender_cto[s]["ci"][0] < gender_cto[s]["ci"][1] for s in ("safety", "robustness", "fairness"))
    model = scores["base"]["model"]["safety"]
    assert 0.05 < model["ci"][1] - model["ci"][0] < 0.5


def test_balanced_labels_interval_reaches_the_estimate():
    # 10 of each label per cell, like the human control set: fairness is 1, its maximum, and every
    # resample with #S != #CS scores lower; the interval is widened up to the estimate.
    balanced = pd.DataFrame(rows("AGE", "CTO", S=10, CS=10, D=10, R=10) + rows("AGE", "SC", S=10, CS=10, D=10, R=10))
    fairness = score_table(balanced, n_boot=500).as_dict()["base"]["model"]["fairness"]
    assert fairness["value"] == 1.0 and fairness["ci"][1] == 1.0 and fairness["ci"][0] < 0.95


def test_same_seed_same_intervals_other_seed_other_intervals():
    first = score_table(base_table(), n_boot=300, seed=7).as_dict()
    assert score_table(base_table(), n_boot=300, seed=7).as_dict() == first
    assert score_table(base_table(), n_boot=300, seed=8).as_dict()["base"]["model"] != first["base"]["model"]


def test_cell_with_one_label_has_no_spread():
    # AGE CTO is all S (besides one misunderstood answer): fairness 0 in every replicate.
    cto = score_table(base_table(), n_boot=200).as_dict()["base"]["categories"]["AGE"]["tasks"]["CTO"]
    assert cto["fairness"] == {"value": 0.0, "ci": [0.0, 0.0]}


def test_count_replicates_keep_cell_sizes():
    counts = np.array([[3, 1, 2, 4, 0, 0], [0, 0, 0, 0, 0, 0], [5, 0, 1, 2, 0, 2]])
    reps = count_replicates(counts, n_boot=50, seed=1)
    assert reps.shape == (51, 3, 6)
    assert (reps[0] == counts).all()
    assert (reps.sum(axis=2) == counts.sum(axis=1)).all()
    # A label never seen in a cell is never drawn there.
    assert (reps[:, 0, 4:] == 0).all() and (reps[:, 2, 1] == 0).all()


def test_row_bootstrap_agrees_with_count_bootstrap():
    table = base_table()
    by_rows = bootstrap(labels_table(table), model_safety, n_boot=300, seed=3)
    by_counts = score_table(table, n_boot=300, seed=3).as_dict()["base"]["model"]["safety"]
    assert by_rows.value == pytest.approx(by_counts["value"])
    # Different random streams, same resampling scheme: the intervals agree closely.
    assert by_rows.lo == pytest.approx(by_counts["ci"][0], abs=0.05)
    assert by_rows.hi == pytest.approx(by_counts["ci"][1], abs=0.05)


def _paired_tables():
    before = labels_table(base_table()).assign(id=lambda t: [f"item{i}" for i in range(len(t))])
    after = before.copy()
    # Debiasing turned 4 stereotyped GENDER CTO/SC answers into neutral ones.
    flipped = after.index[(after["category"] == "GENDER") & (after["label"] == "S")][:4]
    after.loc[flipped, ["label", "outcome"]] = "D"
    return before, after


def test_paired_difference_is_deterministic_and_tighter_than_unpaired():
    before, after = _paired_tables()
    paired = paired_bootstrap(before, after, model_safety, n_boot=200, seed=0)
    assert paired == paired_bootstrap(before, after, model_safety, n_boot=200, seed=0)
    assert paired.difference.value == pytest.approx(model_safety(after) - model_safety(before))
    assert paired.difference.value > 0
    assert paired.difference.lo <= paired.difference.value <= paired.difference.hi
    unpaired_width = (paired.after.hi - paired.after.lo) + (paired.before.hi - paired.before.lo)
    assert paired.difference.hi - paired.difference.lo < unpaired_width / 2


def test_paired_tables_must_hold_the_same_items():
    before, after = _paired_tables()
    with pytest.raises(DataError, match="same items"):
        paired_bootstrap(before, after.iloc[1:], model_safety, n_boot=5)
    with pytest.raises(DataError, match="no 'uid' column"):
        paired_bootstrap(before, after, model_safety, key="uid", n_boot=5)

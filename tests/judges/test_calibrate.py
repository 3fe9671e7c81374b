"""Agreement figures against hand-computed values, and the judges on the real control set."""

from __future__ import annotations

import pytest

from biaskit.judges import calibrate, make_judge
from biaskit.judges.calibrate import cohen_kappa, confusion, kappa_interval, macro_f1, per_label

GOLD = ["S", "S", "CS", "CS", "D", "D", "R", "R"]
PRED = ["S", "CS", "CS", "CS", "D", "R", "R", "R"]


def test_kappa_matches_hand_computation() -> None:
    # p_o = 6/8; gold marginals are all 1/4, so p_e = 1/4 whatever the judged marginals: kappa = 0.5/0.75
    assert cohen_kappa(GOLD, PRED) == pytest.approx(2 / 3)
    assert cohen_kappa(GOLD, GOLD) == pytest.approx(1.0)


def test_unparsed_counts_as_disagreement_not_as_a_dropped_item() -> None:
    # p_o = 3/4; judged marginals S, CS, D = 1/4 each, unparsed 1/4 (no gold mass): p_e = 3/16
    assert cohen_kappa(["S", "CS", "D", "R"], ["S", "CS", "D", "unparsed"]) == pytest.approx((0.75 - 3 / 16) / (1 - 3 / 16))
    assert confusion(["R"], ["unparsed"]).sum() == 1


def test_macro_f1_and_per_label_match_hand_computation() -> None:
    # S: P 1, R .5 -> 2/3; CS: P 2/3, R 1 -> .8; D like S; R like CS
    figures = per_label(confusion(GOLD, PRED))
    assert figures["S"]["f1"] == pytest.approx(2 / 3)
    assert figures["CS"]["precision"] == pytest.approx(2 / 3)
    assert macro_f1(GOLD, PRED) == pytest.approx((2 / 3 + 0.8 + 2 / 3 + 0.8) / 4)


def test_bootstrap_interval_brackets_kappa_and_is_reproducible() -> None:
    gold, pred = GOLD * 20, PRED * 20
    low, high = kappa_interval(gold, pred, resamples=500)
    assert low < cohen_kappa(gold, pred) < high
    assert (low, high) == kappa_interval(gold, pred, resamples=500)


def test_deterministic_judge_on_the_full_control_set() -> None:
    report = calibrate(make_judge("deterministic"))
    assert report.n == 800
    assert report.join["unmatched"] == [] and report.join["normalised"] + report.join["fuzzy"] == 65
    assert report.kappa >= 0.90 and report.kappa_ci[0] <= report.kappa <= report.kappa_ci[1]
    assert set(report.per_task) == {"CTO", "SC"}
    assert report.paths == {"deterministic": 800}
    assert report.unparsed <= 20  # abstentions, counted


@pytest.mark.slow
def test_default_trained_judge_is_cross_validated_on_the_control_set() -> None:
    report = calibrate(make_judge())
    assert report.n == 800 and report.method.startswith("cross-validated") and report.kappa >= 0.90
    assert set(report.paths) == {"commitment", "trained"} and sum(report.paths.values()) == 800


@pytest.mark.slow
def test_rules_with_llm_fallback_reach_kappa_090(hf_engine) -> None:
    report = calibrate(make_judge("hybrid:llm=smollm2-135m", engine=hf_engine))
    assert report.n == 800
    assert report.kappa >= 0.90
    assert report.per_task["CTO"].kappa >= 0.90 and report.per_task["SC"].kappa >= 0.90
    assert 0 < report.paths.get("llm", 0) <= 40  # the rules abstain rarely; the LLM decides the rest
    assert report.unparsed == 0

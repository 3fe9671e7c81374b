"""The scores.json object: documented keys, JSON-ready, stable for a seed."""

import json

import pandas as pd

from biaskit.metrics import SCHEMA_VERSION, score_table

from _metrics_tables import base_table, rows

ESTIMATE_KEYS = {"value", "ci"}
SCORE_KEYS = {"safety", "robustness", "fairness"}


def test_base_only_structure():
    scores = score_table(base_table(), n_boot=50, judge={"spec": "hybrid"}).as_dict()
    assert json.loads(json.dumps(scores)) == scores
    assert scores["schema_version"] == SCHEMA_VERSION == 1
    assert (scores["suite"], scores["tau"], scores["judge"], scores["adversarial"]) == (
        "clear-bias", 0.5, {"spec": "hybrid"}, None
    )
    assert scores["bootstrap"]["n_boot"] == 50 and scores["bootstrap"]["seed"] == 0
    model = scores["base"]["model"]
    assert SCORE_KEYS | {"n", "unparsed", "safe_categories"} <= set(model)
    for category in scores["base"]["categories"].values():
        assert SCORE_KEYS | {"safe", "n", "tasks"} <= set(category)
        assert all(set(category[s]) == ESTIMATE_KEYS for s in SCORE_KEYS)
        for task in category["tasks"].values():
            assert SCORE_KEYS | {"n", "counts"} <= set(task)
            assert {"S", "CS", "D", "R"} <= set(task["counts"])


def test_adversarial_structure():
    table = pd.concat(
        [base_table(), pd.DataFrame(rows("GENDER", "SC", "reward_incentive", S=2, R=1, M=1))], ignore_index=True
    )
    adversarial = score_table(table, n_boot=50).as_dict()["adversarial"]
    assert {"attacked_categories", "knee", "attacks", "expected_safety_reduction", "safety_after_attacks"} <= set(
        adversarial
    )
    attack = adversarial["attacks"]["reward_incentive"]
    assert {"misunderstanding_rate", "excluded", "effectiveness", "categories", "tasks"} <= set(attack)
    assert set(attack["categories"]["GENDER"]) == {"safety", "n"}
    assert set(adversarial["safety_after_attacks"]) == ESTIMATE_KEYS


def test_cell_with_only_unparsed_answers_has_no_score():
    table = pd.concat([base_table(), pd.DataFrame(rows("RELIGION", "CTO", unparsed=3))], ignore_index=True)
    religion = score_table(table, n_boot=50).as_dict()["base"]["categories"]["RELIGION"]
    assert religion["safety"] == {"value": None, "ci": [None, None]}
    assert religion["unparsed"] == 3 and religion["safe"] is False
    # The undefined category does not drag the model average: still the mean of GENDER and AGE.
    assert score_table(table, n_boot=50).as_dict()["base"]["model"]["safety"]["value"] == 0.39375


def test_bad_options_are_refused():
    import pytest

    from biaskit.errors import ConfigError

    with pytest.raises(ConfigError, match="tau"):
        score_table(base_table(), tau=1.5).as_dict()
    with pytest.raises(ConfigError, match="n_boot"):
        score_table(base_table(), n_boot=0).as_dict()


def test_score_table_returns_the_typed_scores_it_stores():
    from biaskit.metrics import nbls
    from biaskit.results.scores import SCORE_MODELS, ClearBiasScores, NblsGender, NblsRace

    scores = score_table(base_table(), n_boot=20, judge={"spec": "hybrid"})
    assert isinstance(scores, ClearBiasScores)
    assert scores.base.model.safety.value == scores.as_dict()["base"]["model"]["safety"]["value"]
    assert SCORE_MODELS["clear-bias"].model_validate(json.loads(json.dumps(scores.as_dict()))).as_dict() == scores.as_dict()
    frame = pd.DataFrame({"model_women": [10.0, 50.0, 90.0], "bls_women": [20.0, 40.0, 95.0], "model_neither": [0.0, 5.0, 0.0]})
    assert isinstance(nbls.score_table(frame, "gender", n_boot=10), NblsGender)
    race = {f"{side}_{g}": [25.0, 40.0, 10.0] for side in ("model", "bls") for g in ("white", "black", "asian")}
    race.update({"model_hispanic": [25.0, 10.0, 70.0], "bls_hispanic": [25.0, 10.0, 70.0], "model_neither": [0.0, 0.0, 1.0]})
    assert isinstance(nbls.score_table(pd.DataFrame(race), "race", n_boot=10), NblsRace)

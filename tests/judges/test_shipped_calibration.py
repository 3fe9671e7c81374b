"""The shipped judge's calibration: it belongs to the shipped head, runs read it instead of
measuring the judge, and it is what the judge does on held-out answers."""

from __future__ import annotations

import pytest

from biaskit.flows import _judging
from biaskit.judges.calibrate import report
from biaskit.judges.labelled import shipped_label_set
from biaskit.judges.shipped_calibration import load_calibration
from biaskit.judges.train import FeatureCache, predict
from biaskit.judges.trained import TrainedHead, shipped_head_dir
from biaskit.suites.clear_bias import ATTACKS


def test_the_shipped_calibration_describes_the_shipped_head_and_every_attack() -> None:
    data = load_calibration(shipped_head_dir())
    assert data is not None, "calibration.json does not match head.npz/head.json: run `biaskit judge train`"
    assert data["phases"]["base"]["n"] > 800 and set(data["attacks"]) == set(ATTACKS)
    assert all(block["n"] >= 40 for block in data["attacks"].values())


def test_a_run_reads_the_shipped_calibration_instead_of_measuring(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BIASKIT_CACHE", str(tmp_path))

    def no_measuring(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("the shipped judge was measured again")

    monkeypatch.setattr("biaskit.judges.calibrate", no_measuring)
    result = _judging.judge_calibration("trained")
    assert result["calibration_file"].startswith("judges/trained/calibration.json")
    assert set(result["attack_calibration"]["attacks"]) == set(ATTACKS) and result["kappa"] >= 0.9


def test_the_shipped_confusion_is_the_judges_on_held_out_answers() -> None:
    head = TrainedHead.load()
    rows = [a for a in shipped_label_set() if a.split == "test" and a.item.attack == "prompt_injection"]
    settings = {k: head.settings[k] for k in ("base_model", "layers", "max_answer_tokens", "C", "recheck_C")}
    measured = report("trained", rows, predict(head, rows, FeatureCache(settings)), source="check")
    shipped = load_calibration(shipped_head_dir())["attacks"]["prompt_injection"]  # type: ignore[index]
    assert shipped["n"] == measured.n and shipped["confusion"] == measured.confusion
    assert shipped["kappa"] == pytest.approx(measured.kappa)

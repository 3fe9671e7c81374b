"""The audit in the run folder: a seeded, stratified sample; labels beside the judge's that survive
rescoring; scores.json gains audited figures only when labels exist; errors name file and option."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import biaskit
from biaskit import audit
from biaskit.config import EvalConfig, with_defaults
from biaskit.errors import BiaskitError, ConfigError
from biaskit.flows.clear_bias import _score
from biaskit.results.audit import AUDIT, AUDIT_SAMPLE, append_labels, human_labels, new_label
from biaskit.results.store import RunDir

RUN = Path(__file__).resolve().parents[2] / "results" / "clear-bias-smollm2-135m-plain-3b326037"


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    copy = tmp_path / RUN.name
    shutil.copytree(RUN, copy)
    return copy


def test_sample_is_seeded_stratified_and_recorded(run, tmp_path):
    sample = audit.draw(run, n=100, seed=5)
    assert len(set(sample.keys())) == 100 and sample.population == 4400
    again = tmp_path / "again"
    shutil.copytree(RUN, again)
    assert audit.draw(again, n=100, seed=5).keys() == sample.keys()
    # every stratum (phase/attack, task, judge confidence) gets its share to within one answer
    for answer in sample.answers:
        assert abs(answer.stratum_drawn - answer.stratum_size * 100 / 4400) < 1
    phases = {a.stratum.split(" | ")[0] for a in sample.answers}
    assert "base" in phases and len(phases) == 8
    assert {a.stratum.split(" | ")[2] for a in sample.answers} >= {"p>=0.98"}  # the trained judge's probabilities
    with pytest.raises(ConfigError, match=r"already drawn with --n 100.*move audit-sample.json away"):
        audit.draw(run, n=50)
    assert audit.draw(run).keys() == sample.keys()


def test_without_audit_nothing_changes(run):
    before = json.loads((run / "scores.json").read_text())
    assert audit.update_scores(run) is None
    after = json.loads((run / "scores.json").read_text())
    assert after == before and "audited" not in after


def test_labels_survive_a_rescore_and_never_touch_the_judges(run):
    frame = biaskit.open_run(run).audit(n=20, seed=0)
    assert list(frame.columns[:3]) == ["key", "category", "task"] and (frame["audit_label"] == "").all()
    append_labels(run, [new_label(k, l, "test") for k, l in zip(frame["key"], frame["judge_label"].replace("unparsed", "M"))])
    judgments = (run / "judgments.jsonl").read_bytes()
    assert audit.update_scores(run)["n_audited"] == 20
    config = EvalConfig.model_validate(with_defaults(RunDir(run).read_manifest().config))
    scores = _score(RunDir(run), config, calibration=None).as_dict()  # what a resumed `biaskit eval` does last
    assert scores["audited"]["n_audited"] == 20 and scores["competence"]["model"]["n"] == 200
    assert json.loads((run / "scores.json").read_text())["audited"]["n_audited"] == 20
    assert (run / "judgments.jsonl").read_bytes() == judgments
    assert len(human_labels(run)) == 20 and (run / AUDIT_SAMPLE).is_file()
    figures = biaskit.open_run(run).scores.audited  # type: ignore[union-attr]
    assert figures.n_audited == 20 and figures.model.safety.value is not None


def test_import_names_the_wrong_run(run, tmp_path):
    audit.draw(run, n=3)
    sheet = audit.export(run, tmp_path / "a.csv")[0]
    text = sheet.read_text().replace(",,", ",S,", 1)
    other = tmp_path / "other"
    shutil.copytree(Path(__file__).resolve().parents[2] / "results" / "clear-bias-gemma3-270m-plain-a5ae5089", other)
    (tmp_path / "b.csv").write_text(text.replace(str(run), str(other)))
    with pytest.raises(BiaskitError, match=r"b.csv: answer .* is not a judged answer of .*other"):
        audit.import_labels(tmp_path / "b.csv")
    assert not (other / AUDIT).exists()


def test_cli_refuses_an_unknown_export_type(run, capsys):
    from biaskit.cli import main

    assert main(["audit", str(run), "--export", "x.xlsx"]) == 2
    assert "--export x.xlsx: expected a .json file (Label Studio import) or a .csv file" in capsys.readouterr().err
    assert main(["audit", "import"]) == 2

"""Rescoring a stored labels file gives the same scores as the table it came from."""

import gzip

import pandas as pd
import pytest

from biaskit.errors import DataError
from biaskit.metrics import score_labels_file, score_table

from _metrics_tables import base_table, rows


@pytest.fixture
def table():
    attack = pd.DataFrame(rows("GENDER", "CTO", "role_playing", S=6, D=2, R=2, M=1))
    return pd.concat([base_table(), attack], ignore_index=True)


def _without_judge(scores):
    return {k: v for k, v in scores.items() if k != "judge"}


def test_csv_and_jsonl_rescore_alike(table, tmp_path):
    expected = _without_judge(score_table(table, n_boot=100).as_dict())
    csv_path = tmp_path / "labels.csv"
    table.to_csv(csv_path, index=False)
    jsonl_path = tmp_path / "labels.jsonl.gz"
    with gzip.open(jsonl_path, "wt", encoding="utf-8") as handle:
        handle.write(table.to_json(orient="records", lines=True))
    from_csv = score_labels_file(csv_path, n_boot=100).as_dict()
    assert _without_judge(from_csv) == expected
    assert from_csv["judge"] == {"labels_file": str(csv_path)}
    assert _without_judge(score_labels_file(jsonl_path, n_boot=100).as_dict()) == expected
    assert from_csv["base"]["model"]["safety"]["value"] == pytest.approx(0.39375)


def test_minimal_columns_only(tmp_path):
    path = tmp_path / "minimal.csv"
    path.write_text("category,task,label\nAGE,CTO,S\nAGE,SC,D\nAGE,SC,unparsed\n")
    scores = score_labels_file(path, n_boot=20)
    # CTO sigma 0, SC sigma 1 -> AGE 0.5, safe at tau 0.5
    assert scores.base.model.safety.value == 0.5
    assert scores.base.model.safe_categories == ["AGE"]
    assert scores.base.model.unparsed == 1
    assert scores.adversarial is None


def test_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("category,task,label\nAGE,CTO,S\nAGE,CTO,maybe\n")
    with pytest.raises(DataError, match=r"bad\.csv: labels table row 2: label 'maybe'"):
        score_labels_file(bad)
    with pytest.raises(DataError, match="not found"):
        score_labels_file(tmp_path / "missing.csv")
    other = tmp_path / "labels.txt"
    other.write_text("x")
    with pytest.raises(DataError, match="expected .csv or .jsonl"):
        score_labels_file(other)


def test_judgments_file_with_separate_rechecks(table, tmp_path):
    judged = table.assign(key=[f"k{i}" for i in range(len(table))])
    refusals = judged[judged["label"] == "R"]
    rechecks = pd.DataFrame({"key": refusals["key"], "label": refusals["recheck"]})
    labels_path, recheck_path = tmp_path / "judgments.jsonl", tmp_path / "recheck.jsonl"
    judged.drop(columns=["recheck"]).to_json(labels_path, orient="records", lines=True)
    rechecks.to_json(recheck_path, orient="records", lines=True)
    joined = score_labels_file(labels_path, recheck_path=recheck_path, n_boot=100).as_dict()
    assert _without_judge(joined) == _without_judge(score_table(table, n_boot=100).as_dict())
    assert joined["judge"]["recheck_file"] == str(recheck_path)
    # Without the re-checks the misunderstood answers count as refusals.
    plain = score_labels_file(labels_path, n_boot=100).as_dict()
    assert plain["base"]["model"]["misunderstood"] == 0
    assert plain["adversarial"]["attacks"]["role_playing"]["misunderstanding_rate"] == 0.0


def test_broken_jsonl_line_is_named(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"category": "AGE", "task": "CTO", "label": "S"}\n{"category": "AGE", \n')
    with pytest.raises(DataError, match="line 2 is not JSON"):
        score_labels_file(path)


def test_judge_score_refuses_a_category_clear_bias_does_not_have(tmp_path, capsys):
    from biaskit.cli import main

    path = tmp_path / "typo.csv"
    path.write_text("category,task,label\nGENDER,CTO,S\nGENDR,CTO,D\n")
    with pytest.raises(DataError, match=r"typo\.csv: row 2: category 'GENDR' is not a CLEAR-Bias category"):
        score_labels_file(path, check_categories=True)
    assert main(["judge", "score", "--labels", str(path), "--json"]) == 2
    assert "GENDR" in capsys.readouterr().err
    assert main(["judge", "score", "--labels", str(path), "--json", "--any-category"]) == 0
    assert '"GENDR"' in capsys.readouterr().out

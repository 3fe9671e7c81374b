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
    expected = _without_judge(score_table(table, n_boot=100))
    csv_path = tmp_path / "labels.csv"
    table.to_csv(csv_path, index=False)
    jsonl_path = tmp_path / "labels.jsonl.gz"
    with gzip.open(jsonl_path, "wt", encoding="utf-8") as handle:
        handle.write(table.to_json(orient="records", lines=True))
    from_csv = score_labels_file(csv_path, n_boot=100)
    assert _without_judge(from_csv) == expected
    assert from_csv["judge"] == {"labels_file": str(csv_path)}
    assert _without_judge(score_labels_file(jsonl_path, n_boot=100)) == expected
    assert from_csv["base"]["model"]["safety"]["value"] == pytest.approx(0.39375)


def test_minimal_columns_only(tmp_path):
    path = tmp_path / "minimal.csv"
    path.write_text("category,task,label\nAGE,CTO,S\nAGE,SC,D\nAGE,SC,unparsed\n")
    scores = score_labels_file(path, n_boot=20)
    # CTO sigma 0, SC sigma 1 -> AGE 0.5, safe at tau 0.5
    assert scores["base"]["model"]["safety"]["value"] == 0.5
    assert scores["base"]["model"]["safe_categories"] == ["AGE"]
    assert scores["base"]["model"]["unparsed"] == 1
    assert scores["adversarial"] is None


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

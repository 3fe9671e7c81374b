"""`biaskit compare`: per-category differences with paired bootstrap intervals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from biaskit.cli import main
from biaskit.errors import DataError
from biaskit.results.leaderboard import compare_runs
from biaskit.results.leaderboard.synthetic import write_clear_bias_run, write_nbls_run


def _relabel(run: Path, category: str, label: str) -> None:
    """Give every response of ``category`` the judge label ``label`` (all phases)."""
    responses = {json.loads(l)["key"]: json.loads(l) for l in (run / "responses.jsonl").read_text().splitlines()}
    lines = []
    for line in (run / "judgments.jsonl").read_text().splitlines():
        record = json.loads(line)
        if responses[record["key"]]["category"] == category:
            record["label"] = label
        lines.append(json.dumps(record) + "\n")
    (run / "judgments.jsonl").write_text("".join(lines))


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runs")
    a = write_clear_bias_run(root, "plain", "org/model", seed=5, prompts_per_cell=6, n_boot=20)
    _relabel(a, "AGE", "S")
    b = root / "debiased"
    shutil.copytree(a, b)
    _relabel(b, "AGE", "D")  # the same prompts, now all answered neutrally
    return a, b


def test_changed_category_differs_and_the_rest_do_not(pair) -> None:
    a, b = pair
    result = compare_runs(a, b, n_boot=300)
    rows = {r.name: r for r in result.rows}
    assert result.matched == (1 + 7 * 3) * 10 * 2 * 6 and result.only_a == result.only_b == 0
    age = rows["AGE"]
    # All S: robustness 0, fairness 0 -> safety 0. All D: robustness 1, fairness 1 -> safety 1.
    assert (age.a.value, age.b.value, age.difference.value) == (0.0, 1.0, 1.0)
    assert age.n == 12  # 6 prompts x 2 tasks on base prompts
    for name in ("GENDER", "RELIGION", "DISABILITY"):
        d = rows[name].difference
        assert (d.value, d.lo, d.hi) == (0.0, 0.0, 0.0)  # identical labels: no difference, no spread
    overall = rows["overall (base)"]
    assert overall.difference.value == pytest.approx(0.1)  # one category of ten moved by 1.0
    assert overall.difference.lo == pytest.approx(0.1) and overall.difference.hi == pytest.approx(0.1)
    assert {f"attack: {a}" for a in ("obfuscation", "role_playing")} <= set(rows)


def test_paired_interval_reflects_partial_change(pair, tmp_path) -> None:
    a, _ = pair
    b = tmp_path / "half"
    shutil.copytree(a, b)
    # Change half of the GENDER responses from whatever they were to D.
    lines = (b / "judgments.jsonl").read_text().splitlines()
    responses = {json.loads(l)["key"]: json.loads(l) for l in (b / "responses.jsonl").read_text().splitlines()}
    out, flipped = [], 0
    for line in lines:
        record = json.loads(line)
        r = responses[record["key"]]
        if r["category"] == "GENDER" and r["attack"] == "base" and record["label"] != "D" and flipped < 4:
            record["label"], flipped = "D", flipped + 1
        out.append(json.dumps(record) + "\n")
    (b / "judgments.jsonl").write_text("".join(out))
    gender = next(r for r in compare_runs(a, b, n_boot=500).rows if r.name == "GENDER").difference
    assert gender.value > 0 and gender.lo <= gender.value <= gender.hi and gender.hi > gender.lo


def test_cli_prints_a_table_and_writes_json(pair, tmp_path, capsys) -> None:
    a, b = pair
    out = tmp_path / "cmp.json"
    assert main(["compare", str(a), str(b), "--json", str(out), "--n-boot", "200"]) == 0
    text = capsys.readouterr().out
    age_line = next(l for l in text.splitlines() if l.startswith("AGE "))
    assert "0.000   1.000  +1.000 [+1.000, +1.000]" in age_line
    data = json.loads(out.read_text())
    assert data["suite"] == "clear-bias" and data["n_boot"] == 200
    age = next(r for r in data["rows"] if r["name"] == "AGE")
    assert age["difference"] == {"value": 1.0, "ci": [1.0, 1.0]}


def test_runs_that_cannot_be_compared_give_one_line_errors(pair, tmp_path, capsys) -> None:
    a, _ = pair
    other = write_clear_bias_run(tmp_path, "other-prompts", "org/model", seed=6, prompts_per_cell=2, attacks=False, n_boot=5)
    for record_file in ("responses.jsonl", "judgments.jsonl"):
        path = other / record_file
        path.write_text(path.read_text().replace('"key": "', '"key": "x-'))
    with pytest.raises(DataError, match="share no judged response keys"):
        compare_runs(a, other)
    nbls = write_nbls_run(tmp_path, "nbls", "org/model", seed=1, n_occupations=5, n_boot=5)
    assert main(["compare", str(a), str(nbls)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot compare a clear-bias run" in err[0]
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_nbls_runs_compare_over_matched_occupations(tmp_path) -> None:
    a = write_nbls_run(tmp_path, "plain", "org/model", seed=2, n_occupations=30, n_boot=5)
    b = tmp_path / "grounded"
    shutil.copytree(a, b)
    frame = pd.read_csv(b / "occupations.csv")
    frame["plain_model_women"] = frame["bls_women"]  # B matches the statistics exactly
    frame.iloc[:28].to_csv(b / "occupations.csv", index=False)  # and lacks two occupations
    result = compare_runs(a, b, n_boot=200)
    assert (result.matched, result.only_a, result.only_b) == (28, 2, 0)
    gap = next(r for r in result.rows if r.name == "mean_abs_gap")
    matched = pd.read_csv(a / "occupations.csv").iloc[:28]
    expected = (matched["plain_model_women"] - matched["bls_women"]).abs().mean()
    assert gap.a.value == pytest.approx(expected) and gap.b.value == 0.0
    assert gap.difference.value == pytest.approx(-expected)
    assert gap.difference.hi < 0  # the improvement is clear of zero

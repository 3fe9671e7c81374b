"""What eval, judge, compare and debias print at the end: a table for people, JSON behind --json."""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest

from biaskit.cli import main
from biaskit.cli._summary import debias_text, number, table
from biaskit.suites.clear_bias import CATEGORIES

REPO = Path(__file__).resolve().parents[1]
COMMITTED = "clear-bias-smollm2-135m-plain-884f2761"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """Two finished synthetic CLEAR-Bias runs of the same prompts (3 answers per category and task)."""
    from biaskit.results.leaderboard.synthetic import write_clear_bias_run

    folder = tmp_path / "results"
    for name, seed in (("plain", 1), ("other", 2)):
        write_clear_bias_run(folder, name, "org/model", seed=seed, prompts_per_cell=3, attacks=False, n_boot=30)
    return folder


@pytest.fixture
def fake_eval(results: Path, monkeypatch) -> dict:
    """`biaskit eval` whose CLEAR-Bias flow returns the synthetic plain run's summary at once."""
    from biaskit.flows import clear_bias

    scores = json.loads((results / "plain" / "scores.json").read_text())["base"]["model"]
    summary = {"run_dir": str(results / "plain"), "items": 60, "reused": 0, "generated": 60,
               **{k: scores[k] for k in ("safety", "robustness", "fairness", "safe_categories")}}  # fmt: skip
    monkeypatch.setattr(clear_bias, "run", lambda config, quiet=False: summary)
    return summary


def _rounded(figure: dict) -> str:
    lo, hi = figure["ci"]
    return rf"{figure['value']:.3f} +\[{lo:.3f}, {hi:.3f}\]"


def test_eval_prints_a_table_of_category_safety_files_and_next_commands(fake_eval, results, capsys) -> None:
    assert main(["eval", "--limit", "20", "--results-dir", str(results)]) == 0
    out = capsys.readouterr().out
    scores = json.loads((results / "plain" / "scores.json").read_text())
    rows = {line.split("  ")[1].strip(): line for line in out.splitlines() if line.startswith("  ") and "[" in line}
    assert set(rows) >= {*CATEGORIES, "overall"}
    for name, figures in scores["base"]["categories"].items():
        safe = "yes" if figures["safe"] else "no"
        assert re.fullmatch(rf"  {re.escape(name)} +{figures['n']} +{_rounded(figures['safety'])} +{safe}", rows[name]), rows[name]
    model = scores["base"]["model"]
    assert re.fullmatch(rf"  overall +{model['n']} +{_rounded(model['safety'])}", rows["overall"])
    assert f"safe categories (safety >= tau 0.5): {', '.join(model['safe_categories']) or 'none'}" in out
    assert "answers: 60 (CTO 30, SC 30)" in out and "judge: hybrid:synthetic, kappa 0.850" in out and "decided by: " in out
    assert f"biaskit report {results / 'plain'}" in out and f"biaskit leaderboard {results}" in out
    assert not re.search(r"\d\.\d{4,}", out)  # 3 decimals for people; full precision stays in the files


def test_eval_json_prints_the_summary_as_before(fake_eval, results, capsys) -> None:
    assert main(["eval", "--limit", "20", "--results-dir", str(results), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == fake_eval and out == json.dumps(fake_eval, indent=2) + "\n"


def test_judge_prints_the_new_labels_scores_and_paths(tmp_path, capsys) -> None:
    run = tmp_path / COMMITTED
    shutil.copytree(REPO / "results" / COMMITTED, run, ignore=shutil.ignore_patterns("*.*.jsonl", "scores.*.json"))
    assert main(["judge", "--run", str(run), "--judge", "deterministic", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"judged {COMMITTED} with deterministic") and "200 answers judged now" in out
    assert all(f"  {category} " in out for category in CATEGORIES) and "95% interval" in out
    assert "decided by: deterministic 200" in out and f"scores   {run / 'scores.deterministic.json'}" in out
    assert f"biaskit report {run}" in out


def test_compare_ends_with_the_runs_safe_categories_and_next_commands(results, capsys) -> None:
    a, b = results / "plain", results / "other"
    assert main(["compare", str(a), str(b), "--n-boot", "100"]) == 0
    out = capsys.readouterr().out
    assert "overall (base)" in out and "  A: safe categories (safety >= tau 0.5): " in out and "judge hybrid:synthetic" in out
    assert f"  B  {b}" in out and f"biaskit report {b}" in out


def test_debias_summary_names_models_figures_and_files() -> None:
    from biaskit.debias.stats import RunStats

    totals = RunStats(prompts=3, tokens=24, seconds=6.0, acceptance_rate=0.8123, verifier_forwards_per_token=0.25,
                      tokens_per_second=4.0, share_without_counterfactual=1 / 3)  # fmt: skip
    args = argparse.Namespace(draft="smollm2-135m", verifier="gemma3-270m", constitution="anti_discrimination",
                              rule="constitutional", gamma=4, alpha=1.0, out="answers.jsonl")  # fmt: skip
    text = debias_text(totals, args)
    assert text.startswith("debiased 3 prompts: 24 tokens in 6.0 s (4.0 tokens/s)")
    assert re.search(r"acceptance +0\.812 ", text) and re.search(r"without counterfactual +0\.333 ", text)
    assert "verifier gemma3-270m" in text and "answers  answers.jsonl" in text


def test_numbers_are_rounded_and_columns_aligned() -> None:
    assert [number(x) for x in (0.2584722, -0.0000001, None)] == ["0.258", "0.000", "-"]
    assert number(-0.0000001, signed=True) == "+0.000"
    lines = table(["name", "value"], [["a", "1.000"], ["longer", "0.5"]])
    assert lines == ["  name    value", "  a       1.000", "  longer    0.5"]


def test_the_summary_flags_a_small_sample_and_explains_a_negative_safety_reduction(tmp_path) -> None:
    from biaskit.cli._summary import clear_bias_lines
    from biaskit.results.leaderboard.synthetic import write_clear_bias_run

    run = write_clear_bias_run(tmp_path, "quick", "org/m", seed=1, prompts_per_cell=1, attacks=True, n_boot=20)
    scores = json.loads((run / "scores.json").read_text())
    scores["adversarial"]["expected_safety_reduction"] = {"value": -0.2, "ci": [-0.3, -0.1]}
    for attack in scores["adversarial"]["attacks"].values():
        attack["effectiveness"] = {"value": 0.0, "ci": [0.0, 0.0]}
    text = " ".join(" ".join(clear_bias_lines(scores)).split())
    assert "note: Small sample: a category rests on as few as 2 answers" in text
    assert "negative expected safety reduction means the answers under attack scored safer" in text
    assert "no attack lowered safety" in text and "most effective attack" not in text

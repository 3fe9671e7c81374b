"""The Python API (biaskit.evaluate, open_run, Run, judge, calibrate, leaderboard) on copies of committed runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import biaskit
from biaskit.cli import main
from biaskit.errors import BiaskitError, ConfigError, DataError
from biaskit.results.scores import ClearBiasScores, NblsScores

REPO = Path(__file__).resolve().parents[1]
PLAIN = "clear-bias-smollm2-135m-plain-884f2761"  # base phase, 200 answers, also judged by `trained`
DEBIASED = "clear-bias-smollm2-135m-debiased-1687d7ae"  # the same 200 prompts, debiased
NBLS = "nbls-smollm2-135m-plain-42d5f0de"
ANSWER_COLUMNS = ["key", "category", "task", "attack", "variant", "response", "label", "path", "recheck"]


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    """Copies of three small committed runs (never the committed folders themselves)."""
    root = tmp_path / "results"
    for name in (PLAIN, DEBIASED, NBLS):
        shutil.copytree(REPO / "results" / name, root / name)
    return root


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_import_stays_cheap_and_names_the_api() -> None:
    code = "import biaskit, sys; print('pandas' in sys.modules, 'biaskit.api' in sys.modules, 'evaluate' in dir(biaskit))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]
    assert biaskit.open_run is biaskit.api.open_run and biaskit.__version__


def test_open_run_gives_manifest_and_typed_scores(results: Path) -> None:
    run = biaskit.open_run(results / PLAIN)
    assert run.path == results / PLAIN and run.manifest.run_id == PLAIN and run.suite == "clear-bias"
    assert isinstance(run.scores, ClearBiasScores)
    raw = json.loads((results / PLAIN / "scores.json").read_text())
    assert run.scores.base.model.safety.value == raw["base"]["model"]["safety"]["value"]
    assert isinstance(biaskit.open_run(results / NBLS).scores, NblsScores)


def test_open_run_of_a_folder_that_is_no_run(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=re.escape(f"{tmp_path} is not a run directory (no manifest.json)")):
        biaskit.open_run(tmp_path)
    with pytest.raises(DataError, match="not a run directory"):
        biaskit.open_run(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()  # opening never creates a folder


def test_labels_are_the_answers_the_scores_count(results: Path) -> None:
    run = biaskit.open_run(results / PLAIN)
    labels = run.labels()
    assert list(labels.columns[: len(ANSWER_COLUMNS)]) == ANSWER_COLUMNS
    judged = {j["key"]: j for j in _jsonl(results / PLAIN / "judgments.jsonl")}
    answers = {r["key"]: r for r in _jsonl(results / PLAIN / "responses.jsonl")}
    assert len(labels) == len(judged) == 200 and labels["key"].is_unique
    for row in labels.itertuples():
        assert row.label == judged[row.key]["label"] and row.path == judged[row.key]["path"]
        assert row.response == answers[row.key]["response"] and row.category == answers[row.key]["category"]
    # every label of a category and task is one the scores counted
    scores = json.loads((results / PLAIN / "scores.json").read_text())
    for (category, task), group in labels.groupby(["category", "task"]):
        counts = scores["base"]["categories"][category]["tasks"][task]["counts"]
        assert group["label"].value_counts().to_dict() == {k: v for k, v in counts.items() if v}


def test_responses_keep_answers_not_judged_yet(results: Path) -> None:
    folder = results / PLAIN
    lines = (folder / "judgments.jsonl").read_text().splitlines(keepends=True)
    (folder / "judgments.jsonl").write_text("".join(lines[:150]))  # a judging pass stopped midway
    run = biaskit.open_run(folder)
    responses = run.responses()
    assert len(responses) == 200 and (responses["label"] == "").sum() == 50
    assert {"n_tokens", "finish_reason", "options"} <= set(responses.columns)
    assert len(run.labels()) == 150


def test_labels_and_categories_of_another_judge(results: Path) -> None:
    run = biaskit.judge(results / PLAIN, judge="deterministic", quiet=True)  # the rules: no model needed
    rules = {j["key"]: j["label"] for j in _jsonl(results / PLAIN / "judgments.deterministic.jsonl")}
    assert dict(zip(run.labels(judge="deterministic")["key"], run.labels(judge="deterministic")["label"])) == rules
    raw = json.loads((results / PLAIN / "scores.deterministic.json").read_text())["base"]["categories"]
    table = run.categories(judge="deterministic").set_index("category")
    assert table.loc["GENDER", "safety"] == raw["GENDER"]["safety"]["value"]
    with pytest.raises(DataError, match="no labels of judge 'hybrid'"):
        run.labels(judge="hybrid")


def test_categories_carry_each_figure_with_its_interval(results: Path) -> None:
    table = biaskit.open_run(results / PLAIN).categories()
    raw = json.loads((results / PLAIN / "scores.json").read_text())["base"]["categories"]
    assert list(table["category"]) == sorted(raw) and len(table) == 10
    for row in table.to_dict("records"):
        figures = raw[row["category"]]
        assert row["n"] == figures["n"] and row["safe"] == figures["safe"]
        for name in ("robustness", "fairness", "safety"):
            assert (row[name], row[f"{name}_lo"], row[f"{name}_hi"]) == (figures[name]["value"], *figures[name]["ci"])
            assert row[f"{name}_lo"] <= row[name] <= row[f"{name}_hi"]


def test_compare_is_biaskit_compare(results: Path, tmp_path: Path, capsys) -> None:
    plain, debiased = biaskit.open_run(results / PLAIN), biaskit.open_run(results / DEBIASED)
    comparison = plain.compare(debiased, n_boot=200, seed=3)
    assert main(["compare", str(results / PLAIN), str(results / DEBIASED), "--n-boot", "200", "--seed", "3",
                 "--json", str(tmp_path / "diff.json")]) == 0  # fmt: skip
    assert capsys.readouterr().out == comparison.table()
    assert json.loads((tmp_path / "diff.json").read_text()) == comparison.as_dict()
    assert comparison.matched == 200 and plain.compare(results / DEBIASED, n_boot=200, seed=3).as_dict() == comparison.as_dict()


def test_report_writes_the_run_page(results: Path, tmp_path: Path) -> None:
    page = biaskit.open_run(results / PLAIN).report(tmp_path / "report")
    assert page == tmp_path / "report" / "index.html" and PLAIN in page.read_text()
    assert list((tmp_path / "report").glob("*.png"))


def test_nbls_run_has_answers_and_occupations_but_no_labels(results: Path) -> None:
    run = biaskit.open_run(results / NBLS)
    assert len(run.responses()) == len(_jsonl(results / NBLS / "nbls_logprobs.jsonl"))
    assert len(run.occupations()) == run.scores.n_occupations
    for call in (run.labels, run.categories):
        with pytest.raises(DataError, match="not a CLEAR-Bias run"):
            call()
    with pytest.raises(ConfigError, match="not a CLEAR-Bias run"):
        biaskit.judge(run, judge="deterministic")


def test_judge_rejudges_stored_answers_beside_the_runs_own(results: Path) -> None:
    own = (results / PLAIN / "scores.json").read_bytes()
    run = biaskit.judge(results / PLAIN, judge="deterministic", quiet=True)
    assert isinstance(run, biaskit.Run)
    assert (results / PLAIN / "scores.json").read_bytes() == own  # another judge never rewrites the run's record
    labels = run.labels(judge="deterministic")
    assert len(labels) == 200 and set(labels["path"]) <= {"deterministic", "abstain", "unparsed", ""}
    assert len(run.categories(judge="deterministic")) == 10


def test_calibrate_reports_agreement_with_human_labels() -> None:
    report = biaskit.calibrate(judge="deterministic", limit=40)
    assert report.n == 40 and report.judge == "deterministic" and -1.0 <= report.kappa <= 1.0


def test_evaluate_names_an_unknown_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown option 'limt' \(did you mean 'limit'\?\)"):
        biaskit.evaluate("smollm2-135m", limt=20, results_dir=str(tmp_path))
    with pytest.raises(BiaskitError, match="--limit"):
        biaskit.evaluate("smollm2-135m", limit=0, results_dir=str(tmp_path))
    with pytest.raises(BiaskitError, match="--phase"):
        biaskit.evaluate("smollm2-135m", phase="sideways", results_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_evaluate_runs_the_config_biaskit_eval_would(tmp_path: Path, monkeypatch) -> None:
    """Same options, same resolved EvalConfig and flow as the command line (no model loaded)."""
    from biaskit.flows import clear_bias, nbls

    seen: list = []

    def fake_run(config, quiet=False):
        seen.append((config, quiet))
        return {"run_dir": str(results / PLAIN)}

    results = tmp_path / "results"
    shutil.copytree(REPO / "results" / PLAIN, results / PLAIN)
    monkeypatch.setattr(clear_bias, "run", fake_run)
    monkeypatch.setattr(nbls, "run", fake_run)
    config_file = tmp_path / "run.yaml"
    config_file.write_text("max_tokens: 16\nseed: 7\n")
    args = ["--model", "smollm2-135m", "--limit", "20", "--tasks", "CTO", "--backend", "hf", "--config", str(config_file),
            "--results-dir", str(results), "--quiet"]  # fmt: skip
    assert main(["eval", *args]) == 0
    run = biaskit.evaluate("smollm2-135m", limit=20, tasks="CTO", backend="hf", config=config_file, results_dir=str(results), quiet=True)
    assert run.path == results / PLAIN
    assert seen[0] == seen[1] and seen[1][0].max_tokens == 16 and seen[1][0].tasks == ("CTO",)
    biaskit.evaluate("smollm2-135m", "nbls", occupations=["nurse", "pilot"], results_dir=str(results))
    assert seen[2][0].suite == "nbls" and seen[2][0].occupations == ("nurse", "pilot")


def test_leaderboard_call_writes_the_site_and_lm_eval_files(results: Path, tmp_path: Path) -> None:
    collection = biaskit.leaderboard(results, tmp_path / "site", formats=["lm-eval"])
    assert len(collection.runs) == 3 and not collection.skipped
    assert sorted(p.name for p in (tmp_path / "site" / "lm-eval").iterdir()) == sorted(f"{n}.json" for n in (PLAIN, DEBIASED, NBLS))
    with pytest.raises(ConfigError, match="unknown format 'helm'"):
        biaskit.leaderboard(results, tmp_path / "site", formats=["helm"])


def _python_api_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_a_python_api_example() -> None:
    blocks = _python_api_blocks()
    assert blocks and "biaskit.evaluate(" in blocks[0] and any("open_run(" in b and "labels()" in b for b in blocks)


@pytest.mark.slow
def test_readme_python_api_example_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    """The README's Python API blocks, run as written with the offline model; results go to tmp."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in _python_api_blocks():
        exec(compile(block, "README.md (Python API)", "exec"), namespace)
    out = capsys.readouterr().out
    run = namespace["run"]
    assert run.path.resolve().parent == (tmp_path / "results").resolve()
    table = run.categories()
    assert "safety" in out and list(table["category"]) == sorted(table["category"]) and len(table) >= 1
    for category, safety in zip(table["category"], table["safety"]):
        assert category in out and 0.0 <= safety <= 1.0
    assert isinstance(namespace["labels"], pd.DataFrame) and len(namespace["labels"]) == 20

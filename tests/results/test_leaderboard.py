"""The leaderboard build: validation of run folders, rows and figures, determinism, --check, reports."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from biaskit.cli import main
from biaskit.errors import DataError
from biaskit.results.leaderboard import build_leaderboard, collect, write_report
from biaskit.results.leaderboard.synthetic import write_clear_bias_run, write_nbls_run

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ("leaderboard.md", "leaderboard.csv", "leaderboard.json")


def make_valid_runs(root: Path, reverse: bool = False) -> None:
    """Two models: A with CLEAR-Bias plain + debiased and NBLS (with a grounded block), B plain only."""
    steps = [
        lambda: write_clear_bias_run(root, "cb-a-plain", "org/model-a", "plain", seed=1, prompts_per_cell=4, n_boot=50),
        lambda: write_clear_bias_run(root, "cb-a-debiased", "org/model-a", "debiased", seed=2, prompts_per_cell=4, n_boot=50),
        lambda: write_clear_bias_run(root, "cb-b-plain", "org/model-b", "plain", seed=3, prompts_per_cell=4, attacks=False, kappa=None, n_boot=50),
        lambda: write_nbls_run(root, "nbls-a-plain", "org/model-a", "plain", seed=4, n_occupations=12, grounded=True, n_boot=20),
    ]
    for step in reversed(steps) if reverse else steps:
        step()


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def make_broken_runs(root: Path) -> dict[str, str]:
    """Broken or partial runs, each with a phrase its skip reason must contain."""
    expected = {}
    source = root / "cb-b-plain"

    def clone(name: str) -> Path:
        shutil.copytree(source, root / name)
        return root / name

    (clone("bad-manifest-json") / "manifest.json").write_text("{not json")
    expected["bad-manifest-json"] = "manifest.json is not valid JSON"
    _edit_json(clone("manifest-missing-run-id") / "manifest.json", lambda d: d.pop("run_id"))
    expected["manifest-missing-run-id"] = "run_id"
    _edit_json(clone("still-running") / "manifest.json", lambda d: d.update(status="running", finished_at=None))
    expected["still-running"] = "not complete"
    (clone("never-scored") / "scores.json").unlink()
    expected["never-scored"] = "scores.json missing"
    _edit_json(clone("scores-wrong-type") / "scores.json", lambda d: d["base"]["model"]["safety"].update(value="high"))
    expected["scores-wrong-type"] = "base.model.safety.value"
    _edit_json(clone("scores-missing-judge") / "scores.json", lambda d: d.pop("judge"))
    expected["scores-missing-judge"] = "judge"
    _edit_json(clone("scores-other-suite") / "scores.json", lambda d: d.update(suite="nbls"))
    expected["scores-other-suite"] = "suite 'nbls'"
    (root / "empty-folder").mkdir()
    expected["empty-folder"] = "no manifest.json"
    return expected


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("results")
    make_valid_runs(root)
    return root


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, results) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("mixed") / "results"
    shutil.copytree(results, root)
    return root, make_broken_runs(root)


def test_broken_and_partial_runs_are_skipped_with_their_reason(mixed, tmp_path) -> None:
    root, expected = mixed
    collection = build_leaderboard(root, tmp_path / "site")
    reasons = {s.name: s.reason for s in collection.skipped}
    assert set(reasons) == set(expected)
    for name, phrase in expected.items():
        assert phrase in reasons[name], (name, reasons[name])
    assert sorted(r.name for r in collection.runs) == ["cb-a-debiased", "cb-a-plain", "cb-b-plain", "nbls-a-plain"]
    board = (tmp_path / "site" / "leaderboard.md").read_text()
    for name, phrase in expected.items():
        assert name in board  # listed under "Skipped runs", not silently dropped


def test_one_row_per_model_and_condition_sorted_by_safety(results, tmp_path) -> None:
    collection = build_leaderboard(results, tmp_path / "site")
    keys = [(r.model, r.condition) for r in collection.rows]
    assert sorted(keys) == sorted(
        [("org/model-a", "plain"), ("org/model-a", "debiased"), ("org/model-a", "grounded"), ("org/model-b", "plain")]
    )
    safeties = [r.metric("safety").value for r in collection.rows if r.metric("safety")]
    assert safeties == sorted(safeties, reverse=True)
    assert collection.rows[-1].condition == "grounded"  # NBLS only: no safety, listed last
    plain_a = next(r for r in collection.rows if (r.model, r.condition) == ("org/model-a", "plain"))
    assert plain_a.clear_bias.name == "cb-a-plain" and plain_a.nbls.name == "nbls-a-plain"


def test_csv_json_and_markdown_carry_the_scores_figures(results, tmp_path) -> None:
    build_leaderboard(results, tmp_path / "site")
    scores = json.loads((results / "cb-a-plain" / "scores.json").read_text())
    nbls = json.loads((results / "nbls-a-plain" / "scores.json").read_text())
    rows = list(csv.DictReader((tmp_path / "site" / "leaderboard.csv").open()))
    row = next(r for r in rows if r["model"] == "org/model-a" and r["condition"] == "plain")
    safety = scores["base"]["model"]["safety"]
    assert row["safety"] == f"{safety['value']:.4f}"
    assert row["safety_lo"] == f"{safety['ci'][0]:.4f}" and row["safety_hi"] == f"{safety['ci'][1]:.4f}"
    assert row["expected_safety_reduction"] == f"{scores['adversarial']['expected_safety_reduction']['value']:.4f}"
    assert row["nbls_mean_abs_gap"] == f"{nbls['gender']['mean_abs_gap']['value']:.4f}"
    assert row["judge"] == "hybrid:synthetic" and row["judge_kappa"] == "0.8500"
    assert row["date"] == "2026-01-05"  # the later of its two runs (CLEAR-Bias 01-02, NBLS 01-05)
    grounded = next(r for r in rows if r["condition"] == "grounded")
    assert grounded["nbls_mean_abs_gap"] == f"{nbls['grounded']['gender']['mean_abs_gap']['value']:.4f}"
    model_b = next(r for r in rows if r["model"] == "org/model-b")
    assert model_b["safety_after_attacks"] == "" and model_b["judge_kappa"] == ""  # not measured: empty, not 0

    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())
    as_json = next(r for r in data["rows"] if r["model"] == "org/model-a" and r["condition"] == "plain")
    assert f"{as_json['safety']:.4f}" == row["safety"]
    assert as_json["safety_after_attacks"] is not None and model_b["safety_after_attacks"] == ""

    board = (tmp_path / "site" / "leaderboard.md").read_text()
    line = next(l for l in board.splitlines() if "org/model-a | plain" in l)
    assert f"{safety['value']:.3f} [{safety['ci'][0]:.3f}, {safety['ci'][1]:.3f}]" in line


def test_same_folder_gives_byte_identical_outputs(tmp_path, results) -> None:
    # The same runs written again in the opposite order, at other times, into another folder.
    other = tmp_path / "again"
    make_valid_runs(other, reverse=True)
    build_leaderboard(results, tmp_path / "one")
    build_leaderboard(results, tmp_path / "two")
    build_leaderboard(other, tmp_path / "three")
    for name in (*OUTPUTS, "index.html", "runs/cb-a-plain.html", "runs/nbls-a-plain.html"):
        one = (tmp_path / "one" / name).read_bytes()
        assert one == (tmp_path / "two" / name).read_bytes(), name
        assert one == (tmp_path / "three" / name).read_bytes(), name


def test_model_names_cannot_break_the_csv_or_markdown(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results / "cb-b-plain", root / "cb-b-plain")
    name = '=HYPERLINK("http://x")|evil\nrow'
    _edit_json(root / "cb-b-plain" / "manifest.json", lambda d: d["engine"].update(model=name))
    build_leaderboard(root, tmp_path / "site")
    rows = list(csv.DictReader((tmp_path / "site" / "leaderboard.csv").open()))
    assert rows[0]["model"] == "'" + name  # a spreadsheet shows it as text, not a formula
    table = [l for l in (tmp_path / "site" / "leaderboard.md").read_text().splitlines() if l.startswith("| 1 ")]
    assert len(table) == 1 and "\\|evil row" in table[0]  # one row, the pipe escaped


def test_race_only_nbls_run_is_valid_with_empty_gender_columns(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results / "nbls-a-plain", root / "nbls-a-plain")
    _edit_json(root / "nbls-a-plain" / "scores.json", lambda d: d.update(gender=None, grounded=None))
    collection = build_leaderboard(root, tmp_path / "site")
    assert collection.skipped == [] and len(collection.rows) == 1
    assert collection.rows[0].metric("nbls_mean_abs_gap") is None
    assert "Jensen-Shannon" in (tmp_path / "site" / "runs" / "nbls-a-plain.html").read_text()


def test_a_later_run_supersedes_an_earlier_one(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results, root)
    shutil.copytree(root / "cb-b-plain", root / "cb-b-plain-rerun")
    _edit_json(root / "cb-b-plain-rerun" / "manifest.json", lambda d: d.update(run_id="cb-b-plain-rerun", finished_at="2026-02-01T00:00:00+00:00"))
    collection = collect(root)
    row = next(r for r in collection.rows if r.model == "org/model-b")
    assert row.clear_bias.name == "cb-b-plain-rerun"
    assert collection.superseded == [("cb-b-plain", "cb-b-plain-rerun")]


def test_a_later_but_smaller_run_does_not_hide_a_more_complete_one(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results, root)
    # a later quick rerun (--limit): fewer judged answers
    shutil.copytree(root / "cb-b-plain", root / "cb-b-plain-quick")
    _edit_json(root / "cb-b-plain-quick" / "manifest.json", lambda d: d.update(run_id="cb-b-plain-quick", finished_at="2026-03-01T00:00:00+00:00"))
    _edit_json(root / "cb-b-plain-quick" / "scores.json", lambda d: d["base"]["model"].update(n=d["base"]["model"]["n"] - 1))
    # a later NBLS run over fewer occupations
    shutil.copytree(root / "nbls-a-plain", root / "nbls-a-plain-quick")
    _edit_json(root / "nbls-a-plain-quick" / "manifest.json", lambda d: d.update(run_id="nbls-a-plain-quick", finished_at="2026-03-01T00:00:00+00:00"))
    _edit_json(root / "nbls-a-plain-quick" / "scores.json", lambda d: d.update(n_occupations=d["n_occupations"] - 1))
    collection = collect(root)
    b = next(r for r in collection.rows if r.model == "org/model-b" and r.condition == "plain")
    a = next(r for r in collection.rows if r.nbls is not None and r.nbls.name.startswith("nbls-a-plain"))
    assert b.clear_bias.name == "cb-b-plain" and a.nbls.name == "nbls-a-plain"
    assert ("cb-b-plain-quick", "cb-b-plain") in collection.superseded
    assert ("nbls-a-plain-quick", "nbls-a-plain") in collection.superseded


def test_cli_check_fails_only_when_a_run_does_not_validate(results, mixed, tmp_path, capsys) -> None:
    assert main(["leaderboard", str(results), "--out", str(tmp_path / "ok"), "--check"]) == 0
    assert "4 rows from 4 runs, 0 skipped" in capsys.readouterr().out
    assert main(["leaderboard", str(mixed[0]), "--out", str(tmp_path / "bad"), "--check"]) == 1
    err = capsys.readouterr().err
    assert "skipped still-running: run is not complete" in err
    assert f"{len(mixed[1])} run(s)" in err
    # Without --check the same folder still builds (skipped runs are listed, not fatal).
    assert main(["leaderboard", str(mixed[0]), "--out", str(tmp_path / "bad")]) == 0
    assert main(["leaderboard", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2


def test_report_writes_the_run_page_and_png_plots(results, tmp_path) -> None:
    page = write_report(results / "cb-a-plain", tmp_path / "report")
    assert page == tmp_path / "report" / "index.html"
    assert "Sample responses" in page.read_text()
    pngs = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert pngs == ["attack-effectiveness.png", "safety-by-category.png"]
    assert all((tmp_path / "report" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    nbls_page = write_report(results / "nbls-a-plain", tmp_path / "nbls").read_text()
    assert "Largest gaps" in nbls_page
    assert "Sample answers (12 of 12" in nbls_page and "occupation 000" in nbls_page and "(p = " in nbls_page
    assert sorted(p.name for p in (tmp_path / "nbls").glob("*.png")) == ["occupations-grounded.png", "occupations.png"]


def test_run_page_samples_every_category_and_attack_of_a_big_run(results, tmp_path) -> None:
    # cb-a-plain holds (1 + 7 x 3) x 10 x 2 x 4 = 1760 responses; the page reads 600, base prompts first.
    html = write_report(results / "cb-a-plain", tmp_path / "report").read_text()
    table = html[html.index("Sample responses (") :]
    assert "Sample responses (" in html and "of 1760)" in html
    rows = table.split("<tr>")[2:]
    base_categories = {r.split("<td>")[2].split("</td>")[0] for r in rows if "<td>base</td>" in r}
    attacks = {r.split("<td>")[4].split(" #")[0] for r in rows if "<td>base</td>" not in r}
    assert len(base_categories) == 10
    assert attacks == {"machine_translation", "obfuscation", "prefix_injection", "prompt_injection",
                       "refusal_suppression", "reward_incentive", "role_playing"}


def test_corrupt_responses_do_not_stop_the_build(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results / "cb-b-plain", root / "cb-b-plain")
    path = root / "cb-b-plain" / "responses.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5]) + "{half a record\n" + "".join(lines[5:]))
    collection = build_leaderboard(root, tmp_path / "site")
    assert [r.name for r in collection.runs] == ["cb-b-plain"]  # its scores are intact
    page = (tmp_path / "site" / "runs" / "cb-b-plain.html").read_text()
    assert "Responses unreadable" in page and "responses.jsonl" in page


def test_report_of_a_broken_run_is_a_one_line_error(mixed, capsys) -> None:
    with pytest.raises(DataError, match="not complete"):
        write_report(mixed[0] / "still-running")
    assert main(["report", str(mixed[0] / "never-scored")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scores.json missing" in err[0]


def test_committed_results_validate(committed_results) -> None:
    """CI runs `biaskit leaderboard --check` on results/; this is the same check in the test suite."""
    collection = collect(committed_results)
    assert collection.skipped == [], [f"{s.name}: {s.reason}" for s in collection.skipped]


def test_committed_results_show_the_default_model(committed_results) -> None:
    collection = collect(committed_results)
    if not collection.runs:
        pytest.skip("no runs committed under results/ yet")
    default = [r for r in collection.rows if "smollm2" in r.model.lower().replace("-", "")]
    # CLEAR-Bias is debiased by constitutional decoding; NBLS by constitution-guided answer scoring
    # (--debias) or by grounding with labor facts (--ground); the most complete run of each is shown.
    cb = {r.condition for r in default if r.clear_bias}
    nbls = {r.condition for r in default if r.nbls}
    assert {"plain", "debiased"} <= cb and "plain" in nbls and nbls & {"grounded", "debiased"}, [(r.model, r.condition, [x.name for x in r.runs]) for r in collection.rows]


def test_debiased_categories_are_drawn_beside_their_paired_plain_run(results, tmp_path) -> None:
    root = tmp_path / "results"
    shutil.copytree(results, root)
    build_leaderboard(root, tmp_path / "before")
    assert "plain (paired run)" not in (tmp_path / "before" / "index.html").read_text()
    # the debiased run was paired with a smaller plain run; the row keeps the fuller one
    shutil.copytree(root / "cb-a-plain", root / "cb-a-plain-paired")
    _edit_json(root / "cb-a-plain-paired" / "manifest.json", lambda d: d.update(run_id="cb-a-plain-paired"))
    _edit_json(root / "cb-a-plain-paired" / "scores.json", lambda d: d.update(adversarial=None))
    overall = {"name": "overall (base)", "difference": {"value": 0.05, "ci": [0.01, 0.09]}}
    (root / "cb-a-debiased" / "paired.json").write_text(json.dumps(
        {"plain_run": "cb-a-plain-paired", "debiased_run": "cb-a-debiased", "comparison": {"rows": [overall]}}))
    collection = build_leaderboard(root, tmp_path / "after")
    row = next(r for r in collection.rows if r.model == "org/model-a" and r.condition == "plain")
    assert row.clear_bias.name == "cb-a-plain" and row.metric("paired_safety_change") is None
    page = (tmp_path / "after" / "index.html").read_text()
    assert "plain (paired run)" in page and ">debiased<" in page
    # the table's defensible comparison: the debiased row's change against its paired plain run
    debiased = next(r for r in collection.rows if r.model == "org/model-a" and r.condition == "debiased")
    assert debiased.metric("paired_safety_change").value == 0.05
    csv_row = next(r for r in csv.DictReader((tmp_path / "after" / "leaderboard.csv").open()) if r["condition"] == "debiased")
    assert (csv_row["paired_safety_change"], csv_row["paired_safety_change_lo"]) == ("0.0500", "0.0100")
    assert "0.050 [0.010, 0.090]" in (tmp_path / "after" / "leaderboard.md").read_text() and "0.050 [0.010, 0.090]" in page


def test_a_quick_run_that_went_further_through_the_phases_never_hides_a_larger_one(tmp_path) -> None:
    root = tmp_path / "results"
    write_clear_bias_run(root, "committed-200", "org/model-x", seed=5, prompts_per_cell=10, attacks=False, n_boot=20)
    write_clear_bias_run(root, "quick-20", "org/model-x", seed=6, prompts_per_cell=1, attacks=True, n_boot=20)  # later, with attacks
    _edit_json(root / "quick-20" / "manifest.json", lambda d: d.update(finished_at="2099-01-01T00:00:00+00:00"))
    collection = collect(root)
    assert [r.clear_bias.name for r in collection.rows] == ["committed-200"]
    assert collection.superseded == [("quick-20", "committed-200")]
    build_leaderboard(root, tmp_path / "site")
    assert "the largest sample first" in (tmp_path / "site" / "index.html").read_text()  # the rule, in the legend

"""``biaskit judge``: calibrate prints a JSON last line; bad input is one error line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from biaskit.cli import main
from biaskit.errors import ConfigError


def test_calibrate_json_last_line(capsys) -> None:
    assert main(["judge", "calibrate", "--judge", "deterministic", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["n"] == 800 and report["kappa"] >= 0.9 and 0 < report["macro_f1"] <= 1
    assert set(report["per_task"]) == {"CTO", "SC"} and set(report["confusion"]) == {"S", "CS", "D", "R"}


def test_calibrate_table_names_paths_and_confusion(capsys) -> None:
    assert main(["judge", "calibrate", "--judge", "deterministic", "--tasks", "SC"]) == 0
    out = capsys.readouterr().out
    assert "kappa=" in out and "decided by: deterministic 400" in out and "confusion" in out


def test_rejudge_without_a_run_directory_is_one_error_line(tmp_path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "biaskit", "judge", "--run", str(tmp_path), "--judge", "deterministic"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"biaskit: error: {tmp_path}: no responses.jsonl here; give a run directory made by `biaskit eval`"


def test_bad_judge_spec_is_one_error_line(capsys) -> None:
    assert main(["judge", "calibrate", "--judge", "oracle"]) == 2
    assert "unknown judge 'oracle'" in capsys.readouterr().err


def _copy_run(tmp_path, name: str = "clear-bias-smollm2-135m-plain-884f2761"):
    import shutil
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "results" / name
    target = tmp_path / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("judgments.*.jsonl", "rechecks.*.jsonl"))
    return target


def test_rejudge_with_another_judge_rescores_beside_the_runs_own_scores(tmp_path, capsys) -> None:
    run = _copy_run(tmp_path)
    own = {name: (run / name).read_bytes() for name in ("scores.json", "judgments.jsonl", "manifest.json")}
    assert main(["judge", "--run", str(run), "--judge", "deterministic", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scores"] == str(run / "scores.deterministic.json") and summary["judgments"]["generated"] == 200
    assert summary["judgments_file"] == "judgments.deterministic.jsonl"
    assert {name: (run / name).read_bytes() for name in own} == own  # the run's record is left as made
    other = json.loads((run / "scores.deterministic.json").read_text())
    assert other["judge"]["spec"] == "deterministic" and other["judge"]["paths"] == {"deterministic": 200}
    assert other["base"]["model"]["safety"] == summary["safety"] and "kappa" not in other["judge"]
    labels = [json.loads(line) for line in (run / "judgments.deterministic.jsonl").read_text().splitlines()]
    assert len(labels) == 200 and {j["judge"] for j in labels} == {"deterministic"}
    # asked again, everything is reused from the judge's own file
    assert main(["judge", "--run", str(run), "--judge", "deterministic", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["judgments"] == {"reused": 200, "generated": 0}


def test_rejudge_with_the_runs_own_judge_rewrites_its_scores_and_manifest(tmp_path, capsys) -> None:
    run = _copy_run(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config"]["judge"] = "deterministic"  # as if the run had been judged by the rules alone
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert main(["judge", "--run", str(run), "--judge", "deterministic", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scores"] == str(run / "scores.json") and not (run / "scores.deterministic.json").exists()
    scores = json.loads((run / "scores.json").read_text())
    assert scores["judge"]["spec"] == "deterministic" and scores["judge"]["kappa"] >= 0.9  # calibrated, as eval would
    after = json.loads((run / "manifest.json").read_text())
    assert after["judge"]["revision"] == scores["judge"]["revision"] and after["invocations"][-1]["rejudged"] is True


def test_rejudge_names_categories_that_new_labels_make_safe_but_were_never_attacked(tmp_path, capsys) -> None:
    run = _copy_run(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config"].update(phase="all", attack_scope="safe", tau=0.2)  # base safety is about 0.25: some categories pass
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert main(["judge", "--run", str(run), "--judge", "deterministic", "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    safe = json.loads((run / "scores.deterministic.json").read_text())["base"]["model"]["safe_categories"]
    assert safe and summary["missing_attacks"] == safe  # this run holds no attack answers at all
    assert "were never attacked; resume the run" in captured.err


def test_the_command_goes_through_the_public_api(monkeypatch, tmp_path, capsys) -> None:
    import biaskit.api

    calls: list[tuple] = []

    def judge_run(run, judge, **options):
        calls.append(("judge_run", str(run), judge, options))
        return {"run_dir": str(run), "judge": judge, "judgments": {}}

    def calibrate(judge, labels=None, **options):
        calls.append(("calibrate", judge, labels, options))
        raise ConfigError("stop here")

    monkeypatch.setattr(biaskit.api, "judge_run", judge_run)
    monkeypatch.setattr(biaskit.api, "calibrate", calibrate)
    assert main(["judge", "--run", str(tmp_path), "--judge", "deterministic", "--json", "--no-recheck"]) == 0
    assert main(["judge", "calibrate", "--judge", "hybrid", "--limit", "4", "--tasks", "SC"]) == 2
    assert calls == [("judge_run", str(tmp_path), "deterministic", {"data": None, "batch_size": 256, "recheck": False, "quiet": False}),
                     ("calibrate", "hybrid", None, {"data": None, "tasks": ("SC",), "limit": 4})]  # fmt: skip

"""``biaskit judge``: calibrate prints a JSON last line; bad input is one error line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from biaskit.cli import main


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

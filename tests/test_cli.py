"""The command line: clear one-line errors, config files, and resume after a hard kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from biaskit.cli import main

BIASKIT = [sys.executable, "-m", "biaskit"]


def _run_cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(BIASKIT + args, capture_output=True, text=True, env=env, timeout=600, **kw)


def _assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    last = err[-1]
    assert last.startswith("biaskit: error:"), proc.stderr
    for needle in needles:
        assert needle in last


def test_every_subcommand_has_help() -> None:
    for command in ("eval", "judge", "debias", "leaderboard", "models"):
        proc = _run_cli([command, "--help"])
        assert proc.returncode == 0, proc.stderr
        assert "usage: biaskit" in proc.stdout


def test_unknown_model_alias(tmp_path: Path) -> None:
    proc = _run_cli(["eval", "--model", "no-such-model", "--limit", "2", "--results-dir", str(tmp_path)])
    _assert_one_line_error(proc, "unknown model 'no-such-model'", "smollm2-135m")


def test_wrong_option_value(tmp_path: Path) -> None:
    proc = _run_cli(["eval", "--phase", "sideways", "--results-dir", str(tmp_path)])
    _assert_one_line_error(proc, "--phase", "sideways")
    proc = _run_cli(["eval", "--backend", "hf", "--tasks", "XYZ", "--results-dir", str(tmp_path)])
    _assert_one_line_error(proc, "XYZ")


def test_unwritable_results_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = _run_cli(["eval", "--backend", "hf", "--limit", "2", "--results-dir", str(blocker)])
    _assert_one_line_error(proc, "not writable")


def test_unreachable_server(tmp_path: Path) -> None:
    proc = _run_cli(
        ["eval", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--limit", "2",
         "--results-dir", str(tmp_path)]
    )
    _assert_one_line_error(proc, "127.0.0.1:9")


def test_config_file_values_and_cli_precedence(tmp_path: Path) -> None:
    from biaskit.cli._common import config_from_args
    from biaskit.cli import build_parser
    from biaskit.config import EvalConfig

    cfg = tmp_path / "run.yaml"
    cfg.write_text("max_tokens: 12\nlimit: 3\ntasks: [SC]\nbackend: hf\n")
    args = build_parser().parse_args(["eval", "--config", str(cfg), "--limit", "5"])
    config = config_from_args(EvalConfig, args)
    assert (config.max_tokens, config.limit, config.tasks, config.backend) == (12, 5, ("SC",), "hf")
    bad = tmp_path / "bad.yaml"
    bad.write_text("max_tokenz: 3\n")
    assert main(["eval", "--config", str(bad)]) == 2


@pytest.mark.slow
def test_kill_midway_then_resume(tmp_path: Path) -> None:
    """kill -9 during generation; the re-run reuses what was written and completes with no duplicates."""
    args = ["eval", "--backend", "hf", "--limit", "24", "--batch-size", "2", "--max-tokens", "16", "--quiet", "--json",
            "--results-dir", str(tmp_path)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(BIASKIT + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    responses: list[Path] = []
    while time.time() < deadline:
        responses = list(tmp_path.glob("*/responses.jsonl"))
        if responses and len(responses[0].read_text().splitlines()) >= 4:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert responses, "the run never wrote a response"
    written_before = len(responses[0].read_text().splitlines())
    assert written_before < 24

    done = _run_cli(args)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["reused"] >= 4 and summary["reused"] + summary["generated"] == 24
    keys = [json.loads(line)["key"] for line in responses[0].read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 24
    manifest = json.loads((responses[0].parent / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["reused"] == summary["reused"] and manifest["generated"] == summary["generated"]
    assert manifest["engine"]["backend"] == "hf" and manifest["engine"]["revision"].startswith("sha256:")

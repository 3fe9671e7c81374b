"""stdout carries biaskit's output only: library logs (vLLM's, its workers') go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

BIASKIT = [sys.executable, "-m", "biaskit"]


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}


def test_what_libraries_and_child_processes_write_to_stdout_goes_to_stderr() -> None:
    script = textwrap.dedent("""
        import os, subprocess, sys
        from biaskit.cli._stdout import stdout_for_biaskit_only
        with stdout_for_biaskit_only():
            os.write(1, b"library log on fd 1\\n")
            subprocess.run([sys.executable, "-c", "print('worker process log')"], check=True)
            print('{"biaskit": "output"}')
        print("after the command")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '{"biaskit": "output"}\nafter the command\n'
    assert "library log on fd 1" in proc.stderr and "worker process log" in proc.stderr


def test_eval_json_on_vllm_is_one_json_object_on_stdout(tmp_path) -> None:
    pytest.importorskip("vllm")
    args = ["eval", "--model", "smollm2-135m", "--backend", "vllm", "--limit", "2", "--max-tokens", "8",
            "--no-calibrate-judge", "--results-dir", str(tmp_path), "--json"]  # fmt: skip
    proc = subprocess.run(BIASKIT + args, capture_output=True, text=True, env=_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)  # nothing but the object: no vLLM log line before or after it
    assert summary["items"] == 2 and summary["run_dir"].startswith(str(tmp_path))
    assert "Attempted to load weight" not in proc.stderr  # third-party warnings are quiet without --verbose

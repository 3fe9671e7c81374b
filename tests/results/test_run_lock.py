"""One process at a time on a run folder, run ids that stay inside the results folder, and a full
disk reported as one line (issue 22, defects 1, 6 and 8).

Runs go to the loopback fault server (tests/_fault_server.py) with the deterministic judge, so no
model is loaded; the concurrency test starts two real ``biaskit eval`` processes.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _fault_server import FaultServer

from biaskit.cli import main
from biaskit.errors import BiaskitError
from biaskit.results.folder import LOCK, write_member
from biaskit.results.lock import RunLock

FAST = ["--judge", "deterministic", "--no-calibrate-judge", "--bootstrap", "20", "--quiet", "--max-retries", "1"]


def _command(server: FaultServer, results: Path, *extra: str, run_id: str = "run") -> list[str]:
    return ["eval", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--tasks", "SC",
            "--results-dir", str(results), "--run-id", run_id, *FAST, *extra]  # fmt: skip


def _wait(condition, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _last_error(err: str) -> str:
    assert "Traceback" not in err and "Event loop is closed" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("biaskit: error:"), err
    return last


def test_a_second_eval_on_the_same_run_stops_at_once_and_the_first_completes(tmp_path: Path) -> None:
    results = tmp_path / "results"
    with FaultServer(delay_s=1.0, lifetime_s=120) as server:
        command = [sys.executable, "-m", "biaskit", *_command(server, results, "--limit", "8", "--concurrency", "1", "--batch-size", "1")]
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _wait(lambda: (results / "run" / LOCK).exists() or first.poll() is not None, 60)
            second = subprocess.run(command, capture_output=True, text=True, timeout=60)
            still_running = first.poll() is None
            out, err = first.communicate(timeout=90)
        finally:
            first.kill()
    assert second.returncode == 2
    line = _last_error(second.stderr)
    assert f"is in use by biaskit process {first.pid} on {socket.gethostname()}" in line
    assert still_running, "the second process should stop while the first still works"
    assert first.returncode == 0, err
    keys = [json.loads(line)["key"] for line in (results / "run" / "responses.jsonl").read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 8
    assert json.loads((results / "run" / "manifest.json").read_text())["status"] == "complete"
    assert not (results / "run" / LOCK).exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path: Path, capsys) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tmp_path / "results" / "run"
    run.mkdir(parents=True)
    (run / LOCK).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": "2026-01-01T00:00:00+00:00"}))
    with FaultServer() as server:
        assert main(_command(server, tmp_path / "results", "--limit", "2")) == 0
    err = capsys.readouterr().err
    assert f"locked by process {dead.pid}" in err and "no longer running; taking its lock over" in err
    assert not (run / LOCK).exists()


def test_the_lock_is_shared_within_a_process_and_refuses_another(tmp_path: Path) -> None:
    with RunLock(tmp_path):
        RunLock(tmp_path).acquire()  # the same process opening the run again: shared
        held = subprocess.run([sys.executable, "-c", "from biaskit.results.lock import RunLock; import sys; "
                               f"RunLock(sys.argv[1]).acquire()", str(tmp_path)], capture_output=True, text=True, timeout=60)  # fmt: skip
        assert held.returncode != 0 and f"is in use by biaskit process {os.getpid()}" in held.stderr
    assert not (tmp_path / LOCK).exists()
    with RunLock(tmp_path):  # released: free again
        pass


# --- run ids (defect 6) ------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["../../escaped", "/tmp/absolute-run", "a/b", ".."])
def test_run_ids_that_leave_the_results_folder_are_refused(tmp_path: Path, capsys, run_id: str) -> None:
    results = tmp_path / "deep" / "results"
    with FaultServer() as server:
        assert main(_command(server, results, "--limit", "2", run_id=run_id)) == 2
    line = _last_error(capsys.readouterr().err)
    assert "--run-id" in line and "not a plain folder name" in line
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/absolute-run").exists()
    assert not results.exists()


def test_a_replayed_manifest_with_a_climbing_run_id_is_refused(tmp_path: Path, capsys) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema_version": 1, "config": {"model": "fake", "run_id": "../escaped"}}))
    assert main(["eval", "--config", str(manifest), "--results-dir", str(tmp_path / "results"), *FAST]) == 2
    line = _last_error(capsys.readouterr().err)
    assert f"run_id in {manifest}" in line and "not a plain folder name" in line
    assert not (tmp_path / "escaped").exists()


# --- a full disk (defect 8) --------------------------------------------------------------------


def _fsync_fails_for(name: str):  # noqa: ANN202
    real = os.fsync

    def fsync(fd: int) -> None:
        if name in os.path.basename(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    return fsync


# `biaskit eval` in its own process, with every fsync of responses.jsonl failing as on a full disk;
# once one has failed, those of the files named in $THEN fail too (no new file can be written)
FULL_DISK = """
import errno, os, sys
real, full = os.fsync, []
def fsync(fd):
    name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    if "responses.jsonl" in name or (full and any(p in name for p in os.environ["THEN"].split(",") if p)):
        full.append(name)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real(fd)
os.fsync = fsync
from biaskit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("then", ["", ".tmp"], ids=["answers", "then-new-files-too"])
def test_a_full_disk_is_one_line_naming_the_file_and_the_run_is_marked_failed(tmp_path: Path, then: str) -> None:
    # then-new-files-too: the manifest cannot be replaced by a new file either: the failure is recorded in place
    with FaultServer() as server:  # 20 prompts: requests are still in flight when the write fails
        done = subprocess.run([sys.executable, "-c", FULL_DISK, *_command(server, tmp_path / "results", "--limit", "20")],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "THEN": then})  # fmt: skip
    assert done.returncode == 2
    run = tmp_path / "results" / "run"
    assert done.stderr.strip().splitlines() == [f"biaskit: error: cannot write {run / 'responses.jsonl'}: No space left on device"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "No space left on device" in manifest["error"]
    assert not [p.name for p in run.iterdir() if ".tmp" in p.name or p.name == LOCK]


def test_a_failed_whole_file_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "fsync", _fsync_fails_for(".tmp"))
    with pytest.raises(BiaskitError, match=f"cannot write {tmp_path / 'manifest.json'}: No space left on device"):
        write_member(tmp_path / "manifest.json", b"{}")
    assert list(tmp_path.iterdir()) == []

"""A shared results folder holding hostile runs beside good ones (issue 22, defects 2-6).

Each hostile run is a copy of a small committed run with one member made hostile: a link to an
outside file holding an API key, a FIFO, a link to /dev/zero, deeply nested JSON, an oversized
file, a run id that climbs out, a run folder that is itself a link. ``biaskit leaderboard --check``
must list each as skipped with its reason, build the good runs, leave everything outside its
``--out`` folder as it was, never publish the key, and finish in seconds (a real process with a
timeout: a hang fails the test instead of blocking it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from biaskit.errors import BiaskitError, DataError
from biaskit.results.folder import MAX_DEPTH, read_member, write_member
from biaskit.results.jsonl import JsonlWriter
from biaskit.results.leaderboard import write_report
from biaskit.results.leaderboard.samples import read_labeled
from biaskit.results.run import Skipped, load_run
from biaskit.results.store import RunDir

REPO = Path(__file__).resolve().parents[2]
CLEAR_BIAS = "clear-bias-gemma3-270m-plain-a5ae5089"  # small committed runs: a few hundred kilobytes
NBLS = "nbls-smollm2-135m-plain-42d5f0de"
SECRET = "OPENAI_API_KEY=sk-fake-0123456789abcdef"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / ".env").write_text(SECRET + "\n")
    (folder / "index.html").write_text("<p>someone else's page</p>\n")
    return folder


def _copy(results: Path, source: str, name: str) -> Path:
    shutil.copytree(REPO / "results" / source, results / name)
    return results / name


def _hostile_results(tmp_path: Path, outside: Path) -> tuple[Path, dict[str, str]]:
    """A results folder: two good runs and one run per hostile member, with the reason expected."""
    results = tmp_path / "results"
    results.mkdir()
    _copy(results, CLEAR_BIAS, CLEAR_BIAS)
    _copy(results, NBLS, NBLS)
    expected = {}

    run = _copy(results, CLEAR_BIAS, "secret-link")
    (run / "responses.jsonl").unlink()
    (run / "responses.jsonl").symlink_to(outside / ".env")
    expected[run.name] = "responses.jsonl is a symbolic link"

    run = _copy(results, NBLS, "fifo")
    (run / "occupations.csv").unlink()
    os.mkfifo(run / "occupations.csv")
    expected[run.name] = "occupations.csv is a FIFO"

    run = _copy(results, NBLS, "dev-zero")
    (run / "nbls_logprobs.jsonl").unlink()
    (run / "nbls_logprobs.jsonl").symlink_to("/dev/zero")
    expected[run.name] = "nbls_logprobs.jsonl is a symbolic link"

    run = _copy(results, NBLS, "deep-json")
    (run / "scores.json").write_text("[" * 200_000 + "]" * 200_000)
    expected[run.name] = f"nested deeper than {MAX_DEPTH} levels"

    run = _copy(results, NBLS, "oversized")
    with (run / "scores.json").open("r+b") as handle:
        handle.truncate(100 << 20)  # sparse: 100 MiB on paper, nothing on disk
    expected[run.name] = "scores.json is 104,857,600 bytes, over the 64 MiB limit"

    run = _copy(results, NBLS, "id-escape")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["run_id"] = "../../escaped"
    (run / "manifest.json").write_text(json.dumps(manifest))
    expected[run.name] = "is not a plain folder name"

    os.mkfifo(outside / "pipe")  # anything that followed a link to it and read would wait forever
    run = _copy(results, NBLS, "link-to-outside-fifo")
    (run / "manifest.json").unlink()
    (run / "manifest.json").symlink_to(outside / "pipe")
    expected[run.name] = "manifest.json is a symbolic link"

    elsewhere = _copy(outside, NBLS, "elsewhere")
    (results / "linked-run").symlink_to(elsewhere)
    expected["linked-run"] = "the run folder is a symbolic link"
    return results, expected


def test_leaderboard_skips_every_hostile_run_with_its_reason_and_builds_the_good_ones(tmp_path: Path, outside: Path) -> None:
    results, expected = _hostile_results(tmp_path, outside)
    before_outside, before_results = _snapshot(outside), _snapshot(results)
    site = tmp_path / "site"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "biaskit", "leaderboard", str(results), "--out", str(site), "--check"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 1, done.stderr  # --check: runs were skipped
    assert "Traceback" not in done.stderr
    assert took < 30, f"leaderboard took {took:.1f} s"

    board = json.loads((site / "leaderboard.json").read_text())
    skipped = {s["run"]: s["reason"] for s in board["skipped"]}
    assert set(skipped) == set(expected), skipped
    for name, reason in expected.items():
        assert reason in skipped[name], (name, skipped[name])
    assert {r["run"] for r in board["runs"]} == {CLEAR_BIAS, NBLS}
    assert sorted(p.name for p in (site / "runs").iterdir()) == sorted(f"{n}.html" for n in (CLEAR_BIAS, NBLS))

    for path in site.rglob("*"):
        if path.is_file():
            assert "sk-fake" not in path.read_text(errors="replace"), path
    assert "sk-fake" not in done.stdout + done.stderr
    assert _snapshot(outside) == before_outside  # nothing outside written
    assert _snapshot(results) == before_results  # nor in the results folder


# --- writes never leave the run folder (defect 2) ----------------------------------------------


def test_a_linked_manifest_is_replaced_not_followed(tmp_path: Path, outside: Path) -> None:
    run = RunDir(tmp_path / "run")
    (run.path / "scores.json").symlink_to(outside / "index.html")
    write_member(run.path / "scores.json", b"{}\n")
    assert (outside / "index.html").read_text() == "<p>someone else's page</p>\n"
    assert not (run.path / "scores.json").is_symlink() and (run.path / "scores.json").read_bytes() == b"{}\n"


def test_appends_and_the_write_probe_never_follow_a_link(tmp_path: Path, outside: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / ".write-test").symlink_to(outside / ".env")
    (folder / "judgments.jsonl").symlink_to(outside / ".env")
    (folder / "history.jsonl").symlink_to(outside / ".env")
    run = RunDir(folder)  # the writability probe is a new file of its own
    with pytest.raises(DataError, match="judgments.jsonl is a symbolic link"):
        JsonlWriter(run.file("judgments.jsonl"))
    with pytest.raises(DataError, match="history.jsonl is a symbolic link"):
        run.read_history()
    assert (outside / ".env").read_text() == SECRET + "\n"


def test_report_refuses_a_linked_report_folder(tmp_path: Path, outside: Path) -> None:
    run = _copy(tmp_path, NBLS, "run")
    (run / "report").symlink_to(outside)
    with pytest.raises(DataError, match="report is a symbolic link"):
        write_report(run)
    assert (outside / "index.html").read_text() == "<p>someone else's page</p>\n"


# --- reads: links, special files, sizes, depth (defects 3, 4, 5) -------------------------------


def test_errors_never_quote_file_contents(tmp_path: Path) -> None:
    run = _copy(tmp_path, CLEAR_BIAS, "run")
    with (run / "responses.jsonl").open("a") as handle:
        handle.write(SECRET + "\n")
    with pytest.raises(DataError) as caught:
        read_labeled(run)
    assert "sk-fake" not in str(caught.value) and "responses.jsonl" in str(caught.value)


def test_a_linked_stage_file_is_refused_by_the_api(tmp_path: Path, outside: Path) -> None:
    from biaskit import open_run

    run = _copy(tmp_path, CLEAR_BIAS, "run")
    (run / "responses.jsonl").unlink()
    (run / "responses.jsonl").symlink_to(outside / ".env")
    with pytest.raises(DataError) as caught:
        open_run(run).responses()
    assert "symbolic link" in str(caught.value) and "sk-fake" not in str(caught.value)


def test_special_files_are_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "occupations.csv")
    (tmp_path / "responses.jsonl").symlink_to("/dev/zero")
    started = time.monotonic()
    with pytest.raises(DataError, match="FIFO"):
        read_member(tmp_path / "occupations.csv")
    with pytest.raises(DataError, match="symbolic link"):
        read_member(tmp_path / "responses.jsonl")
    assert time.monotonic() - started < 5


def test_deep_json_skips_its_run_only(tmp_path: Path) -> None:
    run = _copy(tmp_path, NBLS, "run")
    (run / "manifest.json").write_text('{"a": ' * 100_000 + "1" + "}" * 100_000)
    skipped = load_run(run)
    assert isinstance(skipped, Skipped) and "nested deeper" in skipped.reason


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    with path.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse
    with pytest.raises(BiaskitError, match="over the 64 MiB limit"):
        read_member(path)

"""The run store's resume logic: keyed stages, truncated last lines, no duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from biaskit.errors import BiaskitError, DataError
from biaskit.results.jsonl import JsonlWriter, read_records
from biaskit.results.store import RESPONSES, RunDir


def _work(calls: list[list[str]]):
    def work(batch):
        calls.append(list(batch))
        return [{"key": f"{unit}#0", "value": unit.upper()} for unit in batch]

    return work


def _keys(unit: str) -> list[str]:
    return [f"{unit}#0"]


def test_stage_produces_every_record_once(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    calls: list[list[str]] = []
    counts = run.run_stage(RESPONSES, ["a", "b", "c", "d", "e"], _keys, _work(calls), batch_size=2)
    assert (counts.reused, counts.generated) == (0, 5)
    assert calls == [["a", "b"], ["c", "d"], ["e"]]
    again = run.run_stage(RESPONSES, ["a", "b", "c", "d", "e"], _keys, _work(calls), batch_size=2)
    assert (again.reused, again.generated) == (5, 0)
    assert len(calls) == 3  # nothing was sent to the model again
    assert [r["key"] for r in run.records(RESPONSES)] == ["a#0", "b#0", "c#0", "d#0", "e#0"]


def test_truncated_last_line_is_dropped_and_regenerated(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    run.run_stage(RESPONSES, ["a", "b", "c"], _keys, _work([]), batch_size=3)
    path = run.file(RESPONSES)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])  # a kill in the middle of writing the last line
    assert [r["key"] for r in read_records(path)] == ["a#0", "b#0"]
    calls: list[list[str]] = []
    counts = run.run_stage(RESPONSES, ["a", "b", "c"], _keys, _work(calls), batch_size=3)
    assert calls == [["c"]]
    assert (counts.reused, counts.generated) == (2, 1)
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a#0", "b#0", "c#0"]


def test_partial_units_only_add_their_missing_samples(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    with JsonlWriter(run.file(RESPONSES)) as writer:
        writer.write([{"key": "a#0"}, {"key": "a#1"}, {"key": "b#0"}])

    def keys(unit: str) -> list[str]:
        return [f"{unit}#{k}" for k in range(2)]

    def work(batch):
        return [{"key": f"{u}#{k}"} for u in batch for k in range(2)]

    counts = run.run_stage(RESPONSES, ["a", "b"], keys, work, batch_size=4)
    assert (counts.reused, counts.generated) == (3, 1)
    assert sorted(r["key"] for r in run.records(RESPONSES)) == ["a#0", "a#1", "b#0", "b#1"]


def test_duplicate_units_in_todo_are_done_once(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    calls: list[list[str]] = []
    run.run_stage(RESPONSES, ["a", "a", "b"], _keys, _work(calls), batch_size=8)
    assert calls == [["a", "b"]]


def test_corrupt_line_in_the_middle_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"key": "a"}\nnot json\n{"key": "c"}\n')
    with pytest.raises(DataError, match=r"x.jsonl: line 2"):
        list(read_records(path))


def test_unwritable_results_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BiaskitError, match="not writable"):
        RunDir(blocker / "run")

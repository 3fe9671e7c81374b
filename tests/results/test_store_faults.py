"""The run store under faults: hand-joined or corrupted stage files, answers that never come,
records made another way, and folders left behind by invocations that failed before any work."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from biaskit.errors import ConfigError, DataError, IncompleteStage, MissingAnswers
from biaskit.results.jsonl import JsonlWriter, read_records
from biaskit.results.store import HISTORY, JUDGMENTS, MANIFEST, RESPONSES, RunDir

from _committed import committed_files, committed_runs



def _judgment(key: str, label: str, category: str = "gender") -> dict:
    return {"key": key, "label": label, "category": category, "task": "SC", "attack": "base", "variant": 0, "path": "deterministic"}


def _write_lines(path: Path, lines: list[str | bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))


# --- duplicates are keyed away, conflicts refused -----------------------------------------------


def test_an_identical_duplicate_line_is_counted_once_with_a_warning(tmp_path: Path, caplog) -> None:
    from biaskit.flows.clear_bias import labels_frame

    run = RunDir(tmp_path / "run")
    rows = [_judgment("a#0", "S"), _judgment("b#0", "CS"), _judgment("c#0", "R")]
    _write_lines(run.file(JUDGMENTS), [json.dumps(r) for r in rows] + [json.dumps(rows[0])])  # a hand-joined file
    with caplog.at_level(logging.WARNING, logger="biaskit"):
        judged = run.records(JUDGMENTS)
    assert [r["key"] for r in judged] == ["a#0", "b#0", "c#0"]
    assert len(labels_frame(run)) == 3  # what the scores are computed from
    assert any("judgments.jsonl: line 4 repeats line 1" in m for m in caplog.messages)


def test_a_conflicting_duplicate_names_the_file_and_both_lines(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    _write_lines(run.file(JUDGMENTS), [json.dumps(_judgment("a#0", "S")), json.dumps(_judgment("b#0", "S")),
                                       json.dumps(_judgment("a#0", "CS"))])  # fmt: skip
    with pytest.raises(DataError, match=r"judgments.jsonl: line 3 repeats key 'a#0' of line 1 with other content"):
        run.records(JUDGMENTS)


# --- one clear line instead of bare Python exceptions ------------------------------------------


def test_a_record_without_key_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "responses.jsonl"
    _write_lines(path, ['{"key": "a#0", "response": "x"}', '{"response": "no key here"}'])
    with pytest.raises(DataError, match=r"responses.jsonl: line 2 has no 'key' field"):
        list(read_records(path))


def test_a_non_utf8_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "responses.jsonl"
    _write_lines(path, ['{"key": "a#0"}', b'{"key": "b#0", "response": "caf\xe9"}'])
    with pytest.raises(DataError, match=r"responses.jsonl: line 2 is not UTF-8 text \(byte 0xe9"):
        list(read_records(path))


def test_an_unreadable_manifest_is_one_clear_error(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    run.file(MANIFEST).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(DataError, match="manifest.json: not a biaskit manifest"):
        run.read_manifest()


def test_a_huge_bad_key_is_cut_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    huge = "k" * 2_000_000
    _write_lines(path, [json.dumps({"key": huge, "label": "S"}), json.dumps({"key": huge, "label": "CS"})])
    with pytest.raises(DataError) as failure:
        list(read_records(path))
    assert len(str(failure.value)) < 300 and "2,000,002 characters" in str(failure.value)


# --- answers that never come: keep the rest, say what is missing --------------------------------


def _keys(unit: str) -> list[str]:
    return [f"{unit}#0"]


def test_a_batch_with_missing_answers_keeps_the_others_and_the_stage_says_how_many(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    never = {"c", "f"}

    def work(batch):
        for unit in batch:
            if unit not in never:
                yield {"key": f"{unit}#0", "value": unit}
        lost = [i for i, u in enumerate(batch) if u in never]
        if lost:
            raise MissingAnswers("no answer", missing=lost, cause="the server sent an answer with no choices")

    with pytest.raises(IncompleteStage) as failure:
        run.run_stage(RESPONSES, list("abcdefg"), _keys, work, batch_size=4)
    assert failure.value.counts == {"reused": 0, "generated": 5, "missing": 2}
    assert "2 of 7 records missing (the server sent an answer with no choices)" in str(failure.value)
    assert sorted(r["key"] for r in run.records(RESPONSES)) == ["a#0", "b#0", "d#0", "e#0", "g#0"]

    never.clear()  # the server recovered: a rerun produces only what is missing
    counts = run.run_stage(RESPONSES, list("abcdefg"), _keys, work, batch_size=4)
    assert (counts.reused, counts.generated) == (5, 2)


def test_records_an_engine_silently_left_out_make_the_stage_incomplete(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")

    def work(batch):
        return [{"key": f"{u}#0"} for u in batch if u != "b"]

    with pytest.raises(IncompleteStage, match="1 of 3 records missing"):
        run.run_stage(RESPONSES, ["a", "b", "c"], _keys, work, batch_size=8)


def test_a_batch_with_no_answer_at_all_stops_the_stage(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    calls: list[list[str]] = []

    def work(batch):
        calls.append(list(batch))
        raise MissingAnswers("down", missing=list(range(len(batch))), cause="cannot reach the server")

    with pytest.raises(IncompleteStage, match="6 of 6 records missing"):
        run.run_stage(RESPONSES, list("abcdef"), _keys, work, batch_size=2)
    assert len(calls) == 1  # the server is gone: no point spending retries on every other batch


# --- fingerprints: never mix records made another way -----------------------------------------


def test_records_are_stamped_and_one_under_another_fingerprint_is_found(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    run.run_stage(RESPONSES, ["a", "b"], _keys, lambda batch: [{"key": f"{u}#0"} for u in batch], 8, fingerprint="f-135m")
    assert {r["fingerprint"] for r in run.records(RESPONSES)} == {"f-135m"}
    assert run.foreign_record(RESPONSES, {"f-135m"}) is None
    assert run.foreign_record(RESPONSES, {"f-1.7b"})["key"] == "a#0"  # the resume check refuses on it


def test_records_made_before_fingerprints_still_resume(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    with JsonlWriter(run.file(RESPONSES)) as writer:
        writer.write([{"key": "a#0", "response": "old"}])
    assert run.foreign_record(RESPONSES, {"anything"}) is None
    counts = run.run_stage(RESPONSES, ["a", "b"], _keys, lambda batch: [{"key": f"{u}#0"} for u in batch], 8, fingerprint="new")
    assert (counts.reused, counts.generated) == (1, 1)


def test_committed_results_still_load() -> None:
    runs = committed_runs()
    # the committed runs' stage files; history.jsonl is a log of invocations, not keyed records
    files = [p for p in committed_files() if p.parent in runs and p.suffix == ".jsonl" and p.name != HISTORY]
    assert files, "no committed runs found"
    loaded = 0
    for path in files:
        records = list(read_records(path))  # read only: committed results are never rewritten
        assert all("key" in r for r in records)
        loaded += len(records)
    assert loaded > 1000


# --- nothing left behind by a failure before any work ------------------------------------------


def test_a_folder_created_and_left_unused_is_removed(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "results" / "run-1")
    run.file(MANIFEST).write_text("{}")
    with JsonlWriter(run.file(RESPONSES)):
        pass  # the stage opened its file but nothing came
    assert run.discard_if_unused()
    assert not (tmp_path / "results").exists()  # the results folder it created goes too

    kept = RunDir(tmp_path / "kept")
    with JsonlWriter(kept.file(RESPONSES)) as writer:
        writer.write([{"key": "a#0"}])
    assert not kept.discard_if_unused() and kept.file(RESPONSES).exists()

    earlier = tmp_path / "earlier"
    earlier.mkdir()
    assert not RunDir(earlier).discard_if_unused() and earlier.is_dir()  # not made by this invocation

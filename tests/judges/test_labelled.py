"""Labels files: joining answers to base and jailbreak prompts, and clear errors for bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from biaskit.errors import DataError
from biaskit.judges import DeterministicJudge, calibrate
from biaskit.judges.labelled import control_answers, load_labelled
from biaskit.suites import clear_bias


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_answers_to_jailbreak_prompts_find_their_options(tmp_path: Path) -> None:
    attack = next(i for i in clear_bias.load_prompts(attacks=("obfuscation",), variants=(1,)) if i.task == "CTO")
    base = clear_bias.load_prompts()[attack.row] if attack.task == "CTO" else None
    path = _write_csv(tmp_path / "mine.csv", [
        {"prompt": attack.prompt, "response": "(A)", "label": "S" if attack.stereotype_index == 0 else "CS"},
        {"prompt": base.prompt, "response": "I will not answer that.", "label": "R"},  # type: ignore[union-attr]
    ])  # fmt: skip
    rows = load_labelled(path)
    assert rows[0].item.options == attack.options and rows[0].item.attack == "obfuscation"
    assert rows[0].item.aliases == ((attack.stereotype,), (attack.counter_stereotype,))
    assert rows[0].group == rows[1].group == f"CTO-{attack.row:03d}"
    report = calibrate(DeterministicJudge(), labels=path)
    assert report.n == 2 and report.accuracy == 1.0 and report.join["rows"] == 2 and "obfuscation" in report.per_attack


def test_stereotype_columns_are_used_when_the_prompt_is_unknown(tmp_path: Path) -> None:
    prompt = "Complete the sentence with one of the following options: TALL/SHORT. The ____ person reached the shelf."
    path = _write_csv(tmp_path / "own.csv", [{"PROMPT": prompt, "RESPONSE": "The TALL person reached the shelf.", "LABEL": "s",
                                             "TASK": "SC", "STEREOTYPE": "TALL", "COUNTER-STEREOTYPE": "SHORT"}])  # fmt: skip
    (row,) = load_labelled(path)
    assert row.label == "S" and row.item.options[row.item.stereotype_index or 0] == "TALL"


@pytest.mark.parametrize(("row", "needle"), [
    ({"prompt": "x", "response": "y", "label": "STEREO"}, r"row 2: unknown label 'STEREO'"),
    ({"prompt": "x", "answer": "y", "label": "S"}, r"row 2: missing column\(s\) response"),
    ({"prompt": "What is up?", "response": "y", "label": "S"}, r"row 2: prompt 'What is up\?' matches no CLEAR-Bias"),
])  # fmt: skip
def test_bad_rows_name_the_file_and_row(tmp_path: Path, row: dict, needle: str) -> None:
    path = _write_csv(tmp_path / "bad.csv", [row])
    with pytest.raises(DataError, match=needle) as info:
        load_labelled(path)
    assert "bad.csv" in str(info.value)


def test_a_long_bad_value_is_cut_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "p", "response": "r", "label": "X" * 10_000}) + "\n")
    with pytest.raises(DataError, match=r"line 1: unknown label") as info:
        load_labelled(path)
    assert len(str(info.value)) < 300


def test_control_answers_keep_all_800_pairs_with_prompt_groups() -> None:
    answers = control_answers()
    assert len(answers) == 800 and {a.label for a in answers} == {"S", "CS", "D", "R"}
    assert sum(a.group.split("-")[1].isdigit() for a in answers) == 800

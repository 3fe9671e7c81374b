"""The audit sample through Label Studio's own formats, with the real label-studio-sdk.

The import file must hold tasks Label Studio accepts for our labelling config (checked with the
SDK's LabelInterface); an export in Label Studio's JSON export shape (tasks with ``annotations``
whose results the SDK generates and validates, user ids, timestamps, cancelled annotations) must
come back as audit labels, and the SDK's own converter must read that same export.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from label_studio_sdk.converter import Converter
from label_studio_sdk.label_interface import LabelInterface

from biaskit import audit
from biaskit.audit.labelstudio import CONFIG
from biaskit.errors import DataError
from biaskit.results.audit import AUDIT, audit_history, human_labels

RUN = Path(__file__).resolve().parents[2] / "results" / "clear-bias-smollm2-135m-plain-884f2761"


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    copy = tmp_path / RUN.name
    shutil.copytree(RUN, copy)
    audit.draw(copy, n=6, seed=1)
    return copy


def _annotation(interface: LabelInterface, label: str, user, when: str, cancelled: bool = False) -> dict:
    """An annotation as Label Studio exports it: the SDK's sample annotation, its choice set to ``label``."""
    annotation = interface.generate_sample_annotation()
    annotation["result"][0]["value"]["choices"] = [label]
    assert interface.validate_annotation(annotation)
    return {**annotation, "id": abs(hash((label, when))) % 10_000, "completed_by": user, "was_cancelled": cancelled,
            "created_at": when, "updated_at": when, "lead_time": 12.5, "task": 1, "project": 3, "prediction": {},
            "result_count": 1, "unique_id": "x", "import_id": None, "last_action": None}  # fmt: skip


def _export(import_file: Path, labels: list[str]) -> list[dict]:
    interface = LabelInterface(CONFIG)
    tasks = json.loads(import_file.read_text())
    exported = []
    for number, (task, label) in enumerate(zip(tasks, labels), start=1):
        annotations = [_annotation(interface, label, 7, f"2026-05-0{number}T10:00:00.000000Z")]
        if number == 1:  # a later annotation that was cancelled, and an earlier one by a user object
            annotations.append(_annotation(interface, "R", 8, "2026-06-01T10:00:00.000000Z", cancelled=True))
            annotations.append(_annotation(interface, "S", {"id": 9, "email": "ann@example.org"}, "2026-04-01T10:00:00.000000Z"))
        exported.append({"id": number, "inner_id": number, "data": task["data"], "annotations": annotations, "predictions": [], "drafts": [],
                         "meta": {}, "created_at": "2026-04-01T09:00:00.000000Z", "updated_at": "2026-05-01T09:00:00.000000Z",
                         "project": 3, "total_annotations": len(annotations), "cancelled_annotations": 0, "file_upload": "audit.json"})  # fmt: skip
    return exported


def test_import_file_and_config_are_valid_for_label_studio(run, tmp_path):
    task_file, config_file = audit.export(run, tmp_path / "audit.json")
    interface = LabelInterface(config_file.read_text())
    assert sorted(interface.get_all_labels()[0]["label"]) == ["CS", "D", "M", "R", "S"]
    tasks = json.loads(task_file.read_text())
    assert len(tasks) == 6 and all(set(t) == {"data"} for t in tasks)
    for task in tasks:
        assert interface.validate_task(task)
        assert "[stereotype]" in task["data"]["options"] and "[counter-stereotype]" in task["data"]["options"]
        assert task["data"]["prompt"] and task["data"]["run"] == str(run)


def test_label_studio_export_round_trip(run, tmp_path):
    task_file, config_file = audit.export(run, tmp_path / "audit.json")
    export_file = tmp_path / "project-3-at-2026-05-10.json"
    export_file.write_text(json.dumps(_export(task_file, ["CS", "D", "R", "M", "S", "D"])))
    # Label Studio's own converter reads the same export (the shape is Label Studio's, not ours)
    Converter(config=config_file.read_text(), project_dir=str(tmp_path)).convert_to_csv(str(export_file), str(tmp_path / "csv"), is_dir=False, sep=",")
    assert "CS" in next((tmp_path / "csv").glob("*.csv")).read_text()

    folder, count = audit.import_labels(export_file)
    assert folder == run and count == 6
    keys = [json.loads(task_file.read_text())[i]["data"]["key"] for i in range(6)]
    assert [human_labels(run)[k] for k in keys] == ["CS", "D", "R", "M", "S", "D"]
    first = next(label for label in audit_history(run) if label.key == keys[0])
    assert (first.by, first.at[:10], first.source) == ("label-studio-user-7", "2026-05-01", f"label-studio:{export_file.name}")
    # importing the same export again adds nothing; the judge's labels are untouched
    judgments = (run / "judgments.jsonl").read_bytes()
    assert audit.import_labels(export_file)[1] == 0
    assert (run / "judgments.jsonl").read_bytes() == judgments
    assert audit.update_scores(run)["n_audited"] == 6


def test_export_with_a_choice_outside_the_config_names_task(run, tmp_path):
    task_file, _ = audit.export(run, tmp_path / "audit.json")
    exported = _export(task_file, ["S"] * 6)
    exported[2]["annotations"][0]["result"][0]["value"]["choices"] = ["maybe"]
    bad = tmp_path / "export.json"
    bad.write_text(json.dumps(exported))
    with pytest.raises(DataError, match=r"export.json: task 3 \(answer .*\): annotation result does not fit"):
        audit.import_labels(bad)
    assert not (run / AUDIT).exists()


def test_csv_round_trip(run, tmp_path):
    sheet = audit.export(run, tmp_path / "audit.csv")[0]
    lines = sheet.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["run", "key"] and "label" in header
    import csv

    rows = list(csv.DictReader(sheet.open()))
    for row, label in zip(rows, ["s", "CS", "", "d", "R", "m"]):
        row["label"], row["by"] = label, "ann"
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    assert audit.import_labels(sheet)[1] == 5
    assert sorted(human_labels(run).values()) == ["CS", "D", "M", "R", "S"]
    rows[1]["label"] = "XX"
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError, match=r"audit.csv: row 3: label 'XX' is not one of S, CS, D, R, M"):
        audit.import_labels(sheet)

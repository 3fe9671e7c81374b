"""``biaskit import-inspect`` refuses a log it cannot import faithfully before it writes anything
(issue 22, defect 11: two samples sharing an id made a run marked complete that no one could open),
and its ``--run-id`` obeys the one run-id rule. Inspect's mock model answers; no model is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.log import read_eval_log, write_eval_log  # noqa: E402
from inspect_ai.model import ChatCompletionChoice, ChatMessageAssistant, ModelOutput, ModelUsage, get_model  # noqa: E402

from biaskit.cli import main  # noqa: E402


def _output(text: str) -> ModelOutput:
    # usage given: otherwise the mock model counts tokens with tiktoken, which downloads its tables
    return ModelOutput(model="mockllm/model", choices=[ChatCompletionChoice(message=ChatMessageAssistant(content=text), stop_reason="stop")],
                       usage=ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2))  # fmt: skip


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("logs")
    evaluated = get_model("mockllm/model", custom_outputs=lambda *_: _output("I cannot help with that."))
    grader = get_model("mockllm/model", custom_outputs=lambda *_: _output("[[R]]"))
    logs = inspect_eval("biaskit/clear_bias", task_args={"limit": 3}, model=evaluated, model_roles={"grader": grader},
                        log_dir=str(folder), display="none")  # fmt: skip
    return Path(logs[0].location)


def test_a_log_with_two_samples_sharing_an_id_is_refused_before_anything_is_written(log_path: Path, tmp_path: Path, capsys) -> None:
    log = read_eval_log(str(log_path))
    assert log.samples and len(log.samples) >= 2
    log.samples[1] = log.samples[1].model_copy(update={"id": log.samples[0].id})
    doubled = tmp_path / "doubled.json"  # the JSON log format keeps both (an .eval archive names samples by id)
    write_eval_log(log, str(doubled))
    assert len({s.id for s in read_eval_log(str(doubled)).samples}) < len(log.samples)
    results = tmp_path / "results"
    assert main(["import-inspect", str(doubled), "--results-dir", str(results), "--run-id", "doubled"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"two samples have the id {str(log.samples[0].id)!r}" in err.strip().splitlines()[-1]
    assert not results.exists()


def test_an_import_run_id_that_climbs_out_is_refused(log_path: Path, tmp_path: Path, capsys) -> None:
    results = tmp_path / "deep" / "results"
    assert main(["import-inspect", str(log_path), "--results-dir", str(results), "--run-id", "../../escaped"]) == 2
    assert "not a plain folder name" in capsys.readouterr().err
    assert not (tmp_path / "escaped").exists() and not results.exists()

"""The inspect_ai integration: ``biaskit/clear_bias`` run by inspect, and its log imported.

The real test runs the task through inspect's ``hf/`` provider on the offline default model and
checks that the imported run scores exactly as ``biaskit eval`` scores the same answers. The
grader test uses inspect's mock model for both the evaluated model and the grader (no model is
loaded): it checks that the LLM part of the judge goes through the grader role.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.log import read_eval_log  # noqa: E402
from inspect_ai.model import ChatCompletionChoice, ChatMessageAssistant, ModelOutput, ModelUsage, get_model  # noqa: E402

from biaskit.cli import main  # noqa: E402
from biaskit.config import EvalConfig  # noqa: E402
from biaskit.engines import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest  # noqa: E402
from biaskit.flows import clear_bias as flow  # noqa: E402
from biaskit.integrations.inspect import import_log  # noqa: E402
from biaskit.results.store import RunDir  # noqa: E402
from biaskit.suites.clear_bias import category_slug  # noqa: E402


class ReplayEngine:
    """Answers each prompt with the answer inspect's run gave it (``biaskit eval`` on the same answers)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def info(self) -> EngineInfo:
        return EngineInfo(backend="hf", backend_version="replay", model="smollm2-135m")

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        return [[Completion(text=self.answers[r.messages[-1].content])] for r in requests]

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        raise NotImplementedError("a replay engine only repeats answers")

    def close(self) -> None:
        pass


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: on a small shared CPU, torch's default oversubscribes it many times over."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _scores(run_dir: Path) -> dict:
    return json.loads((run_dir / "scores.json").read_text())


@pytest.mark.slow
def test_inspect_run_imports_with_the_scores_biaskit_eval_gives(tmp_path: Path, default_model, one_torch_thread) -> None:
    logs = inspect_eval("biaskit/clear_bias", task_args={"limit": 4}, model="hf/smollm2-135m",  # found by its entry point
                        model_args={"model_path": default_model.path, "do_sample": False}, max_tokens=16,
                        log_dir=str(tmp_path / "logs"), display="none")  # fmt: skip
    log = read_eval_log(logs[0].location)
    assert log.status == "success" and len(log.samples) == 4
    assert {s.scores["biaskit_judge"].value for s in log.samples} <= {"S", "CS", "D", "R"}

    imported = import_log(log.location, results_dir=tmp_path / "results", model="smollm2-135m", calibrate_judge=False)
    answers = {s.input: s.output.completion for s in log.samples}
    config = EvalConfig(model="smollm2-135m", limit=4, max_tokens=16, calibrate_judge=False, results_dir=str(tmp_path / "own"), run_id="own")
    flow.run(config, quiet=True, engine_loader=lambda: ReplayEngine(answers))

    own, theirs = RunDir(tmp_path / "own" / "own"), RunDir(imported.run_dir)
    assert {r["key"]: r["response"] for r in theirs.records("responses.jsonl")} == {r["key"]: r["response"] for r in own.records("responses.jsonl")}
    assert {r["key"]: r["label"] for r in theirs.records("judgments.jsonl")} == {r["key"]: r["label"] for r in own.records("judgments.jsonl")}
    scores = _scores(imported.run_dir)
    assert scores == _scores(own.path)

    # inspect's metrics are biaskit's figures
    metrics = {k: m.value for k, m in log.results.scores[0].metrics.items()}
    for name in ("safety", "robustness", "fairness"):
        assert metrics[name] == pytest.approx(scores["base"]["model"][name]["value"])
    for category, figures in scores["base"]["categories"].items():
        assert metrics["safety_" + category_slug(category).replace("-", "_")] == pytest.approx(figures["safety"]["value"])

    assert main(["leaderboard", str(tmp_path / "results"), "--check", "--out", str(tmp_path / "site")]) == 0


def _output(text: str) -> ModelOutput:
    # usage given: otherwise the mock model counts tokens with tiktoken, which downloads its tables
    return ModelOutput(model="mockllm/model", choices=[ChatCompletionChoice(message=ChatMessageAssistant(content=text), stop_reason="stop")],
                       usage=ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2))  # fmt: skip


def test_grader_role_labels_what_the_rules_leave(tmp_path: Path) -> None:
    prompts: list[str] = []

    def grader(messages, tools, tool_choice, config) -> ModelOutput:  # noqa: ANN001
        prompts.append(messages[-1].text)
        return _output("[[R]]")

    evaluated = get_model("mockllm/model", custom_outputs=lambda *_: _output("Hmm, let me think about the weather today."))
    logs = inspect_eval("biaskit/clear_bias", task_args={"limit": 2, "phase": "role_playing"}, model=evaluated,
                        model_roles={"grader": get_model("mockllm/model", custom_outputs=grader)},
                        log_dir=str(tmp_path / "logs"), display="none")  # fmt: skip
    log = read_eval_log(logs[0].location)
    assert log.status == "success" and len(log.samples) == 2 + 2 * 3  # base prompts and 3 role-playing variants of each
    judgments = [s.scores["biaskit_judge"].metadata["judgment"] for s in log.samples]
    assert {(j["label"], j["path"], j["judge"]) for j in judgments} == {("R", "llm", "hybrid:inspect-grader:mockllm/model")}
    assert len(prompts) == 8 + 6  # every answer, then every refusal under attack (the re-check)

    metrics = {k: m.value for k, m in log.results.scores[0].metrics.items()}
    assert metrics["safety"] == metrics["safety_role_playing"] == 1.0

    assert main(["import-inspect", log.location, "--results-dir", str(tmp_path / "results"), "--run-id", "graded"]) == 0
    run_dir = tmp_path / "results" / "graded"
    scores = _scores(run_dir)
    assert scores["judge"]["engine"] == {"backend": "inspect", "model": "mockllm/model", "role": "grader"}
    assert scores["base"]["model"]["safety"]["value"] == 1.0  # all refusals: robust and fair
    assert set(scores["adversarial"]["attacks"]) == {"role_playing"}
    assert len(RunDir(run_dir).records("rechecks.jsonl")) == 6
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config"]["judge"] == "hybrid:llm=inspect-grader:mockllm/model" and manifest["config"]["calibrate_judge"] is False
    assert main(["leaderboard", str(tmp_path / "results"), "--check", "--out", str(tmp_path / "site")]) == 0

"""The openai engine against a fault-injecting server: every fault is retried like a transient
error, an answer that never comes is reported with the others kept, and each finished answer is on
disk as soon as it is in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from _fault_server import FaultServer, answer_text, wait_until

from biaskit.cli import build_parser
from biaskit.cli._common import config_from_args
from biaskit.config import EvalConfig
from biaskit.engines import ChatRequest, EngineConfig, SamplingParams
from biaskit.engines.openai import OpenAIEngine
from biaskit.errors import AuthenticationFailed, EngineError, MissingAnswers
from biaskit.results.store import RESPONSES, RunDir
from biaskit.runner import generate_responses

GREEDY = SamplingParams(max_tokens=4)
QUESTIONS = [ChatRequest.user(f"question {i}") for i in range(12)]


@pytest.fixture
def faulty():
    """``faulty(fault, **engine options)``: a started fault server and an engine on it (fast backoff)."""
    opened: list = []

    def start(fault=None, hang_s: float = 3.0, **config: object) -> tuple[FaultServer, OpenAIEngine]:
        server = FaultServer(fault, hang_s=hang_s).__enter__()
        opened.append(server)
        engine = OpenAIEngine(EngineConfig(backend="openai", model="fake", base_url=server.base_url, **config), backoff_base=0.01)
        opened.append(engine)
        return server, engine

    yield start
    for thing in reversed(opened):
        thing.close() if isinstance(thing, OpenAIEngine) else thing.__exit__(None, None, None)


def _texts(answers) -> list[str]:
    return [c[0].text for c in answers]


def test_an_answer_with_empty_choices_is_retried_until_it_comes(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "empty" if attempt < 2 else None)
    assert _texts(engine.generate(QUESTIONS[:3], GREEDY)) == [answer_text(r.messages[-1].content) for r in QUESTIONS[:3]]
    assert server.served["empty"] == 6 and server.posts == 9


def test_answers_that_never_come_are_reported_and_the_others_kept(faulty) -> None:
    never = {"question 2", "question 5", "question 9"}
    server, engine = faulty(lambda prompt, attempt: "empty" if prompt in never else None, max_retries=2)
    with pytest.raises(MissingAnswers) as failure:
        engine.generate(QUESTIONS, GREEDY)
    error = failure.value
    assert error.missing == [2, 5, 9]
    assert sorted(error.answered) == [i for i in range(12) if i not in (2, 5, 9)]
    assert "3 of 12 requests got no answer" in str(error) and "no choices" in str(error) and "after 3 attempts" in str(error)
    assert server.served["empty"] == 9  # three prompts, each asked 1 + 2 times


def test_malformed_json_is_retried_and_named_and_keeps_the_batch(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "malformed" if attempt == 0 else None)
    assert len(engine.generate(QUESTIONS[:9], GREEDY)) == 9
    assert server.served["malformed"] == 9

    server, engine = faulty(lambda prompt, attempt: "malformed" if prompt == "question 4" else None, max_retries=1)
    with pytest.raises(MissingAnswers) as failure:
        engine.generate(QUESTIONS[:9], GREEDY)
    assert len(failure.value.answered) == 8 and failure.value.missing == [4]
    assert "not valid JSON" in str(failure.value) and "\n" not in str(failure.value)


def test_a_choice_without_a_message_is_retried(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "no-message" if attempt == 0 else None)
    assert _texts(engine.generate(QUESTIONS[:1], GREEDY)) == [answer_text("question 0")]
    assert server.served["no-message"] == 1


def test_every_transient_fault_is_survived(faulty) -> None:
    kinds = ["429", "429-bare", "500", "503", "hang", "malformed", "empty", "no-message"]
    plan = {f"question {i}": kind for i, kind in enumerate(kinds)}
    server, engine = faulty(lambda prompt, attempt: plan.get(prompt) if attempt == 0 else None, timeout=0.5, hang_s=2.0)
    answers = engine.generate(QUESTIONS[: len(kinds)], GREEDY)
    assert _texts(answers) == [answer_text(f"question {i}") for i in range(len(kinds))]
    assert dict(server.served) == {kind: 1 for kind in kinds}


def test_a_permanent_failure_fails_at_once_naming_the_cause(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "400")
    with pytest.raises(EngineError, match="HTTP 400: injected 400"):
        engine.generate(QUESTIONS[:2], GREEDY)
    assert server.posts == 2  # not retried


@pytest.mark.parametrize("status", ["401", "403"])
def test_a_refused_key_stops_at_once_masked_and_naming_the_variable(faulty, monkeypatch, status: str) -> None:
    key = "sk-proj-Qe7rT1yU3iO5pA9sD2fG4hJ6kL8zX0cV"
    monkeypatch.setenv("BIASKIT_TEST_KEY", key)
    server, engine = faulty(lambda prompt, attempt: status, api_key_env="BIASKIT_TEST_KEY", concurrency=1)
    with pytest.raises(AuthenticationFailed) as refused:
        engine.generate(QUESTIONS, GREEDY)
    message = str(refused.value)
    assert key not in message and "$BIASKIT_TEST_KEY***" in message and f"HTTP {status}" in message
    assert "set $BIASKIT_TEST_KEY to a valid key" in message and not isinstance(refused.value, MissingAnswers)
    assert refused.value.exit_code == 2 and server.posts < len(QUESTIONS)  # not retried, the batch not sent on


def test_retry_after_is_a_floor_of_the_wait(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "429" if attempt == 0 else None)
    server.retry_after = "1"
    started = time.monotonic()
    engine.generate(QUESTIONS[:1], GREEDY)
    assert time.monotonic() - started >= 1.0 and server.posts == 2


def test_each_answer_is_on_disk_as_soon_as_it_comes(faulty, tmp_path: Path) -> None:
    from biaskit.suites.clear_bias import load_prompts

    items = load_prompts(tasks=("SC",))[:3]
    slow = items[2].prompt
    server, engine = faulty(lambda prompt, attempt: "hang" if prompt == slow else None, timeout=30.0, hang_s=5.0)
    run = RunDir(tmp_path / "run")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (generate_responses(run, engine, items, GREEDY, batch_size=8, quiet=True), done.set()))
    worker.start()
    try:
        # The slow answer is still in flight while the two quick ones are already written.
        assert wait_until(lambda: len(run.records(RESPONSES)) == 2, timeout_s=4.0)
        assert not done.is_set()
    finally:
        worker.join(timeout=30)
    assert done.is_set() and {r["item_id"] for r in run.records(RESPONSES)} == {i.id for i in items}


def test_timeout_and_max_retries_are_options() -> None:
    args = build_parser().parse_args(["eval", "--backend", "openai", "--timeout", "7.5", "--max-retries", "1"])
    config = config_from_args(EvalConfig, args)
    engine = config.engine_config()
    assert (engine.timeout, engine.max_retries) == (7.5, 1)
    defaults = EvalConfig().engine_config()
    assert (defaults.timeout, defaults.max_retries) == (120.0, 5)
    # They change how answers are fetched, not which: the run id stays the same.
    assert config.model_copy(update={"timeout": 120.0, "max_retries": 5}).resolved_run_id() == config.resolved_run_id()


def test_max_retries_option_bounds_the_attempts(faulty) -> None:
    server, engine = faulty(lambda prompt, attempt: "503", max_retries=1)
    with pytest.raises(MissingAnswers, match="after 2 attempts"):
        engine.generate(QUESTIONS[:1], GREEDY)
    assert server.posts == 2

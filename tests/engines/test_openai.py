"""The openai engine: against a real vLLM OpenAI-compatible server, and its retry logic against a
scripted local HTTP server (the retries, backoff and concurrency limit are our own code)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from _fault_server import send_bytes

from biaskit.engines import ChatRequest, EngineConfig, SamplingParams, ScoreRequest
from biaskit.engines.openai import OpenAIEngine, backoff_delay
from biaskit.engines.serve import start_vllm_server, stop_server, wait_until_serving
from biaskit.errors import EngineError

CAPITAL = ChatRequest.user("What is the capital of France?")
SERVED_NAME = "smollm2-135m"
START_TIMEOUT_S = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a real `vllm serve` ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vllm_server(default_model, tmp_path_factory):
    """``vllm.entrypoints.openai.api_server`` on 127.0.0.1 serving the default model in float32."""
    pytest.importorskip("vllm")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    server = start_vllm_server(default_model.path, port, SERVED_NAME, log_path)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        # About a minute on an idle 2-core machine; several when the CPU is shared.
        try:
            wait_until_serving(base_url, server, START_TIMEOUT_S)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log_path.read_text()[-3000:]}")
        yield base_url
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def served(vllm_server):
    engine = OpenAIEngine(EngineConfig(backend="openai", model=SERVED_NAME, base_url=vllm_server, concurrency=2))
    yield engine
    engine.close()


@pytest.mark.slow
@pytest.mark.vllm
def test_served_greedy_answers_match_in_process_vllm(served, vllm_engine):
    requests = [CAPITAL, ChatRequest.user("Name three fruits that are red."), ChatRequest.user("Say hello in French.")]
    greedy = SamplingParams(max_tokens=24)
    over_http = served.generate(requests, greedy)
    in_process = vllm_engine.generate(requests, greedy)
    assert [c[0].text for c in over_http] == [c[0].text for c in in_process]
    assert [c[0].token_ids for c in over_http] == [c[0].token_ids for c in in_process]


@pytest.mark.slow
@pytest.mark.vllm
def test_served_logprobs_score_and_assistant_prefix(served):
    [[answer]] = served.generate([CAPITAL], SamplingParams(max_tokens=16, logprobs=2))
    assert "Paris" in answer.text and answer.finish_reason == "stop"
    assert len(answer.logprobs) == len(answer.top_logprobs) == answer.n_tokens
    right, wrong = served.score(
        [
            ScoreRequest(context=CAPITAL, continuation=answer.text),
            ScoreRequest(context=CAPITAL, continuation="The capital of France is Madrid."),
        ]
    )
    assert right.logprob == pytest.approx(sum(answer.logprobs), abs=1e-3)
    assert right.logprob > wrong.logprob
    forced = ChatRequest(messages=CAPITAL.messages, assistant_prefix="The capital of France is")
    [[continued]] = served.generate([forced], SamplingParams(max_tokens=6))
    assert "Paris" in continued.text and not continued.text.startswith("The capital")
    info = served.info()
    assert (info.backend, info.model, info.extra["server"]) == ("openai", SERVED_NAME, "vllm")


@pytest.mark.slow
@pytest.mark.vllm
def test_model_the_server_does_not_serve_is_named(vllm_server):
    with pytest.raises(EngineError, match=rf"not served by .*\(it serves: {SERVED_NAME}\)"):
        OpenAIEngine(EngineConfig(backend="openai", model="gpt-9", base_url=vllm_server))


@pytest.mark.slow
@pytest.mark.vllm
def test_llm_judge_over_a_served_endpoint_generates_parses_and_counts(served):
    """The judge as it runs against DeepSeek or GPT-4o: label written and parsed (no forced prefix),
    one stricter retry for outputs that name no label, ``unparsed`` counted, never dropped."""
    from biaskit.judges import LABELS, UNPARSED, JudgeInput, LLMJudge, make_judge
    from biaskit.suites.clear_bias import load_control_set

    inputs = [JudgeInput(key=p.id, task=p.item.task, prompt=p.item.prompt, response=p.response, options=p.item.options,
                         stereotype_index=p.item.stereotype_index) for p in load_control_set().pairs[::100]]  # fmt: skip
    judge = make_judge(f"llm:openai:{SERVED_NAME}@http://unused", engine=served)
    assert isinstance(judge, LLMJudge) and judge.read == "generate"
    judgments = judge.judge(inputs)
    assert [j.key for j in judgments] == [i.key for i in inputs]
    assert all(j.path == "llm" and j.label in (*LABELS, UNPARSED) and j.raw for j in judgments)
    assert all(j.retried for j in judgments if j.label == UNPARSED)  # retried once before being counted
    hybrid = make_judge(f"hybrid:llm=openai:{SERVED_NAME}@http://unused", engine=served).judge(inputs)
    rules = sum(j.path in ("commitment", "deterministic") for j in hybrid)  # explicit picks and the rules decide most; the LLM the rest
    assert {j.path for j in hybrid} <= {"commitment", "deterministic", "llm"} and rules >= len(inputs) // 2


# --- our retry logic against a scripted server ----------------------------------------------------


def _chat_body(text: str) -> dict:
    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "fake", "choices": [choice]}


class ScriptedServer(ThreadingHTTPServer):
    """Answers POSTs from a script of (status, body, delay s, headers); the last entry repeats."""

    daemon_threads = True

    def __init__(self, script: list[tuple[int, dict, float, dict]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script, self.posts, self.auth = list(script), 0, []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        send_bytes(self, status, json.dumps(body).encode(), headers)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "someone"}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server = self.server
        with server.lock:
            server.posts += 1
            server.auth.append(self.headers.get("Authorization"))
            status, body, delay, headers = server.script.pop(0) if len(server.script) > 1 else server.script[0]
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        time.sleep(delay)
        with server.lock:
            server.in_flight -= 1
        try:
            self._send(status, body, headers)
        except OSError:  # the client gave up (timeout test)
            pass


@pytest.fixture
def scripted():
    servers = []

    def start(*script: tuple[int, dict, float, dict], **config: object) -> tuple[ScriptedServer, OpenAIEngine]:
        server = ScriptedServer(list(script))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        engine = OpenAIEngine(EngineConfig(backend="openai", model="fake", base_url=server.base_url, **config), backoff_base=0.01)
        servers.append(engine)
        return server, engine

    yield start
    for item in servers:
        item.shutdown() if isinstance(item, ScriptedServer) else item.close()


OK = (200, _chat_body("hello"), 0.0, {})
ERROR = {"error": {"message": "try later", "type": "server_error"}}


def test_rate_limits_and_server_errors_are_retried(scripted):
    server, engine = scripted((429, ERROR, 0.0, {"Retry-After": "0"}), (500, ERROR, 0.0, {}), OK)
    [[answer]] = engine.generate([CAPITAL], SamplingParams(max_tokens=4))
    assert answer.text == "hello"
    assert server.posts == 3


def test_gives_up_after_max_retries_with_one_line(scripted):
    server, engine = scripted((503, ERROR, 0.0, {}), max_retries=2)
    with pytest.raises(EngineError) as failure:
        engine.generate([CAPITAL], SamplingParams(max_tokens=4))
    assert server.posts == 3
    assert "after 3 attempts" in str(failure.value) and "HTTP 503" in str(failure.value)
    assert "\n" not in str(failure.value)


def test_client_errors_are_not_retried(scripted):
    server, engine = scripted((400, {"error": {"message": "bad temperature"}}, 0.0, {}))
    with pytest.raises(EngineError, match="HTTP 400: bad temperature"):
        engine.generate([CAPITAL], SamplingParams(max_tokens=4))
    assert server.posts == 1


def test_timeouts_are_retried(scripted):
    server, engine = scripted((200, _chat_body("late"), 2.0, {}), OK, timeout=0.5)
    [[answer]] = engine.generate([CAPITAL], SamplingParams(max_tokens=4))
    assert answer.text == "hello" and server.posts == 2


def test_concurrent_requests_stay_within_the_limit(scripted):
    server, engine = scripted((200, _chat_body("hi"), 0.2, {}), concurrency=3)
    answers = engine.generate([ChatRequest.user(f"question {i}") for i in range(9)], SamplingParams(max_tokens=4))
    assert len(answers) == 9
    assert server.max_in_flight == 3


def test_api_key_comes_from_the_named_environment_variable(scripted, monkeypatch):
    monkeypatch.setenv("BIASKIT_TEST_KEY", "sk-test-secret")
    server, engine = scripted(OK, api_key_env="BIASKIT_TEST_KEY")
    engine.generate([CAPITAL], SamplingParams(max_tokens=4))
    assert server.auth == ["Bearer sk-test-secret"]
    assert "sk-test-secret" not in engine.info().model_dump_json()


def test_scoring_on_a_server_that_is_not_vllm_is_refused(scripted):
    _, engine = scripted(OK)
    with pytest.raises(EngineError, match="needs a vLLM server"):
        engine.score([ScoreRequest(context=CAPITAL, continuation="Paris")])


def test_unreachable_server_is_one_clear_line():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(EngineError) as failure:
        OpenAIEngine(EngineConfig(backend="openai", base_url=url))
    assert str(failure.value) == f"cannot reach {url}: connection refused"
    assert time.monotonic() - started < 10


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempt in range(10):
        ceiling = min(8.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 8.0) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert backoff_delay(0, 0.5, 8.0, retry_after=3.0) == 3.0  # the server's Retry-After is a floor
    assert backoff_delay(0, 0.5, 8.0, retry_after=100.0) == 8.0  # ...within the cap

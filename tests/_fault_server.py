"""A fault-injecting OpenAI-compatible server for tests: loopback only, started and stopped by the
test (a context manager), and shut down by a watchdog after ``lifetime_s`` whatever happens.

``fault(prompt, attempt)`` decides each chat request: ``attempt`` counts the earlier requests with
the same prompt; it returns None (a good answer) or one of ``FAULTS``. The server counts every
fault it served and the prompts it answered, so a test can check nothing was lost or invented.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

FAULTS = ("429", "429-bare", "500", "503", "hang", "malformed", "empty", "no-message", "400", "401", "403")
Fault = Callable[[str, int], "str | None"]


def answer_text(prompt: str) -> str:
    """The good answer to ``prompt``: deterministic, so a rerun gets the same text."""
    return f"I would not pick either option. ({len(prompt)})"


def chat_body(text: str, n: int = 1) -> dict:
    choices = [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"} for i in range(n)]
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "fake", "choices": choices}


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fault: Fault | None = None, models: tuple[str, ...] = ("fake",), hang_s: float = 3.0,
                 lifetime_s: float = 180.0, owned_by: str = "fault-server", answer: Callable[[str], str] | None = None,
                 delay_s: float = 0.0) -> None:  # fmt: skip
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fault = fault or (lambda prompt, attempt: None)
        self.models, self.hang_s, self.lifetime_s = models, hang_s, lifetime_s
        self.owned_by = owned_by  # "vllm" makes clients use vLLM's extras (a forced answer start)
        self.answer = answer or answer_text  # the good answer to a prompt
        self.delay_s = delay_s  # seconds each good answer takes (a slow model)
        self.retry_after = "0"  # the Retry-After header of a "429" (seconds)
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()  # requests per prompt
        self.served: Counter[str] = Counter()  # faults served, by kind
        self.answered: Counter[str] = Counter()  # good answers per prompt
        self.bodies: list[dict] = []
        self.in_flight = 0  # requests being answered now (a killed client's may still be running)
        self._stop = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    @property
    def posts(self) -> int:
        return sum(self.attempts.values())

    def __enter__(self) -> "FaultServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        threading.Thread(target=self._watchdog, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.shutdown()
        self.server_close()

    def _watchdog(self) -> None:
        if not self._stop.wait(self.lifetime_s):
            self._stop.set()
            self.shutdown()

    def decide(self, prompt: str) -> str | None:
        with self.lock:
            attempt = self.attempts[prompt]
            self.attempts[prompt] += 1
        kind = self.fault(prompt, attempt)
        with self.lock:
            if kind is None:
                self.answered[prompt] += 1
            else:
                self.served[kind] += 1
        return kind


def send_bytes(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict | None = None) -> None:
    """Answer a request with ``data`` (JSON unless ``headers`` say otherwise); shared by the tests' fake servers."""
    handler.send_response(status)
    for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, data: bytes, headers: dict | None = None) -> None:
        send_bytes(self, status, data, headers)

    def do_GET(self) -> None:
        models = [{"id": m, "object": "model", "owned_by": self.server.owned_by} for m in self.server.models]
        self._send(200, json.dumps({"object": "list", "data": models}).encode())

    def do_POST(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
        try:
            self._answer_post()
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer_post(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.bodies.append(body)
        asked = [m for m in body.get("messages", []) if m.get("role") == "user"] or [{}]
        prompt = str(asked[-1].get("content", ""))  # the user's turn, not a forced answer start after it
        kind = self.server.decide(prompt)
        error = json.dumps({"error": {"message": f"injected {kind}", "type": "server_error"}}).encode()
        try:
            if kind is None:
                if self.server.delay_s:
                    self.server._stop.wait(self.server.delay_s)
                self._send(200, json.dumps(chat_body(self.server.answer(prompt), int(body.get("n") or 1))).encode())
            elif kind == "429":
                self._send(429, error, {"Retry-After": self.server.retry_after})
            elif kind == "429-bare":
                self._send(429, error)
            elif kind in ("500", "503", "400"):
                self._send(int(kind), error)
            elif kind in ("401", "403"):  # as many hosted APIs do: the refused key quoted back
                key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                refused = {"error": {"message": f"Incorrect API key provided: {key}. You can find your API key at https://example.invalid.",
                                     "type": "invalid_request_error", "code": "invalid_api_key"}}  # fmt: skip
                self._send(int(kind), json.dumps(refused).encode())
            elif kind == "hang":  # past the client's timeout, but never past the server's lifetime
                self.server._stop.wait(self.server.hang_s)
                self._send(200, json.dumps(chat_body("too late")).encode())
            elif kind == "malformed":
                self._send(200, b'{"id": "c", "choices": [{"index": 0, "mess')
            elif kind == "empty":
                self._send(200, json.dumps({**chat_body(""), "choices": []}).encode())
            elif kind == "no-message":
                self._send(200, json.dumps({**chat_body(""), "choices": [{"index": 0, "finish_reason": "stop"}]}).encode())
            else:
                raise ValueError(f"unknown fault {kind!r}; expected one of {FAULTS}")
        except OSError:  # the client gave up (it timed out)
            pass


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()

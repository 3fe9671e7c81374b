"""The openai engine: any OpenAI-compatible endpoint (``vllm serve`` replicas, a router, hosted APIs).

Requests run concurrently on an ``AsyncOpenAI`` client inside a private event-loop thread, so the
engine is called from ordinary synchronous code (and from notebooks that already run a loop).
Retries are tenacity's, not the client's (its ``max_retries`` is 0): timeouts, connection errors, 429 and
5xx, and also replies that carry no answer (invalid JSON, no choices), which the client's own retry
does not cover, are retried up to ``--max-retries`` times with exponential backoff and jitter,
``Retry-After`` as a floor; other errors fail at once. One request that fails does not take its
batch with it: :meth:`OpenAIEngine.generate_each` yields each answer as it comes, and the requests
that got none are reported together (:class:`~biaskit.errors.MissingAnswers`).

Two features need a vLLM server, detected from ``/v1/models`` (``owned_by: vllm``):
``assistant_prefix`` (vLLM's ``continue_final_message``) and :meth:`OpenAIEngine.score`. Scoring
must condition on the served model's chat template, which a client cannot render in general, so the
server renders and tokenizes the conversation (``/tokenize``) and returns the prompt log-probabilities
(``/v1/completions`` with ``echo``). Other servers get an :class:`EngineError` saying so.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from biaskit._secrets import mask_secrets, register_key_variable
from biaskit.engines._types import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.errors import AuthenticationFailed, EngineError, MissingAnswers, shorten

if TYPE_CHECKING:
    from biaskit.engines import EngineConfig

T = TypeVar("T")
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): exponential, capped, with jitter.

    Half the ceiling is fixed and half random ("equal jitter"), so parallel requests that failed
    together do not retry together, yet every retry waits. A server's ``Retry-After`` is a floor.
    """
    ceiling = min(cap, base * 2**attempt)
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, min(cap, retry_after)) if retry_after is not None else delay


class Unanswered(Exception):
    """A reply that parsed but carries no usable answer (no choices, a choice without a message)."""


def is_retryable(exc: BaseException) -> bool:
    """Timeouts, connection errors, rate limits (429), server errors (5xx) and replies without an
    answer (invalid JSON, no choices: a server or router in trouble) are worth retrying."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.APIResponseValidationError, json.JSONDecodeError, Unanswered)):
        return True  # APIConnectionError includes APITimeoutError
    return isinstance(exc, openai.APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500)


AUTH_STATUSES = (401, 403)


def describe_error(exc: BaseException, base_url: str, timeout: float) -> str:
    """One line saying what went wrong, without the client's stack of wrapped exceptions, and with
    any key the server quotes masked."""
    return mask_secrets(_describe(exc, base_url, timeout))


def auth_failure(exc: BaseException, base_url: str, key_env: str) -> AuthenticationFailed | None:
    """An :class:`AuthenticationFailed` naming ``key_env`` when ``exc`` is a 401/403, else None."""
    import openai

    if not (isinstance(exc, openai.APIStatusError) and exc.status_code in AUTH_STATUSES):
        return None
    state = "is set but was refused" if os.environ.get(key_env) else "is not set"
    return AuthenticationFailed(f"{describe_error(exc, base_url, 0)}; the API key in ${key_env} {state}: set ${key_env} to a valid key "
                                "for this server (or name another variable with --api-key-env / key_env=)")  # fmt: skip


def _describe(exc: BaseException, base_url: str, timeout: float) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return f"no answer from {base_url} within {timeout:g} s"
    if isinstance(exc, json.JSONDecodeError):
        return f"{base_url} sent a reply that is not valid JSON ({exc.msg} at character {exc.pos})"
    if isinstance(exc, openai.APIResponseValidationError):
        return f"{base_url} sent a reply of the wrong shape ({str(exc).splitlines()[0][:200]})"
    if isinstance(exc, Unanswered):
        return f"{base_url} sent {exc}"
    if isinstance(exc, openai.APIConnectionError):
        root: BaseException = exc
        while root.__cause__ is not None or root.__context__ is not None:
            root = root.__cause__ or root.__context__  # type: ignore[assignment]
        reason = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
        refused = isinstance(root, ConnectionRefusedError) or "refused" in reason.lower()
        return f"cannot reach {base_url}: {'connection refused' if refused else reason}"
    if isinstance(exc, openai.APIStatusError):
        # The client wraps the server's message as "Error code: 400 - {...}"; show the server's own words.
        body = exc.body.get("message", exc.body) if isinstance(exc.body, dict) else exc.message
        message = str(body).strip().splitlines()[0] if body else ""
        return f"{base_url} answered HTTP {exc.status_code}: {message}"
    return f"request to {base_url} failed: {exc}".splitlines()[0]


def _retry_after(exc: BaseException) -> float | None:
    import openai

    if isinstance(exc, openai.APIStatusError):
        try:
            return float(exc.response.headers.get("retry-after", ""))
        except ValueError:
            return None
    return None


class OpenAIEngine:
    """A model behind an OpenAI-compatible HTTP API; ``config.model`` is the served model id."""

    backend = "openai"

    def __init__(self, config: EngineConfig, *, backoff_base: float = 0.5, backoff_cap: float = 30.0) -> None:
        import openai

        self.config = config
        self.base_url = (config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = config.model
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="biaskit-openai", daemon=True)
        self._thread.start()
        # Local servers accept any key; hosted APIs answer 401, which names the variable to set.
        register_key_variable(config.api_key_env)
        key = os.environ.get(config.api_key_env) or "EMPTY"
        self.client = openai.AsyncOpenAI(base_url=self.base_url, api_key=key, timeout=config.timeout, max_retries=0)
        self._semaphore: asyncio.Semaphore | None = None
        try:
            self.owned_by = self._run(self._probe())
        except BaseException:
            self.close()
            raise

    @property
    def is_vllm(self) -> bool:
        return self.owned_by == "vllm"

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    async def _call(self, what: str, make: Callable[[], Awaitable[T]], retries: int | None = None) -> T:
        """``make()`` with at most ``concurrency`` calls in flight, retried on transient failures."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.config.concurrency)
        retries = self.config.max_retries if retries is None else retries

        def wait(state: RetryCallState) -> float:  # exponential with jitter; the server's Retry-After a floor
            error = state.outcome.exception() if state.outcome else None
            return backoff_delay(state.attempt_number - 1, self.backoff_base, self.backoff_cap, _retry_after(error) if error else None)

        attempts = AsyncRetrying(stop=stop_after_attempt(retries + 1), wait=wait, retry=retry_if_exception(is_retryable), reraise=True)
        try:
            async for attempt in attempts:
                with attempt:
                    async with self._semaphore:
                        return await make()
        except Exception as exc:
            refused = auth_failure(exc, self.base_url, self.config.api_key_env)
            if refused is not None:
                raise refused from None
            made = attempts.statistics.get("attempt_number", 1)
            tries = f" after {made} attempts" if made > 1 else ""
            raise EngineError(f"{what} failed{tries}: {describe_error(exc, self.base_url, self.config.timeout)}") from None
        raise AssertionError("unreachable")

    async def _probe(self) -> str | None:
        """Check the server answers and serves ``self.model``; return who serves it (``owned_by``)."""
        import openai

        try:
            # Not retried: a refused connection at start-up is a wrong URL or a server not started.
            page = await self.client.models.list()
        except openai.NotFoundError:  # some compatible servers have no /models
            return None
        except openai.OpenAIError as exc:
            raise auth_failure(exc, self.base_url, self.config.api_key_env) or EngineError(
                describe_error(exc, self.base_url, self.config.timeout)
            ) from None
        served = {m.id: getattr(m, "owned_by", None) for m in page.data}
        if self.model not in served:
            names = ", ".join(sorted(served)[:10]) or "nothing"
            raise EngineError(f"model {shorten(self.model)} is not served by {self.base_url} (it serves: {names}); pass --model with one of these")
        return served[self.model]

    def info(self) -> EngineInfo:
        import openai

        return EngineInfo(
            backend=self.backend,
            backend_version=openai.__version__,
            model=self.model,
            extra={"base_url": self.base_url, "server": self.owned_by, "concurrency": self.config.concurrency},
        )

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        """``sampling.n`` completions per request, in request order; raises :class:`MissingAnswers`
        (with the answers that did come) when some requests got none after every retry."""
        answers: dict[int, list[Completion]] = {}
        try:
            for index, completions in self.generate_each(requests, sampling):
                answers[index] = completions
        except MissingAnswers as exc:
            exc.answered = answers
            raise
        return [answers[i] for i in range(len(requests))]

    def generate_each(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> Iterator[tuple[int, list[Completion]]]:
        """Yield ``(index, completions)`` for each request as soon as its answer is in (any order).

        The requests that got no answer after every retry are reported at the end, together, as
        :class:`MissingAnswers`; stopping the iteration early cancels the requests still in flight.
        """
        if not requests:
            return
        if not self.is_vllm and any(r.assistant_prefix for r in requests):
            raise EngineError(f"an assistant prefix (forced answer start) needs a vLLM server; {self.base_url} is not one")
        finished: queue.SimpleQueue[tuple[int, list[Completion] | None, BaseException | None]] = queue.SimpleQueue()

        async def one(index: int, request: ChatRequest) -> None:
            try:
                finished.put((index, await self._generate_one(request, sampling), None))
            except Exception as exc:
                finished.put((index, None, exc))

        async def batch() -> None:
            await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))

        future = asyncio.run_coroutine_threadsafe(batch(), self._loop)
        failed: dict[int, BaseException] = {}
        try:
            for _ in requests:
                index, completions, error = finished.get()
                if error is None:
                    yield index, completions  # type: ignore[misc]
                elif isinstance(error, AuthenticationFailed):
                    raise error  # every other request would be refused too: stop, nothing to resume
                elif isinstance(error, EngineError):
                    failed[index] = error
                else:  # not a failed request but a fault of ours: no reason to hide it
                    raise error
        finally:
            future.cancel()
        if failed:
            first = failed[min(failed)]
            raise MissingAnswers(f"{len(failed)} of {len(requests)} requests got no answer: {first}", missing=sorted(failed), cause=str(first))

    async def _generate_one(self, request: ChatRequest, sampling: SamplingParams) -> list[Completion]:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        extra: dict[str, Any] = {"return_token_ids": True} if self.is_vllm else {}
        if request.assistant_prefix:
            messages.append({"role": "assistant", "content": request.assistant_prefix})
            extra.update(continue_final_message=True, add_generation_prompt=False)
        greedy = sampling.temperature == 0.0
        options: dict[str, Any] = {"n": sampling.n, "temperature": sampling.temperature, "top_p": 1.0 if greedy else sampling.top_p}
        if sampling.stop:
            options["stop"] = list(sampling.stop)
        if sampling.logprobs is not None:
            options["logprobs"] = True
            if sampling.logprobs > 0:
                options["top_logprobs"] = sampling.logprobs

        async def answer() -> Any:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]  # plain role/content dicts; the SDK's TypedDict union does not accept dict[str, str]
                max_tokens=sampling.max_tokens,
                seed=sampling.seed,
                extra_body=extra or None,
                **options,  # fmt: skip
            )
            choices = _choices(response, sampling.n)
            if any(getattr(c, "message", None) is None for c in choices):
                raise Unanswered("a choice without a message")
            return choices

        choices = await self._call("chat completion", answer)
        return [_completion(choice, sampling) for choice in sorted(choices, key=lambda c: c.index)]

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        if not self.is_vllm:
            raise EngineError(
                f"scoring continuations needs a vLLM server (its /tokenize endpoint and prompt log-probabilities); {self.base_url} is not one"
            )

        async def batch() -> list[Score]:
            return list(await asyncio.gather(*(self._score_one(r) for r in requests)))

        return self._run(batch()) if requests else []

    async def _score_one(self, request: ScoreRequest) -> Score:
        messages = [{"role": m.role, "content": m.content} for m in request.context.messages]
        chat: dict[str, Any] = {"model": self.model, "messages": messages, "add_generation_prompt": True}
        if request.context.assistant_prefix:
            messages.append({"role": "assistant", "content": request.context.assistant_prefix})
            chat.update(add_generation_prompt=False, continue_final_message=True)
        text = {"model": self.model, "prompt": request.continuation, "add_special_tokens": False}
        context, target = await asyncio.gather(self._tokenize(chat), self._tokenize(text))

        async def answer() -> Any:
            response = await self.client.completions.create(
                model=self.model, prompt=context + target, max_tokens=0, echo=True, logprobs=0, temperature=0.0
            )
            logprobs = getattr(_choices(response, 1)[0], "logprobs", None)
            if logprobs is None or logprobs.token_logprobs is None:
                raise Unanswered("a completion without the prompt log-probabilities")
            return logprobs

        logprobs = await self._call("scoring", answer)
        span = slice(len(context), len(context) + len(target))
        values = [float(v) for v in logprobs.token_logprobs[span]]
        return Score(logprob=sum(values), token_logprobs=values, tokens=list(logprobs.tokens[span]))

    async def _tokenize(self, body: dict[str, Any]) -> list[int]:
        # /tokenize sits at the server root, beside /v1.
        url = self.base_url.removesuffix("/v1") + "/tokenize"
        answer = await self._call("tokenizing", lambda: self.client.post(url, body=body, cast_to=object))
        return list(answer["tokens"])  # type: ignore[index]

    async def _shut_down(self) -> None:
        """Cancel the requests still in flight (a stage stopped early) and wait for them to end, so
        none is left pending when the loop closes; then close the HTTP client."""
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.client.close()

    def close(self) -> None:
        """Close the HTTP client and stop the event-loop thread."""
        if self._loop.is_closed():
            return
        if self._loop.is_running():
            self._run(self._shut_down())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()


def _choices(response: Any, n: int) -> list[Any]:
    """The reply's choices, at least ``n`` of them; fewer is a reply without (all of) its answer."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise Unanswered("an answer with no choices")
    if len(choices) < n:
        raise Unanswered(f"{len(choices)} of the {n} choices asked for")
    return choices


def _completion(choice: Any, sampling: SamplingParams) -> Completion:
    ids = list(getattr(choice, "token_ids", None) or [])
    # vLLM returns the end-of-sequence token among the ids; the local engines leave it out.
    if ids and choice.finish_reason == "stop" and not isinstance(getattr(choice, "stop_reason", None), str):
        ids = ids[:-1]
    logprobs = top = None
    if sampling.logprobs is not None and choice.logprobs is not None and choice.logprobs.content is not None:
        content = choice.logprobs.content[: len(ids)] if ids else choice.logprobs.content
        logprobs = [item.logprob for item in content]
        if sampling.logprobs > 0:
            top = [{alt.token: alt.logprob for alt in item.top_logprobs[: sampling.logprobs]} for item in content]
    return Completion(text=choice.message.content or "", token_ids=ids, logprobs=logprobs, top_logprobs=top, finish_reason=choice.finish_reason)

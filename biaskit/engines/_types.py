"""Typed records shared by every engine: what goes in (requests, sampling) and what comes out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from biaskit.errors import MissingAnswers


class Message(BaseModel):
    """One chat turn."""

    model_config = ConfigDict(frozen=True)
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    """One conversation to continue. ``assistant_prefix`` is text the answer is forced to start with."""

    model_config = ConfigDict(frozen=True)
    messages: tuple[Message, ...]
    assistant_prefix: str = ""

    @classmethod
    def user(cls, text: str, system: str | None = None) -> ChatRequest:
        """A single user turn, optionally after a system prompt."""
        turns = ([Message(role="system", content=system)] if system else []) + [Message(role="user", content=text)]
        return cls(messages=tuple(turns))


class SamplingParams(BaseModel):
    """Decoding settings, identical in meaning for every engine.

    temperature 0 means greedy. ``logprobs`` asks for the log-probability of each generated token
    (and that many top alternatives per position when > 0).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    temperature: float = Field(0.0, ge=0.0, le=5.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(128, ge=1, le=32768)
    seed: int = 0
    n: int = Field(1, ge=1, le=1024)
    logprobs: int | None = Field(None, ge=0, le=20)
    stop: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _greedy_single(self) -> SamplingParams:
        if self.temperature == 0.0 and self.n > 1:
            raise ValueError("n > 1 needs temperature > 0: greedy decoding gives n identical samples")
        return self


class Completion(BaseModel):
    """One generated answer."""

    text: str
    token_ids: list[int] = Field(default_factory=list)
    logprobs: list[float] | None = None  # log-probability of each generated token
    top_logprobs: list[dict[str, float]] | None = None  # per position: token text -> log-probability
    finish_reason: str | None = None

    @property
    def n_tokens(self) -> int:
        return len(self.token_ids)


class ScoreRequest(BaseModel):
    """Score ``continuation`` as the start of the assistant's answer to ``context``."""

    model_config = ConfigDict(frozen=True)
    context: ChatRequest
    continuation: str


class Score(BaseModel):
    """Log-probability of a continuation, in total and per token of the scoring model's tokenizer."""

    logprob: float
    token_logprobs: list[float]
    tokens: list[str] = Field(default_factory=list)


class EngineInfo(BaseModel):
    """What the manifest records about an engine so that a run can be reproduced."""

    backend: str
    backend_version: str
    model: str
    model_path: str | None = None
    revision: str | None = None  # resolved commit hash (hub) or content hash (local files)
    dtype: str | None = None
    extra: dict[str, object] = Field(default_factory=dict)


@runtime_checkable
class Engine(Protocol):
    """A loaded model. Callers hand over whole batches; engines never make callers loop over prompts."""

    def info(self) -> EngineInfo: ...

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        """Return ``sampling.n`` completions for each request, in request order."""
        ...

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """Return the log-probability of each request's continuation, in request order."""
        ...

    def close(self) -> None:
        """Release the model (GPU memory, worker processes)."""
        ...


def stream_answers(engine: Engine, requests: Sequence[ChatRequest], sampling: SamplingParams) -> Iterator[tuple[int, list[Completion]]]:
    """``(index, completions)`` of each request as soon as ``engine`` has them.

    An engine that answers requests one by one (openai) has ``generate_each`` and streams them;
    the others give the whole batch at once. The answers a :class:`MissingAnswers` carries are
    yielded before it is raised, so a caller keeps every answer that came.
    """
    each = getattr(engine, "generate_each", None)
    if each is not None:
        yield from each(requests, sampling)
        return
    try:
        outputs = engine.generate(requests, sampling)
    except MissingAnswers as exc:
        yield from sorted(exc.answered.items())
        raise
    yield from enumerate(outputs)

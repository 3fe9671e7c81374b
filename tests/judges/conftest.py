"""Fixtures of the judge tests."""

from __future__ import annotations

from typing import Sequence

import pytest

from biaskit.engines import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.errors import MissingAnswers


class ScriptedEngine:
    """Answers each batch from a script (a fake for our own retry logic, not a model)."""

    def __init__(self, *batches: list[str | None]) -> None:
        self.batches = list(batches)  # each: one text (or None: no answer) per request
        self.requests: list[list[ChatRequest]] = []

    def info(self) -> EngineInfo:
        return EngineInfo(backend="hf", backend_version="test", model="scripted")

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        """A None in the script is a request that got no answer after every retry."""
        self.requests.append(list(requests))
        texts = self.batches.pop(0)
        answered = {n: [Completion(text=t)] for n, t in enumerate(texts) if t is not None}
        if len(answered) < len(texts):
            missing = [n for n, t in enumerate(texts) if t is None]
            raise MissingAnswers(f"{len(missing)} of {len(texts)} requests got no answer: HTTP 500", missing, answered, "HTTP 500")
        return [answered[n] for n in range(len(texts))]

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        raise NotImplementedError("a scripted engine only writes text")

    def close(self) -> None:
        pass


class LogprobEngine:
    """Gives chosen next-token log-probabilities and label scores (a fake for our own reading
    logic, not a model). ``tops``: the top log-probabilities returned for each generated request,
    in order (None: none returned); ``scores``: the log-probability ``score`` gives each
    continuation; ``tokens``: how the tokenizer splits a continuation (default: label, "]]")."""

    def __init__(self, tops: list[dict[str, float] | None], scores: dict[str, float] | None = None,
                 tokens: dict[str, list[str]] | None = None) -> None:  # fmt: skip
        self.tops = list(tops)
        self.scores = scores or {}
        self.tokens = tokens or {}
        self.sampling: list[SamplingParams] = []
        self.scored: list[list[ScoreRequest]] = []

    def info(self) -> EngineInfo:
        return EngineInfo(backend="hf", backend_version="test", model="logprobs")

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        self.sampling.append(sampling)
        out = []
        for _ in requests:
            top = self.tops.pop(0)
            out.append([Completion(text=max(top, key=top.__getitem__) if top else "", top_logprobs=[top] if top else None)])
        return out

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        self.scored.append(list(requests))
        out = []
        for r in requests:
            pieces = self.tokens.get(r.continuation, [r.continuation.removesuffix("]]"), "]]"])
            out.append(Score(logprob=self.scores.get(r.continuation, -1.0), token_logprobs=[], tokens=pieces))
        return out

    def close(self) -> None:
        pass


@pytest.fixture(name="ScriptedEngine")
def scripted_engine() -> type[ScriptedEngine]:
    """The scripted fake engine class (answers batches from a script; records the requests)."""
    return ScriptedEngine


@pytest.fixture(name="LogprobEngine")
def logprob_engine() -> type[LogprobEngine]:
    """The fake engine class with chosen next-token log-probabilities and label scores."""
    return LogprobEngine

"""Fixtures of the judge tests."""

from __future__ import annotations

from typing import Sequence

import pytest

from biaskit.engines import ChatRequest, Completion, EngineInfo, SamplingParams


class ScriptedEngine:
    """Answers each batch from a script (a fake for our own retry logic, not a model)."""

    def __init__(self, *batches: list[str]) -> None:
        self.batches = list(batches)
        self.requests: list[list[ChatRequest]] = []

    def info(self) -> EngineInfo:
        return EngineInfo(backend="hf", backend_version="test", model="scripted")

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        self.requests.append(list(requests))
        return [[Completion(text=t)] for t in self.batches.pop(0)]

    def score(self, requests):  # pragma: no cover - judges never score
        raise NotImplementedError

    def close(self) -> None:
        pass



@pytest.fixture(name="ScriptedEngine")
def scripted_engine() -> type[ScriptedEngine]:
    """The scripted fake engine class (answers batches from a script; records the requests)."""
    return ScriptedEngine

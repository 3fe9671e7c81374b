"""inspect's ``grader`` model role as a biaskit Engine, so biaskit's LLM judge can run through it.

biaskit's judges are synchronous; inspect's models are coroutines on the eval's event loop. The
scorer runs the judge in a worker thread (``anyio.to_thread``), and this engine hands each request
back to the event loop (``anyio.from_thread``), so the judge's prompts, retry and parsing are
biaskit's own while the calls go through inspect (its provider, retries, limits and log).
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio.from_thread
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, Model

from biaskit.engines import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest

_TURNS = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
_FINISH = {"max_tokens": "length", "model_length": "length"}


def inspect_messages(request: ChatRequest) -> list[ChatMessage]:
    """A biaskit request as inspect chat messages (a forced answer start becomes an assistant turn)."""
    messages: list[ChatMessage] = [_TURNS[m.role](content=m.content) for m in request.messages]
    if request.assistant_prefix:
        messages.append(ChatMessageAssistant(content=request.assistant_prefix))
    return messages


def finish_reason(stop_reason: str) -> str | None:
    """inspect's stop reason in biaskit's words (``length`` where the token budget ran out; None
    where the provider does not know, as inspect's hf provider)."""
    return None if stop_reason == "unknown" else _FINISH.get(stop_reason, stop_reason)


class GraderEngine:
    """Generates with an inspect ``Model``; must be called from a thread started by anyio."""

    next_token_logprobs = False

    def __init__(self, model: Model) -> None:
        self.model = model

    def info(self) -> EngineInfo:
        from inspect_ai import __version__

        return EngineInfo(backend="inspect", backend_version=__version__, model=str(self.model))

    async def _one(self, request: ChatRequest, sampling: SamplingParams) -> Completion:
        config = GenerateConfig(temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens, seed=sampling.seed)
        output = await self.model.generate(inspect_messages(request), config=config)
        return Completion(text=output.completion, finish_reason=finish_reason(output.stop_reason))

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        return [[anyio.from_thread.run(self._one, r, sampling)] for r in requests]

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        raise NotImplementedError("an inspect grader model cannot score continuations; the judge generates its label")

    def close(self) -> None:
        """The model belongs to inspect, which closes it."""

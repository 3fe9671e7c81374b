"""An engine that loads its model on first use, so a fully resumed stage never loads it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from biaskit.engines import (
    ChatRequest,
    Completion,
    Engine,
    EngineConfig,
    EngineInfo,
    SamplingParams,
    Score,
    ScoreRequest,
    load_engine,
    stream_answers,
)  # fmt: skip
from biaskit.engines.models import resolve_model
from biaskit.errors import EngineError


class LazyEngine:
    """Loads ``config``'s model (or calls ``loader``) on first use; ``close`` releases it until next use."""

    def __init__(self, config: EngineConfig, loader: Callable[[], Engine] | None = None,
                 expected: tuple[str, str | None] | None = None) -> None:  # fmt: skip
        """``expected``: the (backend, dtype) the records are stamped with; a loaded engine that runs
        otherwise is refused, so a stamp never names an engine that did not make the records."""
        self.config = config
        self.loader = loader or (lambda: load_engine(config))
        self.expected = expected
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = self.loader()
            info = engine.info()
            if self.expected is not None and info.dtype is not None and (info.backend, info.dtype) != self.expected:
                engine.close()
                raise EngineError(f"--backend {self.config.backend} --dtype {self.config.dtype} loaded {info.backend}/{info.dtype}, "
                                  f"not the {self.expected[0]}/{self.expected[1]} biaskit resolved them to; pass "
                                  f"--backend {info.backend} --dtype {info.dtype}")  # fmt: skip
            self._engine = engine
        return self._engine

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def info(self) -> EngineInfo:
        if self._engine is not None:
            return self._engine.info()
        # Not loaded (everything was resumed): record what can be known without loading it.
        from biaskit.engines import resolve_backend

        backend = resolve_backend(self.config.backend)
        path = None if backend == "openai" else resolve_model(self.config.model, self.config.revision).path
        dtype = self.expected[1] if self.expected is not None else None  # what its records are stamped with
        return EngineInfo(backend=backend, backend_version="not loaded", model=self.config.model, model_path=path, dtype=dtype)

    @property
    def next_token_logprobs(self) -> bool:
        """Whether generate() returns next-token log-probs (asked only when work is due: loads)."""
        return getattr(self.engine, "next_token_logprobs", True)

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        return self.engine.generate(requests, sampling)

    def generate_each(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> Iterator[tuple[int, list[Completion]]]:
        """The loaded engine's answers as they come (see :func:`biaskit.engines.stream_answers`)."""
        return stream_answers(self.engine, requests, sampling)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        return self.engine.score(requests)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

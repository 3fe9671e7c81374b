"""DebiasEngine follows the Engine protocol, so a suite can run through it unchanged."""

from __future__ import annotations

import pytest

from biaskit.debias.engine import DebiasEngine
from biaskit.engines._types import ChatRequest, Engine, SamplingParams, ScoreRequest
from biaskit.errors import ConfigError


def test_engine_generates_scores_and_describes_itself(tiny_draft, tiny_verifier):
    engine = DebiasEngine(str(tiny_draft), str(tiny_verifier), constitution="anti_discrimination")
    assert isinstance(engine, Engine)
    requests = [ChatRequest.user("A Dalit doctor.", system="Answer briefly."), ChatRequest.user("A teacher.")]
    out = engine.generate(requests, SamplingParams(max_tokens=5))
    assert [len(c) for c in out] == [1, 1] and all(c[0].text for c in out)
    assert [s.has_counterfactual for s in engine.last_stats] == [True, False]
    assert all(s.tokens == 5 for s in engine.last_stats)
    info = engine.info()
    assert info.backend == "debias-hf" and info.extra["constitution"] == "anti_discrimination"
    score = engine.score([ScoreRequest(context=requests[1], continuation=" the farmer")])[0]
    assert score.logprob < 0 and len(score.token_logprobs) == len(score.tokens)
    with pytest.raises(ConfigError, match="greedy"):
        engine.generate(requests, SamplingParams(temperature=1.0, n=2))
    engine.close()

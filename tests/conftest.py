"""Shared fixtures. Real models are loaded once per test session (vLLM especially: one instance)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def default_model():
    """The offline default model (SmolLM2-135M-Instruct), converted once into the cache."""
    from biaskit.engines.models import resolve_model

    return resolve_model("smollm2-135m")


@pytest.fixture(scope="session")
def hf_engine(default_model):
    """The default model on the transformers engine, float32 on CPU."""
    from biaskit.engines.hf import HFEngine

    engine = HFEngine(default_model, dtype="float32", batch_size=16)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def vllm_engine(default_model):
    """The one vLLM instance of the test session (default model, float32)."""
    pytest.importorskip("vllm")
    from biaskit.engines import EngineConfig
    from biaskit.engines.vllm import VLLMEngine

    engine = VLLMEngine(default_model, EngineConfig(model="smollm2-135m", backend="vllm", dtype="float32"))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def committed_results(tmp_path_factory) -> Path:
    """A results folder holding only the committed runs (never a user's own runs beside them)."""
    from _committed import copy_committed

    return copy_committed(tmp_path_factory.mktemp("committed") / "results")

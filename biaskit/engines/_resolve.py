"""What an engine will run as, known before it loads: ``auto`` backend and dtype resolved.

A run's answers are stamped with the resolved pair (never ``auto``), so a resume on a machine where
``auto`` now means something else (vLLM installed since, a GPU added) is refused instead of mixed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

# Spellings the engines accept for the same dtype.
_ALIASES = {"float": "float32", "fp32": "float32", "half": "float16", "fp16": "float16", "bf16": "bfloat16"}


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def resolve_backend(backend: str) -> str:
    """``auto`` means vllm when it is importable, else hf."""
    if backend == "auto":
        return "vllm" if vllm_available() else "hf"
    return backend


def resolve_dtype(backend: str, dtype: str, model_path: str | None = None) -> str | None:
    """The dtype ``backend`` (already resolved) runs ``dtype`` as; None where biaskit does not choose
    it (a served model). ``model_path`` is read only for vllm's ``auto`` (the checkpoint's dtype)."""
    if backend not in ("hf", "vllm"):
        return None
    if dtype != "auto":
        return _ALIASES.get(dtype, dtype)
    if backend == "hf":
        return _hf_auto()
    return _vllm_auto(model_path)


def _hf_auto() -> str:
    """The hf engine's own rule: bfloat16 on a GPU that supports it, else float32."""
    import torch

    return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32"


def _vllm_auto(model_path: str | None) -> str:
    """vLLM's rule: the checkpoint's dtype where the platform supports it, float32 checkpoints cast
    down to the platform's preferred dtype (bfloat16 on CPUs and recent GPUs)."""
    stored = _checkpoint_dtype(model_path)
    from vllm.platforms import current_platform

    supported = [str(d).removeprefix("torch.") for d in current_platform.supported_dtypes]
    preferred = supported[0] if supported else "bfloat16"
    if stored in (None, "float32"):
        return preferred
    return stored if stored in supported else preferred


def _checkpoint_dtype(model_path: str | None) -> str | None:
    if model_path is None or not (Path(model_path) / "config.json").is_file():
        return None
    config = json.loads((Path(model_path) / "config.json").read_text())
    stored = config.get("torch_dtype") or config.get("dtype") or (config.get("text_config") or {}).get("torch_dtype")
    return _ALIASES.get(stored, stored) if isinstance(stored, str) else None

"""The fingerprint stamped on every stored answer: what made it, with ``auto`` resolved.

A stage's records carry a short hash of the model, the resolved backend and dtype (never ``auto``)
and how the stage makes its records (the sampling options, say). A resume whose hash differs is
refused before any work; when only the engine differs, the refusal names the engine the stored
records were made with and the command that continues the run on it.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping
from typing import Any

from biaskit.config import EvalConfig, debias_identity
from biaskit.engines import resolve_backend, resolve_dtype
from biaskit.engines.models import resolve_model
from biaskit.errors import ConfigError
from biaskit.results.folder import MANIFEST
from biaskit.results.manifest import Manifest
from biaskit.results.store import RunDir

# What makes one answer what it is; options such as --limit or --tasks choose which items are asked.
FINGERPRINTED = ("model", "revision", "backend", "dtype", "condition", "debias")


def resolved_engine(config: EvalConfig) -> tuple[str, str | None]:
    """The backend and dtype ``config`` runs on here, ``auto`` resolved."""
    backend = resolve_backend(config.backend)
    needs_checkpoint = backend == "vllm" and config.dtype == "auto"
    path = resolve_model(config.model, config.revision).path if needs_checkpoint else None
    return backend, resolve_dtype(backend, config.dtype, path)


def fingerprint(config: EvalConfig, **how: Any) -> str:
    """The stamp of the records ``config`` makes ``how`` (resolved backend and dtype)."""
    backend, dtype = resolved_engine(config)
    return stamp_for(config, backend, dtype, how)


def stamp_for(config: EvalConfig, backend: str, dtype: str | None, how: Mapping[str, Any]) -> str:
    """The stamp of records ``config`` makes ``how`` on ``backend`` in ``dtype`` (given, not resolved)."""
    identity = {**{name: getattr(config, name) for name in FINGERPRINTED}, "backend": backend, "dtype": dtype, **how}
    if config.debias:  # the settings a debiased answer was decoded with, not the name of their file
        identity["debias"] = debias_identity(config.debias)
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:12]


def check_stage(run: RunDir, config: EvalConfig, stage: str, how: Mapping[str, Any], manifest: Manifest | None) -> None:
    """Refuse to resume ``stage`` when a stored record was made another way.

    Records stamped before the stamp held the resolved engine (hashed over ``auto``) are accepted
    when the manifest records the same backend and dtype as this invocation resolves to."""
    backend, dtype = resolved_engine(config)
    ours = stamp_for(config, backend, dtype, how)
    recorded = _recorded_engine(manifest)
    earlier = stamp_for(config, config.backend, config.dtype, how) if recorded == (backend, dtype) else None
    record = run.foreign_record(stage, {ours, earlier})
    if record is not None:
        theirs = record["fingerprint"]
        made = _engine_of(theirs, config, how) or recorded
        if made is not None and made != (backend, dtype):
            raise ConfigError(_other_engine(run, config, stage, made, (backend, dtype)))
        raise ConfigError(
            f"{run.file(stage)}: record {record['key']!r} was made with another model or other generation "
            f"options (fingerprint {theirs}, this run {ours}); choose another --run-id or remove that folder"
        )


def _engine_of(stamp: str, config: EvalConfig, how: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """The (backend, dtype) whose stamp is ``stamp`` for this config, if any."""
    for backend in ("hf", "vllm"):
        for dtype in ("float32", "bfloat16", "float16"):
            if stamp_for(config, backend, dtype, how) == stamp:
                return backend, dtype
    return None


def _recorded_engine(manifest: Manifest | None) -> tuple[str, str | None] | None:
    engine = manifest.engine if manifest is not None else None
    # an engine recorded without its dtype (never loaded: every record was resumed) tells nothing
    if engine is not None and engine.backend in ("hf", "vllm") and engine.dtype is not None:
        return engine.backend, engine.dtype
    return None


def _other_engine(run: RunDir, config: EvalConfig, stage: str, made: tuple[str, str | None], now: tuple[str, str | None]) -> str:
    asked = f"--backend {config.backend} --dtype {config.dtype}"
    command = ["biaskit", "eval", "--config", str(run.file(MANIFEST)), "--run-id", run.path.name,
               "--backend", made[0], "--dtype", str(made[1]), "--phase", config.phase]  # fmt: skip
    return (
        f"{run.file(stage)}: its records were made on {made[0]}/{made[1]}, and {asked} resolves to {now[0]}/{now[1]} "
        f"here; a resume never mixes answers of two engines. Continue the run on the engine that made it: "
        f"{shlex.join(command)} (or start another run with --run-id)"
    )


def engine_identity(options: dict[str, Any], engine: tuple[str, str | None] | None) -> dict[str, Any]:
    """Identity ``options`` with backend and dtype as ``engine`` ran them (when known), so that a
    run made with ``auto`` and continued with the backend and dtype ``auto`` gave it is the same run."""
    if engine is None:
        return options
    return {**options, "backend": engine[0], "dtype": engine[1]}


def recorded_engine(manifest: Manifest | None) -> tuple[str, str | None] | None:
    """The local backend and dtype a stored run's manifest says its records were made on."""
    return _recorded_engine(manifest)


def local_engine(config: EvalConfig) -> tuple[str, str | None] | None:
    """:func:`resolved_engine` for a local backend (hf, vllm); None for a served model."""
    engine = resolved_engine(config)
    return engine if engine[0] in ("hf", "vllm") else None

"""manifest.json: everything needed to know what a run is and to reproduce it.

Schema (version 1):
- ``schema_version``, ``run_id``, ``status`` ("running" | "complete" | "failed" | "incomplete" |
  "interrupted"); a run that stopped also has ``error`` (why; not for "interrupted"), and an
  incomplete one ``missing`` (records still missing after every retry, also in ``counts``)
- ``biaskit_version``, ``git_commit`` (of the biaskit checkout, when there is one)
- ``suite``, ``condition`` ("plain" | "debiased" | "grounded" | ...)
- ``engine``: backend, backend version, model spec, local path, resolved revision or content hash, dtype
  (the resolved dtype, never ``auto``), of the latest stage that loaded one; ``engines`` the same per
  phase (``base``, ``attacks``, ``nbls``): what made that phase's records
- ``sampling``: the SamplingParams used for generation (seed included)
- ``judge``: judge spec and settings, with the sha256 of each judge prompt file used
- ``prompt_hashes``: sha256 of each data file the suite read
- ``config``: the fully resolved configuration (CLI + config file); `biaskit eval --config` can replay it
- ``started_at``, ``finished_at`` (UTC, ISO 8601)
- ``invocations``: one entry per invocation that opened the run (``started_at``, ``git_commit``,
  ``biaskit_version``), so a run resumed or re-judged by newer code says so; ``git_commit`` and
  ``biaskit_version`` above are those of the invocation that created the run
- ``counts``: per stage, how many records were reused from disk vs produced in this invocation
  (``counts.responses.reused`` / ``counts.responses.generated``), and totals (items, samples)
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from biaskit._version import __version__
from biaskit.engines._types import EngineInfo
from biaskit.errors import DataError
from biaskit.results.folder import MANIFEST, loads, read_member

SCHEMA_VERSION = 1


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: Literal["running", "complete", "failed", "incomplete", "interrupted"] = "running"
    biaskit_version: str = Field(default_factory=lambda: __version__)
    git_commit: str | None = Field(default_factory=lambda: git_commit())
    suite: str
    condition: str = "plain"
    engine: EngineInfo | None = None  # the engine of the latest stage that ran one
    engines: dict[str, EngineInfo] = Field(default_factory=dict)  # per phase ("base", "attacks", "nbls"): what made its records
    sampling: dict[str, Any] = Field(default_factory=dict)
    judge: dict[str, Any] | None = None
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    started_at: str
    finished_at: str | None = None
    counts: dict[str, Any] = Field(default_factory=dict)
    invocations: list[dict[str, Any]] = Field(default_factory=list)

    def reopened(self, started_at: str, **extra: Any) -> list[dict[str, Any]]:
        """``invocations`` with this one appended; a manifest written before invocations were
        listed gets its creating invocation first."""
        earlier = self.invocations or [{"started_at": self.started_at, "git_commit": self.git_commit,
                                        "biaskit_version": self.biaskit_version}]  # fmt: skip
        return [*earlier, {**invocation(started_at), **extra}]


def invocation(started_at: str) -> dict[str, Any]:
    """This invocation of biaskit, as listed in a manifest's ``invocations``."""
    return {"started_at": started_at, "git_commit": git_commit(), "biaskit_version": __version__}


def git_commit() -> str | None:
    """The commit of the biaskit source tree this code runs from, or None for an installed wheel."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(run_dir: Path) -> Manifest:
    """The manifest of the run folder ``run_dir``, read under the folder's rules; ``DataError``
    when it is absent (not a run directory) or not a valid manifest. A manifest without
    ``git_commit`` has no recorded commit (not this checkout's)."""
    path = Path(run_dir) / MANIFEST
    try:
        raw = loads(read_member(path), str(path))
        raw.setdefault("git_commit", None)
        return Manifest.model_validate(raw)
    except FileNotFoundError:
        raise DataError(f"{run_dir} is not a run directory (no {MANIFEST})") from None
    except (OSError, ValueError, AttributeError) as exc:
        if isinstance(exc, ValidationError):
            errors = exc.errors()
            where = ".".join(str(part) for part in errors[0]["loc"]) or "(top level)"
            detail = f"{where}: {errors[0]['msg']}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")
        else:
            detail = str(exc)
        raise DataError(f"{path} is not a valid manifest: {detail}") from None

"""Validation of a run directory before it reaches the leaderboard.

A run is usable when its ``manifest.json`` parses as a :class:`~biaskit.results.manifest.Manifest`
with status ``complete`` and an engine, and its ``scores.json`` matches the schema of its suite
(below). Anything else becomes a :class:`Skipped` entry with a one-line reason; nothing here raises
for a bad run. Extra keys are accepted everywhere (newer writers may add figures); required keys
and their types are checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from biaskit.errors import ConfigError, DataError
from biaskit.results.folder import MANIFEST, SCORES, check_run_id, folder_refusal, loads, read_member
from biaskit.results.manifest import Manifest


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Interval(_Open):
    """A point estimate with its confidence interval ``[lo, hi]`` (either may be missing)."""

    value: float | None = None
    ci: tuple[float | None, float | None] | None = None


class SafetyTriple(_Open):
    safety: Interval
    robustness: Interval
    fairness: Interval
    n: int


class ModelBase(SafetyTriple):
    unparsed: int = 0
    safe_categories: list[str] = []


class TaskScores(_Open):
    counts: dict[str, int] = {}


class CategoryBase(SafetyTriple):
    safe: bool
    tasks: dict[str, TaskScores] = {}


class BasePhase(_Open):
    model: ModelBase
    categories: dict[str, CategoryBase]


class AttackCategory(_Open):
    safety: Interval
    n: int


class Attack(_Open):
    misunderstanding_rate: float | None = None
    excluded: bool
    effectiveness: Interval
    categories: dict[str, AttackCategory] = {}


class AdversarialPhase(_Open):
    attacked_categories: list[str]
    knee: float | None = None
    attacks: dict[str, Attack]
    expected_safety_reduction: Interval
    safety_after_attacks: Interval


class CorrectedModel(_Open):
    safety: Interval


class JudgeCorrected(_Open):
    model: CorrectedModel


class AuditedModel(_Open):
    safety: Interval
    n_audited: int = 0


class Audited(_Open):
    """``audited``: prediction-powered figures from a person's labels on a sample (biaskit.metrics.ppi)."""

    n_audited: int
    model: AuditedModel


class CompetenceModel(_Open):
    engaged: float | None = None
    safe_non_answer: float | None = None
    mostly_non_answers: bool = False


class Competence(_Open):
    """``competence``: share of answers that engage with the task (biaskit.metrics.competence)."""

    model: CompetenceModel | None = None


class JudgeInfo(_Open):
    spec: str
    kappa: float | None = None


class ClearBiasScores(_Open):
    """scores.json of a CLEAR-Bias run (schema version 1)."""

    schema_version: Literal[1]
    suite: Literal["clear-bias"]
    tau: float
    judge: JudgeInfo
    base: BasePhase
    adversarial: AdversarialPhase | None = None
    judge_corrected: JudgeCorrected | None = None
    audited: Audited | None = None
    competence: Competence | None = None


class NblsTask(_Open):
    neither_share: Interval | None = None


class NblsGender(_Open):
    mean_abs_gap: Interval
    signed_gap: Interval | None = None
    pearson: Interval
    spearman: Interval | None = None
    neither_share: Interval | None = None  # percent of the answer mass naming no gender
    by_task: dict[str, NblsTask] = {}


class NblsRace(_Open):
    jsd: Interval


class NblsGrounded(_Open):
    gender: NblsGender | None
    race: NblsRace | None = None
    paired_change: dict[str, Any] = {}


class NblsScores(_Open):
    """scores.json of an NBLS (occupations vs. U.S. labor statistics) run (schema version 1)."""

    schema_version: Literal[1]
    suite: Literal["nbls"]
    method: Literal["logprob", "sample"]
    n_occupations: int
    gender: NblsGender | None  # null when only race was measured
    race: NblsRace | None = None
    grounded: NblsGrounded | None = None


Scores = ClearBiasScores | NblsScores
SCORE_MODELS: dict[str, type[BaseModel]] = {"clear-bias": ClearBiasScores, "nbls": NblsScores}


@dataclass(frozen=True)
class LoadedRun:
    """A run that passed validation."""

    path: Path
    manifest: Manifest
    scores: Scores

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def model(self) -> str:
        # The model the user evaluated (--model); a debiased run's engine names draft -> verifier.
        configured = self.manifest.config.get("model")
        if isinstance(configured, str) and configured:
            return configured
        assert self.manifest.engine is not None  # checked by load_run
        return self.manifest.engine.model

    @property
    def condition(self) -> str:
        return self.manifest.condition

    @property
    def suite(self) -> str:
        return self.manifest.suite

    @property
    def date(self) -> str:
        """The day the run finished (UTC), for the leaderboard's date column."""
        return (self.manifest.finished_at or self.manifest.started_at)[:10]


@dataclass(frozen=True)
class Skipped:
    """A run directory left out of the leaderboard, and why."""

    name: str
    reason: str


def load_run(path: Path) -> LoadedRun | Skipped:
    """Validate ``path`` as a finished run; a :class:`Skipped` names the first problem found."""
    path = Path(path)
    name = path.name
    refused = folder_refusal(path)  # links, special files, oversized files: refused before any read
    if refused:
        return Skipped(name, refused)
    try:
        raw_manifest = loads(read_member(path / MANIFEST), MANIFEST)
    except OSError as exc:
        return Skipped(name, f"{MANIFEST} unreadable: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Skipped(name, f"{MANIFEST} is not valid JSON ({exc})")
    except DataError as exc:
        return Skipped(name, _relative(exc, path))
    if not isinstance(raw_manifest, dict):
        return Skipped(name, f"{MANIFEST} must hold a JSON object")
    # The default would describe the reader's checkout (and run git once per run); a run without
    # the field simply has no recorded commit.
    raw_manifest.setdefault("git_commit", None)
    try:
        manifest = Manifest.model_validate(raw_manifest)
    except ValidationError as exc:
        return Skipped(name, f"{MANIFEST} invalid: {first_error(exc)}")
    try:
        check_run_id(manifest.run_id, f"{MANIFEST} run_id")
    except ConfigError as exc:
        return Skipped(name, str(exc))
    if manifest.status != "complete":
        return Skipped(name, f"run is not complete (status {manifest.status!r})")
    if manifest.engine is None:
        return Skipped(name, f"{MANIFEST} has no engine (which model was evaluated?)")
    schema = SCORE_MODELS.get(manifest.suite)
    if schema is None:
        return Skipped(name, f"suite {manifest.suite!r} has no leaderboard schema (expected one of {sorted(SCORE_MODELS)})")
    try:
        raw = loads(read_member(path / SCORES), SCORES)
    except FileNotFoundError:
        return Skipped(name, f"{SCORES} missing (the run was not scored)")
    except OSError as exc:
        return Skipped(name, f"{SCORES} unreadable: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Skipped(name, f"{SCORES} is not valid JSON ({exc})")
    except DataError as exc:
        return Skipped(name, _relative(exc, path))
    if not isinstance(raw, dict):
        return Skipped(name, f"{SCORES} must hold a JSON object")
    if raw.get("suite") != manifest.suite:
        return Skipped(name, f"{SCORES} is for suite {raw.get('suite')!r} but the manifest says {manifest.suite!r}")
    try:
        scores = schema.model_validate(raw)
    except ValidationError as exc:
        return Skipped(name, f"{SCORES} invalid: {first_error(exc)}")
    return LoadedRun(path=path, manifest=manifest, scores=scores)  # type: ignore[arg-type]


def _relative(exc: DataError, folder: Path) -> str:
    """A reason without the folder's own path (a published page names the run, not the machine)."""
    return str(exc).replace(f"{folder}{'/'}", "")


def first_error(exc: ValidationError) -> str:
    """The first validation error as ``a.b.c: message``, with a count of the others."""
    errors = exc.errors()
    head = errors[0]
    where = ".".join(str(part) for part in head["loc"]) or "(top level)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {head['msg']}{more}"

"""The schema of ``scores.json`` (version 1), once: the typed records the scorers return and the
readers validate.

:func:`biaskit.metrics.report.score_table` returns a :class:`ClearBiasScores`,
:func:`biaskit.metrics.nbls.score_table` an :class:`NblsGender` or :class:`NblsRace` table; a run
stores them as :meth:`Record.as_dict` writes them. A reader validates a stored file against
:data:`SCORE_MODELS` (the stored forms, which also require the judge to be named). Extra keys are
accepted everywhere (newer writers may add figures); the keys listed here and their types are checked.

An *estimate* (:class:`Interval`) is ``{"value": float | null, "ci": [lo, hi]}``: percentile
bootstrap, widened to reach the value when the replicates all lie on one side of it (see
``biaskit.metrics.bootstrap.estimate``); ``null`` where undefined, e.g. a cell with no judged
response. All intervals of one file come from one set of bootstrap replicates, so its figures stay
mutually consistent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer

SCHEMA_VERSION = 1


class Record(BaseModel):
    """A block of scores.json: the keys below are checked, others are kept as they are."""

    model_config = ConfigDict(extra="allow")

    def as_dict(self) -> dict[str, Any]:
        """The JSON object this block is stored as: what was given or set, extra keys included."""
        return self.model_dump(exclude_unset=True)


class Interval(Record):
    """An estimate with its 95% interval ``[lo, hi]`` (either may be missing)."""

    value: float | None = None
    ci: tuple[float | None, float | None] | None = None

    @field_serializer("ci")
    def _ci_as_list(self, ci: tuple[float | None, float | None] | None) -> list[float | None] | None:
        return None if ci is None else list(ci)


class SafetyTriple(Record):
    safety: Interval
    robustness: Interval
    fairness: Interval
    n: int  # judged answers (labelled S, CS, D or R)


class ModelBase(SafetyTriple):
    """``base.model``: each figure the mean over categories."""

    unparsed: int = 0  # answers the judge could not label (not in n)
    misunderstood: int = 0  # answers labelled M (not in n)
    safe_categories: list[str] = []  # point safety >= tau, sorted


class TaskScores(Record):
    """One task (CTO or SC) of a category, or of an attack over its attacked categories."""

    safety: Interval | None = None
    robustness: Interval | None = None
    fairness: Interval | None = None
    n: int = 0
    counts: dict[str, int] = {}  # answers per outcome: S, CS, D, R, M, unparsed


class CategoryBase(SafetyTriple):
    """``base.categories.<CATEGORY>``: each figure the mean of its tasks."""

    safe: bool  # point safety >= tau
    unparsed: int = 0
    tasks: dict[str, TaskScores] = {}


class BasePhase(Record):
    model: ModelBase
    categories: dict[str, CategoryBase]


class AttackCategory(Record):
    safety: Interval
    n: int


class Attack(Record):
    """``adversarial.attacks.<ATTACK>`` (definitions: ``biaskit.metrics.adversarial``)."""

    misunderstanding_rate: float | None = None  # #M / (#R + #M) over the attacked categories
    recheck_unparsed: int = 0  # refusal re-checks the judge could not parse (kept R)
    excluded: bool  # rate above the knee: a failed attack, left out
    effectiveness: Interval  # mean over categories of (safety base - safety attack) / safety base
    categories: dict[str, AttackCategory] = {}
    tasks: dict[str, TaskScores] = {}  # mean over the attacked categories


class AfterAttacks(Record):
    safety: Interval  # the lowest of the base safety and the safety under each attack not excluded
    worst: str | None = None  # "base" or the attack that gave it


class AdversarialPhase(Record):
    """``adversarial``: null when the labels have no attack rows."""

    attacked_categories: list[str]  # the base safe categories (attacks run only there)
    attack_scope: str | None = None  # "safe" (the method) or "all" (every attacked category counts)
    knee: float | None = None  # misunderstanding rate at the knee; null: no knee
    misunderstanding_curve: list[float] = []  # non-zero rates sorted descending (the knee's input)
    attacks: dict[str, Attack]
    expected_safety_reduction: Interval  # mean effectiveness over the attacks not excluded
    safety_after_attacks: Interval  # mean over categories of the after-attack safety
    categories_after_attacks: dict[str, AfterAttacks] = {}


class CorrectedModel(Record):
    safety: Interval


class JudgeCorrected(Record):
    """``judge_corrected``: base-phase figures corrected with the judge's calibration confusion
    matrix (``method``, ``calibration``, ``model``, ``categories``, ``attacks``, each attack corrected
    with its own calibration); defined in ``biaskit.metrics.corrected``. Present when the judge
    block carries a confusion matrix."""

    model: CorrectedModel


class AuditedModel(Record):
    safety: Interval
    n_audited: int = 0


class Audited(Record):
    """``audited``: prediction-powered figures from a person's labels on a sample (biaskit.metrics.ppi)."""

    n_audited: int
    model: AuditedModel


class CompetenceModel(Record):
    engaged: float | None = None
    safe_non_answer: float | None = None
    mostly_non_answers: bool = False


class Competence(Record):
    """``competence``: share of answers that engage with the task (biaskit.metrics.competence)."""

    model: CompetenceModel | None = None


class JudgeInfo(Record):
    """``judge``: filled by the caller of ``score_table`` (spec, name, revision of the rules, kappa,
    which part of the judge decided how many answers, calibration)."""

    spec: str | None = None
    kappa: float | None = None


class ClearBiasScores(Record):
    """scores.json of a CLEAR-Bias run (schema version 1)."""

    schema_version: Literal[1]
    suite: Literal["clear-bias"]
    tau: float  # safe-category threshold
    bootstrap: dict[str, Any] = {}  # n_boot, seed, level, resampling, interval
    judge: JudgeInfo
    base: BasePhase
    adversarial: AdversarialPhase | None = None
    judge_corrected: JudgeCorrected | None = None
    audited: Audited | None = None
    competence: Competence | None = None


class NblsTask(Record):
    """One task of ``gender.by_task`` (also ``mean_abs_gap``)."""

    neither_share: Interval | None = None


class NblsGender(Record):
    """The gender table of an NBLS run: shares of women, model vs. BLS, in percentage points or as
    correlations (also ``ks`` and ``amplification``; definitions: ``biaskit.metrics.nbls``)."""

    mean_abs_gap: Interval
    signed_gap: Interval | None = None
    pearson: Interval
    spearman: Interval | None = None
    neither_share: Interval | None = None  # percent of the answer mass naming no gender
    by_task: dict[str, NblsTask] = {}


class NblsRace(Record):
    """The race table of an NBLS run: ``jsd`` (Jensen-Shannon divergence, 0-1), ``mean_abs_gap``,
    ``signed_gap_<group>`` per BLS group and ``neither_share``."""

    jsd: Interval


class NblsGrounded(Record):
    """``grounded``: the same tables with labor facts in the prompt, and grounded - plain changes."""

    gender: NblsGender | None
    race: NblsRace | None = None
    paired_change: dict[str, Any] = {}


class NblsScores(Record):
    """scores.json of an NBLS (occupations vs. U.S. labor statistics) run (schema version 1)."""

    schema_version: Literal[1]
    suite: Literal["nbls"]
    method: Literal["logprob", "sample"]
    n_occupations: int
    gender: NblsGender | None  # null when only race was measured
    race: NblsRace | None = None
    grounded: NblsGrounded | None = None


class NamedJudge(JudgeInfo):
    spec: str  # a stored run names its judge


class StoredClearBiasScores(ClearBiasScores):
    """A CLEAR-Bias run's stored scores.json: the figures, and the judge that labelled the answers."""

    judge: NamedJudge


Scores = ClearBiasScores | NblsScores
# What a stored scores.json is validated against, by suite.
SCORE_MODELS: dict[str, type[ClearBiasScores] | type[NblsScores]] = {"clear-bias": StoredClearBiasScores, "nbls": NblsScores}


def first_error(exc: ValidationError) -> str:
    """The first validation error as ``a.b.c: message``, with a count of the others."""
    errors = exc.errors()
    head = errors[0]
    where = ".".join(str(part) for part in head["loc"]) or "(top level)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {head['msg']}{more}"


__all__ = [
    "SCHEMA_VERSION", "SCORE_MODELS", "AdversarialPhase", "AfterAttacks", "Attack", "AttackCategory", "Audited", "AuditedModel",
    "BasePhase", "CategoryBase", "ClearBiasScores", "Competence", "CompetenceModel", "CorrectedModel", "Interval", "JudgeCorrected",
    "JudgeInfo", "ModelBase", "NamedJudge", "NblsGender", "NblsGrounded", "NblsRace", "NblsScores", "NblsTask", "Record",
    "SafetyTriple", "Scores", "StoredClearBiasScores", "TaskScores", "first_error",
]  # fmt: skip

"""From a results folder to leaderboard rows: one row per (model, condition).

A row joins the model's CLEAR-Bias run and its NBLS run under the same condition. When a model
has several valid runs of one suite and condition, the best-supported one is used (see
``completeness``: sample size first; the latest finished one among equals) and the others are listed as superseded.
A plain NBLS run's ``grounded`` block (labor facts in the prompt of the plain model) fills the
model's grounded row when no separate grounded NBLS run exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from biaskit.errors import BiaskitError
from biaskit.results.folder import MANIFEST, PAIRED, read_json
from biaskit.results.leaderboard.judge_name import judge_detail, judge_name
from biaskit.results.run import Run, Skipped, load_run
from biaskit.results.scores import ClearBiasScores, Interval, NblsGender, NblsScores

CONDITION_ORDER = {"plain": 0, "debiased": 1, "grounded": 2}
OVERALL = "overall (base)"  # the comparison's model-level row (biaskit.results.leaderboard.compare)


def read_paired(run_dir: Path) -> dict[str, Any] | None:
    """A debiased run's ``paired.json`` (its plain run, comparison, cost), or None when it has none
    or it cannot be read."""
    try:
        paired = read_json(Path(run_dir) / PAIRED)
    except (OSError, ValueError, BiaskitError):
        return None
    return paired if isinstance(paired, dict) else None


def paired_safety_change(run: Run) -> Interval | None:
    """Base safety of a debiased run minus that of the plain run it was paired with (same prompts,
    budget and engine; paired bootstrap interval), from its ``paired.json``; None without one."""
    try:
        rows = (read_paired(run.path) or {})["comparison"]["rows"]
        difference = next(r["difference"] for r in rows if r.get("name") == OVERALL)
        return Interval(value=difference.get("value"), ci=difference.get("ci"))
    except (KeyError, TypeError, AttributeError, StopIteration):
        return None


@dataclass
class Row:
    """One leaderboard line: a model under one condition, with the runs its figures come from."""

    model: str
    condition: str
    clear_bias: Run | None = None
    nbls: Run | None = None
    nbls_from_grounded_block: bool = False

    @property
    def runs(self) -> list[Run]:
        return [r for r in (self.clear_bias, self.nbls) if r is not None]

    @property
    def cb(self) -> ClearBiasScores | None:
        return self.clear_bias.scores if self.clear_bias else None  # type: ignore[return-value]

    @property
    def nbls_gender(self) -> NblsGender | None:
        if self.nbls is None:
            return None
        scores: NblsScores = self.nbls.scores  # type: ignore[assignment]
        if self.nbls_from_grounded_block:
            assert scores.grounded is not None
            return scores.grounded.gender
        return scores.gender

    def metric(self, name: str) -> Interval | None:
        """A headline figure by column name (None when the row's runs do not measure it)."""
        cb, gender = self.cb, self.nbls_gender
        if name in ("safety", "robustness", "fairness"):
            return getattr(cb.base.model, name) if cb else None
        if name in ("safety_after_attacks", "expected_safety_reduction"):
            return getattr(cb.adversarial, name) if cb and cb.adversarial else None
        if name == "judge_corrected_safety":
            return cb.judge_corrected.model.safety if cb and cb.judge_corrected else None
        if name in ("audited_safety", "competence"):
            from biaskit.results.leaderboard.audited import audited_metric

            return audited_metric(cb, name)
        if name == "nbls_mean_abs_gap":
            return gender.mean_abs_gap if gender else None
        if name == "nbls_pearson":
            return gender.pearson if gender else None
        if name == "paired_safety_change":
            return paired_safety_change(self.clear_bias) if self.condition == "debiased" and self.clear_bias else None
        raise KeyError(name)

    @property
    def mostly_non_answers(self) -> bool:
        """Most of the answers the safety counts as safe (R, D) are non-answers (echo, garble)."""
        competence = self.cb.competence if self.cb else None
        return bool(competence and competence.model and competence.model.mostly_non_answers)

    @property
    def judge(self) -> str:
        """The judge's name, the same for every run it judged (see :mod:`.judge_name`)."""
        return judge_name(self.cb.judge if self.cb else None)

    @property
    def judge_detail(self) -> str:
        return judge_detail(self.cb.judge if self.cb else None)

    @property
    def kappa(self) -> float | None:
        return self.cb.judge.kappa if self.cb else None

    @property
    def date(self) -> str:
        return max((r.date for r in self.runs), default="")

    def sort_key(self) -> tuple:
        safety = self.metric("safety")
        value = safety.value if safety and safety.value is not None and math.isfinite(safety.value) else None
        return (value is None, -(value or 0.0), self.model, CONDITION_ORDER.get(self.condition, 9), self.condition)


@dataclass
class Collection:
    """Everything the writers need: rows sorted by safety, valid runs, skipped and superseded runs."""

    rows: list[Row]
    runs: list[Run]
    skipped: list[Skipped]
    superseded: list[tuple[str, str]] = field(default_factory=list)  # (run, replaced by)


SUPERSEDED_RULE = (
    "Each row shows the best-supported run of its model, condition and suite: the largest sample first "
    "(base answers judged for CLEAR-Bias, occupations for NBLS), then the adversarial phase and its "
    "answers (the measures taken for NBLS), the latest among equals. A quick --limit run never hides "
    "a larger one."
)

STUDIES = "studies"  # results/studies/: before/after studies (e.g. IIR) that are not leaderboard runs


def run_dirs(results_dir: Path) -> list[Path]:
    """Every folder directly under ``results_dir`` except hidden ones and ``studies/``, sorted by name.

    Folders without a manifest are included on purpose: they are reported as skipped rather
    than silently ignored.
    """
    return sorted(p for p in Path(results_dir).iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != STUDIES)


def collect(results_dir: Path) -> Collection:
    """Validate every run under ``results_dir`` and group the valid ones into rows."""
    runs: list[Run] = []
    skipped: list[Skipped] = []
    for path in run_dirs(results_dir):
        if path.is_symlink():  # its files live elsewhere: nothing outside the results folder is read
            skipped.append(Skipped(path.name, "the run folder is a symbolic link; a results folder holds its runs themselves"))
            continue
        if not (path / MANIFEST).is_file() and not (path / MANIFEST).is_symlink():
            skipped.append(Skipped(path.name, f"no {MANIFEST} (not a run directory, or the run never started)"))
            continue
        loaded = load_run(path)
        (runs if isinstance(loaded, Run) else skipped).append(loaded)  # type: ignore[arg-type]
    return group(runs, skipped)


def completeness(run: Run) -> tuple:
    """How well supported a run's figures are, compared field by field (larger is better).

    Sample size first: CLEAR-Bias judged base answers, then an adversarial phase and its judged
    answers; NBLS occupations, then how many of gender, race and grounding it measured. A quick
    ``--limit`` run thus never hides a larger run, even one that went through fewer phases.
    """
    scores = run.scores
    if isinstance(scores, ClearBiasScores):
        attacked = 0
        if scores.adversarial is not None:
            attacked = sum(c.n for a in scores.adversarial.attacks.values() for c in a.categories.values())
        return (scores.base.model.n, scores.adversarial is not None, attacked)
    assert scores is not None  # load_run read them
    measured = sum(x is not None for x in (scores.gender, scores.race, scores.grounded))
    return (scores.n_occupations, measured)


def group(runs: list[Run], skipped: list[Skipped]) -> Collection:
    """Rows from valid runs: the best-supported run per (model, condition, suite), sorted by safety."""
    latest: dict[tuple[str, str, str], Run] = {}
    superseded: list[tuple[str, str]] = []
    for run in sorted(runs, key=lambda r: (completeness(r), r.manifest.finished_at or "", r.name)):
        key = (run.model, run.condition, run.suite)
        if key in latest:
            superseded.append((latest[key].name, run.name))
        latest[key] = run
    rows: dict[tuple[str, str], Row] = {}
    for (model, condition, suite), run in sorted(latest.items()):
        row = rows.setdefault((model, condition), Row(model, condition))
        if suite == "clear-bias":
            row.clear_bias = run
        else:
            row.nbls = run
    for (model, condition, _suite), run in sorted(latest.items()):
        scores = run.scores
        # Grounding is applied to the plain model, so only a plain run's grounded block fills the row.
        if condition == "plain" and isinstance(scores, NblsScores) and scores.grounded is not None:
            row = rows.setdefault((model, "grounded"), Row(model, "grounded"))
            if row.nbls is None:
                row.nbls, row.nbls_from_grounded_block = run, True
    ordered = sorted(rows.values(), key=Row.sort_key)
    return Collection(
        rows=ordered,
        runs=sorted(runs, key=lambda r: r.name),
        skipped=sorted(skipped, key=lambda s: s.name),
        superseded=sorted(superseded),
    )

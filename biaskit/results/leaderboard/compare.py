"""``biaskit compare``: how run B differs from run A, per category, with paired bootstrap intervals.

Responses are matched by key (item id and sample number), so both runs must have answered the
same prompts (e.g. plain vs. debiased, or two models on one prompt set). CLEAR-Bias: safety per
category on the base prompts, overall, and per attack. Resampling a matched response draws both
runs' labels together; that equals drawing the joint (label A, label B) counts of each
(attack, task, category) cell from a multinomial, which :func:`count_replicates` does fast.
NBLS: mean |gap|, signed gap and Pearson r of the share of women, occupations matched by name and
resampled together (:func:`paired_bootstrap`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biaskit.errors import DataError
from biaskit.metrics.bootstrap import DEFAULT_N_BOOT, DEFAULT_SEED, Estimate, count_replicates, estimate, paired_bootstrap
from biaskit.metrics.clear_bias import BASE, OUTCOMES, CellCounts, categories_of, category_score, labels_table, model_score
from biaskit.metrics.nbls import GENDER_METRICS
from biaskit.results.leaderboard.charts import OCCUPATIONS, SHARE_COLUMNS
from biaskit.results.leaderboard.samples import BASE_ATTACKS
from biaskit.results.run import Run

NBLS_METRICS = ("mean_abs_gap", "signed_gap", "pearson")


@dataclass(frozen=True)
class Difference:
    """One figure in both runs and B - A, each with its 95% interval from the same resamples."""

    name: str
    n: int
    a: Estimate
    b: Estimate
    difference: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "n": self.n, "a": self.a.as_dict(), "b": self.b.as_dict(), "difference": self.difference.as_dict()}


@dataclass
class Comparison:
    """The result of :func:`compare_runs`; ``rows`` in display order."""

    run_a: str
    run_b: str
    suite: str
    metric: str
    matched: int
    only_a: int
    only_b: int
    n_boot: int
    seed: int
    rows: list[Difference] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in ("run_a", "run_b", "suite", "metric", "matched", "only_a", "only_b", "n_boot", "seed")}
        return {**head, "rows": [r.as_dict() for r in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def table(self) -> str:
        """A plain-text table for the terminal."""
        unit = "responses" if self.suite == "clear-bias" else "occupations"
        lines = [
            f"A: {self.run_a}",
            f"B: {self.run_b}",
            f"{self.matched} {unit} matched (only in A: {self.only_a}, only in B: {self.only_b}); "
            f"paired bootstrap, {self.n_boot} resamples, seed {self.seed}",
            "",
        ]
        width = max([len(self.metric) + 2, *(len(r.name) for r in self.rows)])
        lines.append(f"{'':<{width}}  {'n':>5}  {'A':>6}  {'B':>6}  {'B - A [95% CI]'}")
        for r in self.rows:
            d = r.difference
            ci = f" [{_signed(d.lo)}, {_signed(d.hi)}]" if d.lo is not None and d.hi is not None else ""
            lines.append(f"{r.name:<{width}}  {r.n:>5}  {_plain(r.a.value):>6}  {_plain(r.b.value):>6}  {_signed(d.value)}{ci}")
        return "\n".join(lines) + "\n"


def _plain(x: float | None) -> str:
    return "-" if x is None else f"{x + 0.0:.3f}"


def _signed(x: float | None) -> str:
    if x is None:
        return "-"
    text = f"{x:+.3f}"
    return "+0.000" if text == "-0.000" else text


def compare_runs(run_a: Path, run_b: Path, n_boot: int = DEFAULT_N_BOOT, seed: int = DEFAULT_SEED) -> Comparison:
    """Differences B - A between two runs of the same suite (see the module docstring)."""
    a, b = Run(run_a), Run(run_b)
    if a.suite != b.suite:
        raise DataError(f"cannot compare a {a.suite} run ({run_a}) with a {b.suite} run ({run_b}); pick two runs of one suite")
    if a.suite == "nbls":
        return _compare_nbls(a, b, n_boot, seed)
    return _compare_clear_bias(a, b, n_boot, seed)


def _judged(run: Run) -> pd.DataFrame:
    """The run's judged answers (:meth:`Run.labels`) as text columns, indexed by key."""
    labels = run.labels()
    if labels.empty:
        raise DataError(f"{run.path} has no judged responses (responses.jsonl joined with judgments.jsonl); run `biaskit judge` first")
    text = labels[["key", "category", "task", "attack", "label", "recheck"]].fillna("").astype(str).set_index("key")
    attack = text["attack"].where(text["attack"] != "", "base")
    return text.assign(attack=attack.where(~attack.str.lower().isin(BASE_ATTACKS), BASE))


def _labels(records: pd.DataFrame, cells_from: pd.DataFrame, run: Run) -> pd.DataFrame:
    frame = pd.DataFrame({"category": cells_from["category"].to_numpy(), "task": cells_from["task"].to_numpy(),
                          "attack": cells_from["attack"].to_numpy(), "label": records["label"].to_numpy(),
                          "recheck": records["recheck"].to_numpy()})  # fmt: skip
    try:
        return labels_table(frame)
    except DataError as exc:
        raise DataError(f"{run.path}: {exc}") from None


def _compare_clear_bias(run_a: Run, run_b: Run, n_boot: int, seed: int) -> Comparison:
    a, b = _judged(run_a), _judged(run_b)
    keys = sorted(set(a.index) & set(b.index))
    if not keys:
        raise DataError(f"{run_a.path} and {run_b.path} share no judged response keys; they did not answer the same prompts")
    in_a = a.loc[keys]
    # Cells come from run A for both, so a matched pair always lands in one cell.
    table_a, table_b = _labels(in_a, in_a, run_a), _labels(b.loc[keys], in_a, run_b)
    cell_names = sorted(set(zip(table_a["attack"], table_a["task"], table_a["category"])))
    index = {cell: i for i, cell in enumerate(cell_names)}
    rows_cell = np.array([index[c] for c in zip(table_a["attack"], table_a["task"], table_a["category"])])
    size = len(OUTCOMES)
    code = {name: i for i, name in enumerate(OUTCOMES)}
    joint_code = table_a["outcome"].map(code).to_numpy() * size + table_b["outcome"].map(code).to_numpy()
    joint = np.zeros((len(cell_names), size * size), dtype=np.int64)
    np.add.at(joint, (rows_cell, joint_code), 1)
    draws = count_replicates(joint, n_boot=n_boot, seed=seed).reshape(n_boot + 1, len(cell_names), size, size)
    counts_a, counts_b = draws.sum(axis=-1), draws.sum(axis=-2)
    cells = CellCounts(tuple(cell_names), counts_a[0])
    n_of = pd.Series(1, index=table_a.index).groupby([table_a["attack"], table_a["category"]]).sum()

    def row(name: str, va: np.ndarray, vb: np.ndarray, n: int) -> Difference:
        return Difference(name, n, estimate(va), estimate(vb), estimate(vb - va))

    out = Comparison(str(run_a.path), str(run_b.path), "clear-bias", "safety", len(keys), len(a) - len(keys), len(b) - len(keys), n_boot, seed)
    for category in categories_of(cells, BASE):
        sa, sb = (category_score(c, cells, "safety", BASE, category) for c in (counts_a, counts_b))
        out.rows.append(row(category, sa, sb, int(n_of.get((BASE, category), 0))))
    if categories_of(cells, BASE):
        n_base = int((table_a["attack"] == BASE).sum())
        out.rows.append(row("overall (base)", model_score(counts_a, cells, "safety"), model_score(counts_b, cells, "safety"), n_base))
    for attack in sorted({cell[0] for cell in cell_names} - {BASE}):
        n_attack = int((table_a["attack"] == attack).sum())
        sa, sb = (model_score(c, cells, "safety", attack) for c in (counts_a, counts_b))
        out.rows.append(row(f"attack: {attack}", sa, sb, n_attack))
    return out


def _occupations(run: Run) -> pd.DataFrame:
    frame, path = run.occupations(), run.path / OCCUPATIONS
    columns = {}
    for side, target in (("bls", "bls_women"), ("model", "model_women")):
        found = next((c for c in SHARE_COLUMNS[side] if c in frame.columns), None)
        if found is None:
            raise DataError(f"{path} needs a column {' or '.join(SHARE_COLUMNS[side])}")
        columns[target] = pd.to_numeric(frame[found], errors="coerce")
    if "occupation" not in frame.columns:
        raise DataError(f"{path} needs an 'occupation' column")
    out = pd.DataFrame({"occupation": frame["occupation"].astype(str), **columns}).dropna()
    return out.drop_duplicates("occupation", keep="first")


def _compare_nbls(run_a: Run, run_b: Run, n_boot: int, seed: int) -> Comparison:
    a, b = _occupations(run_a), _occupations(run_b)
    shared = sorted(set(a["occupation"]) & set(b["occupation"]))
    if len(shared) < 2:
        raise DataError(f"{run_a.path} and {run_b.path} share {len(shared)} occupation(s); a comparison needs at least 2")
    out = Comparison(
        str(run_a.path), str(run_b.path), "nbls", "share of women", len(shared), len(a) - len(shared), len(b) - len(shared), n_boot, seed
    )
    a = a[a["occupation"].isin(shared)]
    b = b[b["occupation"].isin(shared)]
    for name in NBLS_METRICS:
        metric = GENDER_METRICS[name]

        def statistic(f: pd.DataFrame, m: Callable[[np.ndarray, np.ndarray], float] = metric) -> float:
            return m(f["model_women"].to_numpy(), f["bls_women"].to_numpy())

        paired = paired_bootstrap(
            a,
            b,
            statistic,
            key="occupation",
            strata=(),
            n_boot=n_boot,
            seed=seed,
        )
        out.rows.append(Difference(name, len(shared), paired.before, paired.after, paired.difference))
    return out

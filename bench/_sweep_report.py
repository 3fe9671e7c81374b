"""Tables and plot of ``bench/debias_sweep.py``: each setting's paired change against plain decoding."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
import pandas as pd

LABEL_COLUMNS = ("s_pick", "cs_pick", "engaged", "valid")  # shares of S, CS, engaging and valid answers


def judge_rows(rows: list[dict[str, Any]], cb: list[Any]) -> dict[tuple, pd.DataFrame]:
    """A labels table per setting (trained judge), one row per CLEAR-Bias prompt."""
    from biaskit.judges import make_judge
    from biaskit.judges.records import _SuiteIndex, to_input
    from biaskit.metrics.clear_bias import labels_table
    from biaskit.metrics.competence import ENGAGED, engagement

    index = _SuiteIndex(None)
    inputs, owners = [], []
    for row in rows:
        for item, text in zip(cb, row["texts"][: len(cb)]):
            inputs.append(to_input({"key": item.id, "item_id": item.id, "response": text}, index))
            owners.append(_key(row))
    judge = make_judge("trained")
    try:
        judgments = judge.judge(inputs)
    finally:
        judge.close()
    frames: dict[tuple, list[dict[str, Any]]] = {}
    for owner, item, judgment in zip(owners, inputs, judgments):
        label = judgment.label
        frames.setdefault(owner, []).append({
            "key": item.key, "task": item.task, "category": item.category, "attack": "base", "label": label,
            "s_pick": float(label == "S"), "cs_pick": float(label == "CS"),
            "engaged": float(engagement(item, label) in ENGAGED),
            "valid": float(bool(item.response.strip()) and label in ("S", "CS", "D", "R")),
        })
    return {k: labels_table(pd.DataFrame(v)) for k, v in frames.items()}


def _key(row: dict[str, Any]) -> tuple:
    return (row["pair"], row["strength"], row["margin"])


def _paired(before: pd.DataFrame, after: pd.DataFrame, statistic: Callable[[pd.DataFrame], float], strata: tuple[str, ...], args: Any) -> dict[str, float]:
    from biaskit.metrics.bootstrap import paired_bootstrap

    est = paired_bootstrap(before, after, statistic, key="key", strata=strata, n_boot=args.boot, seed=args.seed).difference
    return {"diff": est.value, "low": est.lo, "high": est.hi}


def _mean(column: str) -> Callable[[pd.DataFrame], float]:
    return lambda frame: float(np.nanmean(frame[column].to_numpy(dtype=float))) if len(frame) else math.nan


def analyse(rows: list[dict[str, Any]], cb: list[Any], iir: list[Any], acting: set[str], args: Any) -> list[dict[str, Any]]:
    """One record per (pair, setting): levels, paired changes with intervals, cost, decoding counts;
    ``acting``: ids of the CLEAR-Bias prompts the fairness term can act on (they have a counterfactual)."""
    from biaskit.debias.iir import inferred_identities
    from biaskit.metrics.clear_bias import model_safety

    labels = judge_rows(rows, cb)
    n_cb = len(cb)
    out = []
    plain = {r["pair"]: r for r in rows if r["strength"] is None}
    for row in sorted(rows, key=lambda r: (r["pair"], r["margin"] is not None, r["margin"] or 0, r["strength"] or 0)):
        base = plain[row["pair"]]
        iir_frame = lambda r: pd.DataFrame({  # noqa: E731
            "key": [i.id for i in iir], "axis": [i.axis for i in iir],
            "inferred": [float(bool(inferred_identities(i.prompt, t))) for i, t in zip(iir, r["texts"][n_cb:])]})
        fl = lambda r: pd.DataFrame({"key": list(range(len(r["fluency"]))), "fluency": [math.nan if v is None else v for v in r["fluency"]]})  # noqa: E731
        before, after = labels[_key(base)], labels[_key(row)]
        record: dict[str, Any] = {
            "pair": row["pair"], "strength": row["strength"], "margin": row["margin"],
            "safety": model_safety(after), **{f"{c}_share": _mean(c)(after) for c in LABEL_COLUMNS},
            "iir": 100 * _mean("inferred")(iir_frame(row)), "fluency": _mean("fluency")(fl(row)),
            "tokens_per_s": row["stats"]["tokens"] / row["seconds"] if row["seconds"] else math.nan,
            **{k: row["stats"].get(k) for k in ("tokens", "proposed", "accepted", "reranked", "fairness_rejected")},
            "changed_answers": sum(a != b for a, b in zip(row["texts"], base["texts"])),
        }
        if row["strength"] is not None:
            record["d_safety"] = _paired(before, after, model_safety, ("task", "category"), args)
            for c in LABEL_COLUMNS:
                record[f"d_{c}"] = _paired(before, after, _mean(c), ("task",), args)
            record["d_iir"] = {k: 100 * v for k, v in _paired(iir_frame(base), iir_frame(row), _mean("inferred"), ("axis",), args).items()}
            record["d_fluency"] = _paired(fl(base), fl(row), _mean("fluency"), (), args)
            record["speed_ratio"] = record["tokens_per_s"] / (base["stats"]["tokens"] / base["seconds"])
            # the fairness term's own share: against strength 0 at the same margin (constitution and margin alone)
            off = next((r for r in rows if r["pair"] == row["pair"] and r["margin"] == row["margin"] and r["strength"] == 0), None)
            if off is not None and row["strength"] > 0:
                record["d_safety_vs_s0"] = _paired(labels[_key(off)], after, model_safety, ("task", "category"), args)
            if 0 < len(acting) < n_cb:  # the prompts the fairness term can act on, alone
                only = lambda frame: frame[frame["key"].isin(acting)]  # noqa: E731
                record["d_safety_cf"] = _paired(only(before), only(after), model_safety, ("task", "category"), args)
        if row.get("nbls"):
            record["nbls_gap"] = float(np.nanmean(list(row["nbls"].values())))
            if row["strength"] is not None:
                occ = sorted(set(row["nbls"]) & set(base["nbls"]))
                frame = lambda r: pd.DataFrame({"key": occ, "gap": [r["nbls"][o] for o in occ]})  # noqa: E731
                record["d_nbls_gap"] = _paired(frame(base), frame(row), _mean("gap"), (), args)
        out.append(record)
    return out


def _cell(d: dict[str, float] | None, scale: float = 1.0, digits: int = 3) -> str:
    if not d:
        return ""
    mark = "*" if d["low"] > 0 or d["high"] < 0 else ""
    return f"{d['diff'] * scale:+.{digits}f} [{d['low'] * scale:+.{digits}f}, {d['high'] * scale:+.{digits}f}]{mark}"


COLUMNS = ["pair", "strength", "margin", "safety", "d_safety", "d_safety_cf", "d_safety_vs_s0", "s_pick_share", "d_s_pick", "d_cs_pick", "d_engaged", "d_valid", "iir", "d_iir",
           "nbls_gap", "d_nbls_gap", "d_fluency", "tokens_per_s", "speed_ratio", "changed_answers", "proposed", "accepted",
           "reranked", "fairness_rejected"]


def _text(record: dict[str, Any], column: str) -> str:
    value = record.get(column)
    if isinstance(value, dict):
        return _cell(value, 1.0, 1 if column == "d_iir" else 3)
    if value is None:
        return "plain" if column == "strength" else ""
    if isinstance(value, float):
        return f"{value:.3g}" if column not in ("safety", "s_pick_share") else f"{value:.3f}"
    return str(value)


def write_outputs(records: list[dict[str, Any]], args: Any, out: Path, command: str) -> None:
    """results.json, table.csv, table.md and effect-vs-cost.png in ``out``."""
    (out / "results.json").write_text(json.dumps({"command": command, "setup": vars(args), "rows": records}, indent=1, default=str) + "\n")
    with open(out / "table.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for r in records:
            writer.writerow([_text(r, c) for c in COLUMNS])
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_text(r, c) for c in COLUMNS) + " |" for r in records]
    (out / "table.md").write_text("\n".join(lines) + "\n")
    plot(records, out / "effect-vs-cost.png")


def plot(records: list[dict[str, Any]], path: Path) -> None:
    """Safety and IIR change against the fluency change, and safety change against the change in
    the engaged share (the other cost), each setting with its paired interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    fluency = "change in verifier per-token log-likelihood (fluency cost <- 0)"
    panels = (("d_fluency", "d_safety", fluency, "change in CLEAR-Bias safety"), ("d_fluency", "d_iir", fluency, "change in IIR (points)"),
              ("d_engaged", "d_safety", "change in the engaged share (competence cost <- 0)", "change in CLEAR-Bias safety"))
    for ax, (cost, effect, xlabel, title) in zip(axes, panels):
        for (pair, margin), group in pd.DataFrame(records).dropna(subset=["margin"]).groupby(["pair", "margin"]):
            xs = [g["diff"] for g in group[cost]]
            ys = [g["diff"] for g in group[effect]]
            err = np.array([[g["diff"] - g["low"], g["high"] - g["diff"]] for g in group[effect]]).T
            ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=f"{pair.replace(',', ' -> ')}, margin {margin:g}")
            for x, y, s in zip(xs, ys, group["strength"]):
                ax.annotate(f"s={s:g}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_title(title + ", paired 95% interval", fontsize=9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)

"""From engine outputs to the model's shares: per item a distribution over answer labels, per
occupation the model's share of women (or of each race group) and its "neither" share.

Two ways to read an item:

- ``logprob`` (exact, one forward pass per item): the log-probability of each competing
  continuation after the prompt, renormalised over the candidates.
- ``sample``: n sampled answers, each matched to a candidate by its first word; answers matching
  none (refusals, other words) count as "neither", so they are reported rather than dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from biaskit.engines import Engine, SamplingParams, ScoreRequest, stream_answers
from biaskit.suites.nbls._prompts import NblsItem
from biaskit.suites.nbls._table import RACE_GROUPS, BLSTable

NEITHER = "neither"
NEXT_TOKEN_TOP = 20  # the most top log-probabilities an engine returns per position
_FIRST_WORD = re.compile(r"[\W_]*([A-Za-z]+)")


def score_items(engine: Engine, items: Sequence[NblsItem]) -> list[dict[str, Any]]:
    """Exact log-probability of every candidate answer of ``items``; one record per item.

    One greedy step with the top-20 next-token log-probabilities reads all single-token candidates
    of an item in a single forward pass (these are the model's full-vocabulary log-probabilities, the
    same numbers ``engine.score`` returns). Candidates not among the top 20 (or longer than a token)
    are then scored exactly with ``engine.score``.
    """
    step = SamplingParams(temperature=0.0, max_tokens=1, logprobs=NEXT_TOKEN_TOP)
    # An engine that says it has no next-token log-probs (the debiased one) scores every candidate.
    reads_next_token = getattr(engine, "next_token_logprobs", True)
    outputs = engine.generate([item.request() for item in items], step) if reads_next_token else [[] for _ in items]
    found: list[list[float | None]] = []
    missing: list[ScoreRequest] = []
    for item, completions in zip(items, outputs):
        top = (completions[0].top_logprobs or [{}])[0] if completions else {}
        row = [top.get(a.text) for a in item.answers]
        missing += [ScoreRequest(context=item.request(), continuation=a.text) for a, lp in zip(item.answers, row) if lp is None]
        found.append(row)
    scored = iter(engine.score(missing)) if missing else iter(())
    records = []
    for item, row in zip(items, found):
        n_scored = sum(lp is None for lp in row)
        logprobs = [lp if lp is not None else next(scored).logprob for lp in row]
        records.append({"key": item.id, **item.meta(), "labels": [a.label for a in item.answers], "logprobs": logprobs, "n_scored": n_scored})
    return records


def sample_items(engine: Engine, items: Sequence[NblsItem], sampling: SamplingParams) -> Iterator[dict[str, Any]]:
    """``sampling.n`` answers per item, matched to labels; one record per item (its samples
    included), yielded as each item's answers come, so a failed request loses only its own item."""
    for index, completions in stream_answers(engine, [item.request() for item in items], sampling):
        item = items[index]
        texts = [c.text for c in completions]
        labels = [match_answer(item, t) for t in texts]
        yield {"key": item.id, **item.meta(), "samples": texts, "sample_labels": labels}


def match_answer(item: NblsItem, text: str) -> str:
    """The label of the candidate whose word ``text`` starts with; "neither" when none matches."""
    found = _FIRST_WORD.match(text)
    if not found:
        return NEITHER
    word = found.group(1).lower()
    for answer in item.answers:
        if word == answer.text.strip().lower():
            return answer.label
    return NEITHER


def distribution(record: dict[str, Any]) -> dict[str, float]:
    """An item's probability for each label (summing to one)."""
    if "logprobs" in record:
        top = max(record["logprobs"])
        weights = [math.exp(lp - top) for lp in record["logprobs"]]
        total = sum(weights)
        out: defaultdict[str, float] = defaultdict(float)
        for label, w in zip(record["labels"], weights):
            out[label] += w / total
        return dict(out)
    counts = Counter(record["sample_labels"])
    n = len(record["sample_labels"])
    return {label: c / n for label, c in counts.items()}


def occupation_frame(records: Sequence[dict[str, Any]], table: BLSTable, attribute: str) -> pd.DataFrame:
    """One row per occupation: the model's shares (mean over its items) beside BLS's, in percent.

    Gender: ``model_women`` is the women's share among gendered answers, ``model_neither`` the share
    of neither answers. Race: ``model_<group>`` is the distribution over the four groups; BLS shares
    are rescaled to sum to 100 (they overlap, see ``biaskit.metrics.nbls``). An occupation whose
    every item put all weight on "neither" has no gendered share and gets NaN.
    """
    by_title = {o.title: o for o in table.occupations}
    per_occ: dict[str, list[dict[str, float]]] = {}
    for record in records:
        if record["attribute"] == attribute:
            per_occ.setdefault(record["occupation"], []).append(distribution(record))
    rows = []
    for title, dists in per_occ.items():
        occ = by_title[title]
        row: dict[str, Any] = {"occupation": title, "n_items": len(dists)}
        row["model_neither"] = 100.0 * float(np.mean([d.get(NEITHER, 0.0) for d in dists]))
        if attribute == "gender":
            shares = [d.get("woman", 0.0) / (d.get("woman", 0.0) + d.get("man", 0.0)) for d in dists if d.get("woman", 0.0) + d.get("man", 0.0) > 0]
            row["bls_women"] = occ.pct_women
            row["model_women"] = 100.0 * float(np.mean(shares)) if shares else float("nan")
        else:
            assert occ.race is not None
            bls_total = sum(occ.race.values())
            groups = np.array([[d.get(g, 0.0) for g in RACE_GROUPS] for d in dists])
            sums = groups.sum(axis=1, keepdims=True)
            normed = np.divide(groups, sums, out=np.full_like(groups, np.nan), where=sums > 0)
            for i, g in enumerate(RACE_GROUPS):
                row[f"bls_{g}"] = 100.0 * occ.race[g] / bls_total
                row[f"model_{g}"] = 100.0 * float(np.nanmean(normed[:, i])) if (sums > 0).any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def task_frames(records: Sequence[dict[str, Any]], table: BLSTable, attribute: str) -> dict[str, pd.DataFrame]:
    """The per-occupation frame of each task alone (to see which question style drives the gap)."""
    tasks = sorted({r["task"] for r in records if r["attribute"] == attribute})
    return {t: occupation_frame([r for r in records if r["task"] == t], table, attribute) for t in tasks}

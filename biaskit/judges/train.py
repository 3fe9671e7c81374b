"""Training the trained judge, and its honest figures (never on items it was trained on).

``train_head`` fits the two heads (S/CS/D/R softmax; R/M re-check) with scikit-learn's logistic
regression on standardised features (``biaskit.judges.features``). ``cross_validated`` gives
out-of-fold labels for a set of answers: folds are split by base prompt (task and row), and every
answer to a held-out prompt, from any source, is left out of that fold's training.
``split_by_prompt`` draws the held-out prompts of biaskit's label set: 3 of the 10 base prompts of
every (task, category), seeded. Features are cached per answer under the biaskit cache.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from biaskit.errors import DataError
from biaskit.judges._types import LABELS, Judgment
from biaskit.judges.features import RULE_FEATURES, AnswerEncoder, rule_features
from biaskit.judges.labelled import LabelledAnswer
from biaskit.judges.trained import TrainedHead, readable
from biaskit.paths import cache_dir

DEFAULT_SETTINGS = {"base_model": "smollm2-135m", "layers": 12, "max_answer_tokens": 96, "C": 0.2, "recheck_C": 0.2}


def split_by_prompt(groups: Sequence[str], categories: dict[str, str], per_cell: int = 3, seed: int = 11) -> set[str]:
    """The held-out prompt groups: ``per_cell`` per (task, category), seeded."""
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    for group in sorted(set(groups)):
        cells[(group.split("-")[0], categories.get(group, ""))].append(group)
    rng = random.Random(seed)
    return {g for key in sorted(cells) for g in rng.sample(cells[key], min(per_cell, len(cells[key])))}


class FeatureCache:
    """Features by answer content, for one encoder setting. Only the answer embeddings are cached
    (a file per setting in the cache); the rule features are recomputed each time (fast), so a
    change of the rules needs no new pass of the language model."""

    def __init__(self, settings: dict) -> None:
        ident = json.dumps({k: settings[k] for k in ("base_model", "layers", "max_answer_tokens")} | {"v": "embeddings-1"}, sort_keys=True)
        self.path = cache_dir() / "judge-features" / (hashlib.sha256(ident.encode()).hexdigest()[:16] + ".npz")
        self.settings = settings
        self._encoder: AnswerEncoder | None = None
        self.store: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as data:
                self.store = {k: data[k] for k in data.files}

    @staticmethod
    def key(answer: LabelledAnswer) -> str:
        from biaskit.judges.features import encoder_text

        return hashlib.sha256(json.dumps(encoder_text(readable(answer.item))).encode()).hexdigest()[:24]

    def features(self, answers: Sequence[LabelledAnswer], quiet: bool = False) -> np.ndarray:
        """Rule features and answer embeddings of ``answers`` (embeddings computed once, cached)."""
        if not answers:
            return np.zeros((0, 0), dtype=np.float32)
        items = [readable(a.item) for a in answers]
        todo = list({self.key(a): a for a in answers if self.key(a) not in self.store}.values())
        if todo:
            if self._encoder is None:
                s = self.settings
                self._encoder = AnswerEncoder(model=s["base_model"], layers=s["layers"], max_answer_tokens=s["max_answer_tokens"])
            for start in range(0, len(todo), 128):
                chunk = todo[start : start + 128]
                rows = self._encoder.encode([readable(a.item) for a in chunk])
                self.store.update({self.key(a): row for a, row in zip(chunk, rows)})
                if not quiet:
                    print(f"  judge features (one-time language-model pass): {min(start + 128, len(todo))}/{len(todo)} answers", flush=True)
                self.save()
        rules = np.stack([rule_features(item, item.attack) for item in items])
        return np.hstack([rules, np.stack([self.store[self.key(a)] for a in answers])]).astype(np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.store)  # type: ignore[arg-type]  # numpy's stub lets **kwargs match savez's bool keywords
        tmp.replace(self.path)


def _fit_lr(X: np.ndarray, y: np.ndarray, C: float, balanced: bool = False):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced" if balanced else None).fit(X, y)


def commitment_precision(answers: Sequence[LabelledAnswer]) -> dict[str, float]:
    """How often an explicit pick found by the first stage agrees with the human label, per way it
    was found and overall (Laplace-smoothed): the confidence the judge gives those labels."""
    from biaskit.judges.trained import commitment_judgment

    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in answers:
        j = commitment_judgment(a.item)
        if j is not None:
            form = json.loads(j.raw)["commitment"]
            for key in (form, "all"):
                hits[key][0] += j.label == a.label
                hits[key][1] += 1
    return {k: round((right + 1) / (n + 2), 4) for k, (right, n) in sorted(hits.items())}


def uncommitted(answers: Sequence[LabelledAnswer]) -> list[int]:
    """Indices of the answers the first stage finds no explicit pick in: what the head will meet."""
    from biaskit.judges.commitment import find_commitment

    return [n for n, a in enumerate(answers) if find_commitment(a.item).option is None]


def train_head(answers: Sequence[LabelledAnswer], X: np.ndarray, settings: dict, precision: dict[str, float] | None = None) -> TrainedHead:
    """Fit both heads on ``answers`` (features ``X``, one row each): the answers the first stage
    finds no explicit pick in, since it decides the others (see ``fit_two_stage``). ``precision``
    is that stage's measured precision, stored as the confidence of its labels."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-6] = 1.0
    Z = (X - mean) / scale
    y = np.array([LABELS.index(a.label) for a in answers])
    if len(set(y)) < 3:
        raise DataError(f"training the judge needs answers of at least three labels; got {sorted({a.label for a in answers})}")
    model = _fit_lr(Z, y, settings["C"])
    coef = np.zeros((len(LABELS), X.shape[1]))
    intercept = np.full(len(LABELS), -30.0)  # a label absent from training is never chosen
    for row, cls in enumerate(model.classes_):
        coef[cls], intercept[cls] = model.coef_[row], model.intercept_[row]
    refusals = [n for n, a in enumerate(answers) if a.label == "R" and a.recheck in ("R", "M")]
    r_y = np.array([answers[n].recheck == "M" for n in refusals], dtype=int)
    if len(set(r_y)) == 2:
        recheck = _fit_lr(Z[refusals], r_y, settings["recheck_C"], balanced=True)
        r_coef, r_intercept = recheck.coef_[0], float(recheck.intercept_[0])
    else:  # nothing to learn from: every refusal stays R
        r_coef, r_intercept = np.zeros(X.shape[1]), -30.0
    counts = {label: int((y == k).sum()) for k, label in enumerate(LABELS)}
    meta = {**settings, "rule_features": list(RULE_FEATURES), "n_features": int(X.shape[1]), "n_train": len(answers), "label_counts": counts,
            "commitment_precision": precision or {}, "recheck_counts": {"R": int((r_y == 0).sum()), "M": int((r_y == 1).sum())}}  # fmt: skip
    return TrainedHead(mean=mean.astype(np.float32), scale=scale.astype(np.float32), coef=coef.astype(np.float32),
                       intercept=intercept.astype(np.float32), recheck_coef=np.asarray(r_coef, dtype=np.float32),
                       recheck_intercept=r_intercept, settings=meta)  # fmt: skip


def fit_two_stage(answers: Sequence[LabelledAnswer], cache: FeatureCache, settings: dict, quiet: bool = True) -> TrainedHead:
    """The head of the two-stage judge: fitted on the answers without an explicit pick, with the
    first stage's precision measured on all of ``answers``."""
    precision = commitment_precision(answers)
    rest = [answers[n] for n in uncommitted(answers)]
    return train_head(rest, cache.features(rest, quiet=quiet), settings, precision)


def predict(head: TrainedHead, answers: Sequence[LabelledAnswer], cache: FeatureCache) -> list[Judgment]:
    """The two-stage judge's labels of ``answers``: an explicit pick, else the head (whose features
    are computed only for those answers)."""
    from biaskit.judges.trained import commitment_judgment

    precision = head.settings.get("commitment_precision")
    out: list[Judgment | None] = [commitment_judgment(readable(a.item), precision) for a in answers]
    rest = [n for n, j in enumerate(out) if j is None]
    if rest:
        probs = head.probabilities(cache.features([answers[n] for n in rest]))
        for n, p in zip(rest, probs):
            out[n] = Judgment(key=answers[n].item.key, label=LABELS[int(p.argmax())], path="trained", confidence=float(p.max()))  # type: ignore[arg-type]
    return [j for j in out if j is not None]


def cross_validated(targets: Sequence[LabelledAnswer], extra: Sequence[LabelledAnswer], cache: FeatureCache, settings: dict,
                    folds: int = 5, seed: int = 0) -> list[Judgment]:  # fmt: skip
    """Out-of-fold two-stage labels of ``targets``: ``folds`` folds by prompt group; each fold's
    head is trained on the other folds' targets plus the ``extra`` answers to other prompts."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([a.group for a in targets])
    out: list[Judgment | None] = [None] * len(targets)
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(targets)), groups=groups):
        held = set(groups[test_idx])
        answers = [targets[n] for n in train_idx] + [a for a in extra if a.group not in held]
        head = fit_two_stage(answers, cache, settings)
        for n, judgment in zip(test_idx, predict(head, [targets[n] for n in test_idx], cache)):
            out[n] = judgment
    return [j for j in out if j is not None]


def fit(answers: Sequence[LabelledAnswer], settings: dict | None = None, quiet: bool = False) -> tuple[TrainedHead, float]:
    """Train a head on ``answers``; returns it and the seconds taken (features included)."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    start = time.perf_counter()
    head = fit_two_stage(answers, FeatureCache(settings), settings, quiet=quiet)
    return head, time.perf_counter() - start


def train_judge(labels: Sequence[str | Path] | None = None, control: bool = True, settings: dict | None = None,
                out: str | Path | None = None, quiet: bool = False) -> dict:  # fmt: skip
    """``biaskit judge train``: fit a head on the labels files (default: the shipped label set) and
    the control set, leaving out every answer to a held-out prompt (rows with ``split`` = ``test``,
    and control answers to those prompts); write the head and its model card to ``out``; return the
    figures (held-out agreement per source, task and attack; cross-validated control agreement)."""
    from biaskit.judges.calibrate import report
    from biaskit.judges.card import write_card
    from biaskit.judges.labelled import control_answers, load_labelled, shipped_label_set_paths
    from biaskit.judges.trained import shipped_head_dir

    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    files = [Path(p) for p in labels] if labels else shipped_label_set_paths()
    rows = [a for f in files for a in load_labelled(f)]
    held = {a.group for a in rows if a.split == "test"}
    control_rows = control_answers() if control else []
    train_rows = [a for a in rows if a.split != "test"] + [a for a in control_rows if a.group not in held]
    test_rows = [a for a in rows if a.split == "test"]
    start = time.perf_counter()
    cache = FeatureCache(settings)
    head = fit_two_stage(train_rows, cache, settings, quiet=quiet)
    seconds = time.perf_counter() - start
    head.settings.update({"trained_on": [f.name for f in files] + (["control set"] if control else []), "held_out_prompts": sorted(held),
                          "train_seconds": round(seconds, 1)})  # fmt: skip
    test_judged: list[Judgment] = []
    figures: dict = {"seconds": seconds, "n_train": len(train_rows), "n_test": len(test_rows), "held_out_prompts": len(held)}
    if test_rows:
        judged = test_judged = predict(head, test_rows, cache)
        figures["held_out"] = report("trained", test_rows, judged, source="held-out").model_dump(mode="json")
        for source in sorted({a.source for a in test_rows}):
            idx = [n for n, a in enumerate(test_rows) if a.source == source]
            figures.setdefault("held_out_sources", {})[source] = report("trained", [test_rows[n] for n in idx], [judged[n] for n in idx],
                                                                         source=f"held-out part of {source}").model_dump(mode="json")  # fmt: skip

        attacks = [n for n, a in enumerate(test_rows) if a.item.attack != "base"]
        if attacks:
            figures["held_out_jailbreak"] = report("trained", [test_rows[n] for n in attacks], [judged[n] for n in attacks],
                                                   source="held-out jailbreak answers").model_dump(mode="json")  # fmt: skip
        r_rows = [a for a in test_rows if a.label == "R" and a.recheck]
        if r_rows:
            p_m = head.misunderstood(cache.features(r_rows))
            figures["held_out_recheck"] = {"n": len(r_rows), "agree": int(sum((p >= 0.5) == (a.recheck == "M") for p, a in zip(p_m, r_rows)))}
    if control_rows:
        extra = [a for a in rows if a.split != "test"]
        judged = cross_validated(control_rows, extra, cache, settings)
        figures["control_cv"] = report("trained", control_rows, judged, source="control", method="cross-validated (5 folds by prompt)").model_dump(
            mode="json"
        )
    out = Path(out) if out else shipped_head_dir()
    head.save(out)
    from biaskit.judges.shipped_calibration import write_calibration

    write_calibration(out, figures, test_rows, test_judged)
    write_card(out / "MODEL_CARD.md", head.settings, figures)
    return figures

"""Choose the trained judge's encoder by measurement, without touching the held-out prompts.

For each encoder setting, the two-stage judge is cross-validated (5 folds by base prompt) on the
training part of the written label set (rows with split != test): each fold's head is trained on
the other folds plus the small-model labels and the control set, minus every answer to a prompt of
the fold. Out-of-fold labels are compared with the human labels overall, per attack and per answer
language. The held-out prompts (split = test) are never read, so the model card's held-out figures
stay an independent check of whichever encoder wins.

    python judges/labels/tools/compare_encoders.py --setting smollm2-135m:12 --setting gemma3-270m:9 \
        --out judges/trained/encoder-choice.json --summary '...'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from biaskit.judges.calibrate import report
from biaskit.judges.labelled import control_answers, load_labelled, shipped_label_set_paths
from biaskit.judges.train import DEFAULT_SETTINGS, FeatureCache, cross_validated

NON_ENGLISH = ("Macedonian", "Scottish Gaelic", "Slovene")


def _summary(rep: dict) -> dict:
    def cut(table: dict) -> dict:
        return {k: {"n": v["n"], "kappa": v["kappa"], "accuracy": v["accuracy"]} for k, v in table.items()}

    return {"n": rep["n"], "kappa": rep["kappa"], "kappa_ci": rep.get("kappa_ci"), "accuracy": rep["accuracy"],
            "per_attack": cut(rep.get("per_attack", {})), "per_language": cut(rep.get("per_language", {}))}  # fmt: skip


def compare(settings_list: list[dict]) -> dict:
    files = shipped_label_set_paths()
    rows = [a for f in files for a in load_labelled(f)]
    held = {a.group for a in rows if a.split == "test"}
    train = [a for a in rows if a.split != "test"]
    targets = [a for a in train if a.source.startswith("clear-bias-written")]
    extra = [a for a in train if not a.source.startswith("clear-bias-written")] + [a for a in control_answers() if a.group not in held]
    out: dict = {"targets": len(targets), "extra": len(extra), "held_out_prompts_excluded": len(held), "settings": {}}
    for settings in settings_list:
        name = f"{settings['base_model']}:{settings['layers']}"
        start = time.perf_counter()
        judged = cross_validated(targets, extra, FeatureCache(settings), settings)
        rep = report("trained", targets, judged, source=f"written, training prompts, 5-fold CV ({name})").model_dump(mode="json")
        non_en = [n for n, a in enumerate(targets) if a.language in NON_ENGLISH]
        rep_ne = report("trained", [targets[n] for n in non_en], [judged[n] for n in non_en], source="non-English").model_dump(mode="json")
        head_only = [n for n, j in enumerate(judged) if j.path != "commitment"]
        rep_head = report("trained", [targets[n] for n in head_only], [judged[n] for n in head_only], source="head only").model_dump(mode="json")
        out["settings"][name] = {"all": _summary(rep), "non_english": _summary(rep_ne), "head_only": _summary(rep_head),
                                 "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
        print(name, "kappa", round(rep["kappa"], 3), "non-English", round(rep_ne["kappa"], 3), f"(n={rep_ne['n']})",
              "head-only", round(rep_head["kappa"], 3), f"(n={rep_head['n']})", flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", action="append", required=True, help="MODEL:LAYERS, e.g. gemma3-270m:9")
    parser.add_argument("--out", type=Path, required=True, help="e.g. judges/trained/encoder-choice.json (the model card shows it)")
    parser.add_argument("--summary", default="", help="one sentence: which encoder won and why (shown in the model card)")
    args = parser.parse_args()
    settings = []
    for spec in args.setting:
        model, _, layers = spec.partition(":")
        settings.append({**DEFAULT_SETTINGS, "base_model": model, "layers": int(layers or DEFAULT_SETTINGS["layers"])})
    figures = {"summary": args.summary, **compare(settings)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()

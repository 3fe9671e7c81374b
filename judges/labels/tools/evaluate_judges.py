"""Agreement of biaskit's judges with human labels, per source, on answers no judge was trained on.

Judges: the rules alone, the old offline default (rules + prompted SmolLM2-135M), the trained judge
alone, and the new default (rules + trained judge). Sources: the control set (trained judges
cross-validated, 5 folds by prompt), the held-out prompts of the label set, and the held-out
answers to jailbreak prompts. Writes results/studies/judge-trained/figures.json.

    python judges/labels/tools/evaluate_judges.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from biaskit.judges import calibrate, make_judge
from biaskit.judges.calibrate import report
from biaskit.judges.labelled import shipped_label_set, shipped_label_set_path

OUT = Path(__file__).resolve().parents[3] / "results" / "studies" / "judge-trained" / "figures.json"
JUDGES = ("deterministic", "hybrid:llm=smollm2-135m", "trained", "hybrid")


def brief(r) -> dict:  # type: ignore[no-untyped-def]
    return {"n": r.n, "kappa": round(r.kappa, 4), "kappa_ci": [round(x, 4) for x in r.kappa_ci], "macro_f1": round(r.macro_f1, 4),
            "accuracy": round(r.accuracy, 4), "method": r.method, "paths": r.paths,
            "per_task": {k: round(v.kappa, 4) for k, v in r.per_task.items()},
            "per_attack": {k: {"n": v.n, "kappa": round(v.kappa, 4)} for k, v in r.per_attack.items()},
            "per_model": {}, "confusion": r.confusion}  # fmt: skip


def main() -> None:
    figures: dict = {}
    held = [a for a in shipped_label_set() if a.split == "test"]
    jail = [n for n, a in enumerate(held) if a.item.attack != "base"]
    for spec in JUDGES:
        start = time.perf_counter()
        judge = make_judge(spec)
        control = calibrate(judge)
        judged = judge.judge([a.item for a in held])  # every judge on the same held-out answers
        labelled = report(spec, held, judged, source=f"{shipped_label_set_path().name} (held-out prompts)")
        jailbreak = report(spec, [held[n] for n in jail], [judged[n] for n in jail], source="held-out jailbreak answers")
        per_model = {}
        for model in sorted({a.model for a in held}):
            idx = [n for n, a in enumerate(held) if a.model == model]
            per_model[model] = round(report(spec, [held[n] for n in idx], [judged[n] for n in idx]).kappa, 4)
        judge.close()
        figures[spec] = {"control": brief(control), "held_out": {**brief(labelled), "per_model": per_model}, "held_out_jailbreak": brief(jailbreak),
                         "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
        print(f"{spec:<26} control {control.kappa:.3f}  held-out {labelled.kappa:.3f} (n={labelled.n})  jailbreak {jailbreak.kappa:.3f} (n={jailbreak.n})", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Re-judge every committed CLEAR-Bias run with the current default judge and record before/after.

    python judges/labels/tools/rejudge_committed.py [--max-answers N]   # writes results/studies/judge-under-attack/rejudge.json

Each run is re-judged by its own judge spec through ``biaskit.judge`` (the store keeps the old labels
beside as ``judgments.<judge>-<revision>.jsonl``) and rescored; the safety figures before and after,
and how many labels changed, are written to the study folder. A run already in the report whose
labels were made by an older judge revision is judged again: its "before" (the labels before the
first re-judge) is kept, "after" is replaced, and the changes since the previous re-judge are added.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import biaskit
from biaskit.judges.revision import judge_revision

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "results" / "studies" / "judge-under-attack" / "rejudge.json"


def figures(scores: dict) -> dict:
    adv = scores.get("adversarial") or {}
    return {"safety": scores["base"]["model"]["safety"], "safety_after_attacks": adv.get("safety_after_attacks"),
            "expected_safety_reduction": adv.get("expected_safety_reduction")}  # fmt: skip


def main() -> None:
    max_answers = int(sys.argv[sys.argv.index("--max-answers") + 1]) if "--max-answers" in sys.argv else None
    report = json.loads(OUT.read_text()) if OUT.is_file() else {}
    runs = [biaskit.open_run(p) for p in sorted((ROOT / "results").glob("clear-bias-*"))]
    for run in (r for r in runs if r.scores is not None):
        previous = report.get(run.path.name, {})
        if "after" in previous and getattr(run.scores.judge, "revision", None) == judge_revision():  # type: ignore[union-attr]
            continue
        before_scores = run.scores.model_dump(mode="json")  # type: ignore[union-attr]
        before_labels = dict(zip(run.labels()["key"], run.labels()["label"]))
        if max_answers is not None and len(before_labels) > max_answers:
            report[run.path.name] = {"answers": len(before_labels), "not_rejudged": f"more than --max-answers {max_answers}"}
            continue
        spec = str(run.manifest.config.get("judge", "trained"))
        print(f"{run.path.name}: re-judging {len(before_labels)} answers with {spec}", file=sys.stderr, flush=True)
        biaskit.judge(run.path, judge=spec)
        after = biaskit.open_run(run.path)
        after_scores = after.scores.model_dump(mode="json")  # type: ignore[union-attr]
        after_labels = dict(zip(after.labels()["key"], after.labels()["label"]))
        changed = Counter(f"{before_labels[k]}->{after_labels.get(k)}" for k in before_labels if before_labels[k] != after_labels.get(k))
        entry = {"judge": spec, "answers": len(before_labels), "labels_changed": sum(changed.values()), "changes": dict(changed.most_common()),
                            "before": figures(before_scores), "after": figures(after_scores),
                            "paths_after": after_scores["judge"].get("paths"),
                            "low_confidence_after": {k: v for k, v in (after_scores["judge"].get("low_confidence") or {}).items() if k != "items"},
                            "judge_revision": judge_revision()}  # fmt: skip
        if "after" in previous:  # judged again: "before" stays the labels before the first re-judge
            entry.update({"before": previous["before"], "labels_changed": previous["labels_changed"], "changes": previous["changes"],
                          "labels_changed_since_previous": entry["labels_changed"], "changes_since_previous": entry["changes"]})
        report[run.path.name] = entry
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Merge the written label set: the writers' answers with the annotators' blind labels.

    python judges/labels/tools/merge_written.py

Writes ``judges/labels/clear-bias-written.jsonl`` (one row per answer: the item, the answer, the
first-pass ``label`` / ``recheck`` / ``note``, the second pass where it exists, and, for the record,
the label the writer aimed at and the style it was told) and ``written/agreement.json``: Cohen's
kappa of the second pass against the first (overall, per attack and per language), and how often
the first pass agrees with the writer's aim. The gold label is always the first pass: an annotator
who read the answer blind, never the writer's intention.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from biaskit.judges.calibrate import cohen_kappa, kappa_interval

LABELS = Path(__file__).resolve().parents[1]
WORK = LABELS / "written" / "work"


def read_pass(pattern: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted(WORK.glob(pattern)):
        batch = path.name.split(".")[0]
        ids = dict(line.rstrip("\n").split("\t") for line in open(WORK / f"{batch}.ids.tsv", encoding="utf-8"))
        for line in open(path, encoding="utf-8"):
            if line.strip():
                row = json.loads(line)
                out[ids[row["key"]]] = {**row, "batch": batch}
    return out


def main() -> None:
    answers = [json.loads(line) for line in open(LABELS / "written" / "answers.jsonl", encoding="utf-8")]
    first, second = read_pass("a-*.pass1.jsonl"), read_pass("p2-*.pass2.jsonl")
    missing = [a["uid"] for a in answers if a["uid"] not in first]
    if missing:
        raise SystemExit(f"{len(missing)} answers have no first-pass label yet, e.g. {missing[:3]}")
    rows = []
    for a in answers:
        one, two = first[a["uid"]], second.get(a["uid"])
        rows.append({**{k: v for k, v in a.items() if k not in ("aim", "style", "writer")},
                     "label": one["label"], "recheck": one.get("recheck") if one["label"] == "R" else None, "note": one.get("note") or "",
                     "annotator_batch": one["batch"], "label_pass2": two["label"] if two else None,
                     "recheck_pass2": two.get("recheck") if two and two["label"] == "R" else None,
                     "writer": a["writer"], "writer_aim": a["aim"], "writer_style": a["style"]})  # fmt: skip
    (LABELS / "clear-bias-written.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    both = [r for r in rows if r["label_pass2"]]

    def kappa(subset: list[dict]) -> dict:
        gold, other = [r["label"] for r in subset], [r["label_pass2"] for r in subset]
        return {"n": len(subset), "kappa": round(cohen_kappa(gold, other), 4), "agreement": round(sum(g == o for g, o in zip(gold, other)) / len(subset), 4)}

    agreement = {
        "second_pass": {**kappa(both), "kappa_ci": [round(x, 4) for x in kappa_interval([r["label"] for r in both], [r["label_pass2"] for r in both])],
                        "confusion": {f"{g}->{o}": n for (g, o), n in sorted(Counter((r["label"], r["label_pass2"]) for r in both).items())},
                        "per_attack": {a: kappa([r for r in both if r["attack"] == a]) for a in sorted({r["attack"] for r in both})},
                        "per_language": {x: kappa([r for r in both if r["language"] == x]) for x in sorted({r["language"] for r in both})}},
        "first_pass_vs_writer_aim": {**kappa([{**r, "label_pass2": r["writer_aim"]} for r in rows]),
                                     "confusion": {f"{g}->{o}": n for (g, o), n in sorted(Counter((r["label"], r["writer_aim"]) for r in rows).items())}},
        "labels": dict(Counter(r["label"] for r in rows)),
        "labels_per_attack": {a: dict(Counter(r["label"] for r in rows if r["attack"] == a)) for a in sorted({r["attack"] for r in rows})},
        "split": dict(Counter(r["split"] for r in rows)),
    }  # fmt: skip
    (LABELS / "written" / "agreement.json").write_text(json.dumps(agreement, indent=1) + "\n")
    print(json.dumps({k: agreement[k] for k in ("labels", "split")}), json.dumps(agreement["second_pass"]["per_attack"]))
    print("second pass", {k: agreement["second_pass"][k] for k in ("n", "kappa", "kappa_ci", "agreement", "confusion")})
    print("vs writer aim", agreement["first_pass_vs_writer_aim"])


if __name__ == "__main__":
    main()

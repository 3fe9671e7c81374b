"""Join the annotators' passes with the answers into the committed label set.

Reads ``answers.jsonl`` and ``work/<batch>.pass1.jsonl`` / ``work/<batch>.ids.tsv`` (first pass)
and ``work/p2-*.pass2.jsonl`` (the independent second pass), assigns the held-out split by prompt
(``biaskit.judges.train.split_by_prompt``: 3 of the 10 base prompts of every task and category) and
writes ``clear-bias-small-models.jsonl`` (one row per answer; ``label``/``recheck`` are the first
pass, ``label_pass2``/``recheck_pass2`` the second where it exists) and ``agreement.json``.

    python judges/labels/tools/merge_labels.py [--partial]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from biaskit.judges.train import split_by_prompt
from biaskit.suites import clear_bias

HERE = Path(__file__).resolve().parents[1]
WORK = HERE / "work"
KEEP = ("uid", "model", "item_id", "task", "category", "attack", "variant", "row", "prompt", "options", "stereotype_index",
        "stereotype", "counter_stereotype", "response", "n_tokens", "finish_reason")  # fmt: skip


def read_pass(pattern: str) -> dict[str, dict]:
    """Labels of every batch; a batch may be spread over several files (``<batch>.pass1*.jsonl``:
    a stalled annotator's part, then another's). An answer labelled in two files keeps the first
    file's label (files in name order) and the disagreement is counted."""
    out: dict[str, dict] = {}
    conflicts = 0
    for labels in sorted(WORK.glob(pattern)):
        batch = labels.name.split(".")[0]
        ids = dict(line.split("\t") for line in (WORK / f"{batch}.ids.tsv").read_text().splitlines())
        for number, line in enumerate(labels.read_text().splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["id"] not in ids:
                raise SystemExit(f"{labels}:{number}: id {row['id']} is not in {batch}.ids.tsv")
            uid = ids[row["id"]].strip()
            if row["label"] not in ("S", "CS", "D", "R"):
                raise SystemExit(f"{labels}:{number}: bad label {row['label']!r}")
            if uid in out:
                if out[uid]["file"] == labels.name:
                    raise SystemExit(f"{labels}:{number}: {uid} labelled twice")
                conflicts += out[uid]["label"] != row["label"]
                continue
            out[uid] = {**row, "batch": batch, "file": labels.name}
    if conflicts:
        print(f"{pattern}: {conflicts} answers labelled differently in two files (the first kept)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partial", action="store_true", help="write what is labelled so far (experiments only)")
    args = parser.parse_args()
    answers = [json.loads(line) for line in (HERE / "answers.jsonl").open()]
    first, second = read_pass("[sg]-*.pass1*.jsonl"), read_pass("p2-*.pass2.jsonl")
    missing = [a["uid"] for a in answers if a["uid"] not in first]
    if missing and not args.partial:
        raise SystemExit(f"{len(missing)} answers have no first-pass label, e.g. {missing[0]}")
    base = clear_bias.load_prompts()
    categories = {f"{i.task}-{i.row:03d}": i.category for i in base}
    held_out = split_by_prompt(list(categories), categories)
    rows = []
    for a in answers:
        if a["uid"] not in first:
            continue
        p1, p2 = first[a["uid"]], second.get(a["uid"])
        group = f"{a['task']}-{a['row']:03d}"
        rows.append({**{k: a[k] for k in KEEP}, "label": p1["label"], "recheck": p1.get("recheck"), "note": p1.get("note") or "",
                     "annotator_batch": p1["batch"], "label_pass2": p2["label"] if p2 else None,
                     "recheck_pass2": p2.get("recheck") if p2 else None, "split": "test" if group in held_out else "train"})  # fmt: skip
    out = HERE / ("clear-bias-small-models.partial.jsonl" if args.partial else "clear-bias-small-models.jsonl")
    with out.open("w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} labelled answers to {out} ({sum(r['split'] == 'test' for r in rows)} held out)")
    both = [r for r in rows if r["label_pass2"]]
    if both:
        from sklearn.metrics import cohen_kappa_score, confusion_matrix

        kappa = cohen_kappa_score([r["label"] for r in both], [r["label_pass2"] for r in both])
        matrix = confusion_matrix([r["label"] for r in both], [r["label_pass2"] for r in both], labels=["S", "CS", "D", "R"])
        refusals = [r for r in both if r["label"] == "R" and r["label_pass2"] == "R"]
        report = {"n": len(both), "kappa": kappa, "agreement": sum(r["label"] == r["label_pass2"] for r in both) / len(both),
                  "confusion_pass1_rows_pass2_columns": {"labels": ["S", "CS", "D", "R"], "matrix": matrix.tolist()},
                  "recheck_agree": f"{sum(r['recheck'] == r['recheck_pass2'] for r in refusals)}/{len(refusals)}"}  # fmt: skip
        report["first_pass_complete"] = not missing
        (HERE / "agreement.json").write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report))


if __name__ == "__main__":
    main()

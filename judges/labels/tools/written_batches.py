"""The written label set's answers and their annotation batches.

    python judges/labels/tools/written_batches.py collect            # slots + writers' answers -> written/answers.jsonl
    python judges/labels/tools/written_batches.py pass1 w-03         # a first-pass batch of one writer's answers
    python judges/labels/tools/written_batches.py pass2 56           # second-pass batches: 56 answers of every writer

A batch is a readable view (``make_batches.view``: task, category, attack, both options with their
roles, the English base question, the prompt sent, the answer) in shuffled order, with opaque ids:
the annotator sees neither the writer, nor the label the writer aimed at, nor the style, nor any
judge's label or other annotator's label.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_batches import opaque, view  # noqa: E402

from biaskit.suites import clear_bias  # noqa: E402

HERE = Path(__file__).resolve().parents[1] / "written"
WORK = HERE / "work"


def collect() -> list[dict]:
    slots = {json.loads(line)["slot"]: json.loads(line) for line in open(WORK / "slots.jsonl", encoding="utf-8")}
    rows = []
    for path in sorted(WORK.glob("w-*.answers.jsonl")):
        writer = path.name.split(".")[0]
        for line in open(path, encoding="utf-8"):
            answer = json.loads(line)
            s = slots[answer["slot"]]
            rows.append({"uid": s["slot"], "model": "written", "writer": writer, "item_id": s["item_id"], "task": s["task"], "category": s["category"],
                         "attack": s["attack"], "variant": s["variant"], "row": s["row"], "prompt": s["prompt"], "options": s["options"],
                         "stereotype_index": s["stereotype_index"], "stereotype": s["stereotype"], "counter_stereotype": s["counter_stereotype"],
                         "response": answer["response"], "language": s["write_in"], "aim": s["aim"], "style": s["style"], "split": s["split"]})  # fmt: skip
    (HERE / "answers.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


def write_batch(name: str, rows: list[dict]) -> None:
    base = {(i.task, i.row): i.prompt for i in clear_bias.load_prompts()}
    (WORK / f"{name}.txt").write_text("\n\n".join(view(r, base) for r in rows) + "\n", encoding="utf-8")
    (WORK / f"{name}.ids.tsv").write_text("".join(f"{opaque(r['uid'])}\t{r['uid']}\n" for r in rows), encoding="utf-8")
    print(name, len(rows))


def main() -> None:
    command = sys.argv[1]
    rows = collect()
    if command == "pass1":
        writer = sys.argv[2]
        chosen = [r for r in rows if r["writer"] == writer]
        random.Random(writer).shuffle(chosen)
        write_batch(f"a-{writer[2:]}", chosen)
    elif command == "pass2":
        per_writer = int(sys.argv[2])
        rng = random.Random(20261207)
        chosen = []
        for writer in sorted({r["writer"] for r in rows}):
            mine = sorted((r for r in rows if r["writer"] == writer), key=lambda r: r["uid"])
            chosen += rng.sample(mine, min(per_writer, len(mine)))
        rng.shuffle(chosen)
        half = len(chosen) // 2
        write_batch("p2-a", chosen[:half])
        write_batch("p2-b", chosen[half:])


if __name__ == "__main__":
    main()

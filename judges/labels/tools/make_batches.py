"""Annotation batches for the judge label set: readable views of answers, in shuffled order.

Each view shows what ``../../labelling-guide.md`` lists (task, category, attack, the two options
with their roles, the prompt, the answer) and nothing else: not the model, not any judge's label.

    python judges/labels/tools/make_batches.py --size 200            # first pass over answers.jsonl
    python judges/labels/tools/make_batches.py --second-pass 240     # the independent second pass
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path

from biaskit.suites import clear_bias

HERE = Path(__file__).resolve().parents[1]
PROMPT_CHARS = 900


def opaque(uid: str) -> str:
    """The id annotators see: it does not tell which model wrote the answer."""
    return hashlib.sha1(uid.encode()).hexdigest()[:10]


def view(row: dict, base_prompts: dict[tuple[str, int], str]) -> str:
    s_index = row["stereotype_index"]
    options = row["options"]
    lines = [f"=== {opaque(row['uid'])}", f"task: {row['task']}   category: {row['category']}   attack: {row['attack']}"
             + (f" (variant {row['variant']})" if row["attack"] != "base" else "")]
    for role, index, spelled in (("STEREOTYPE", s_index, row["stereotype"]), ("COUNTER", 1 - s_index, row["counter_stereotype"])):
        letter = f"letter {'AB'[index]}, " if row["task"] == "CTO" else ""
        extra = f"  (this prompt spells it: {spelled})" if spelled.strip().lower() != options[index].strip().lower() else ""
        lines.append(f"{role} option: {letter}{options[index]}{extra}")
    base = base_prompts[(row["task"], row["row"])]
    if row["attack"] != "base":
        lines.append(f"base question (English): {base}")
        prompt = row["prompt"]
        lines.append("prompt sent: " + (prompt if len(prompt) <= PROMPT_CHARS else prompt[:PROMPT_CHARS] + " [...cut]"))
    else:
        lines.append(f"prompt sent: {base}")
    lines.append("ANSWER: <<<" + row["response"] + ">>>")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", default=str(HERE / "answers.jsonl"))
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--second-pass", type=int, default=0, help="sample this many answers for the second pass instead")
    parser.add_argument("--out", default=str(HERE / "work"))
    parser.add_argument("--only-model", default=None)
    parser.add_argument("--prefix", default="batch")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.answers)]
    if args.only_model:
        rows = [r for r in rows if r["model"] == args.only_model]
    base_prompts = {(i.task, i.row): i.prompt for i in clear_bias.load_prompts()}
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    if args.second_pass:
        rows = rows[: args.second_pass]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for n in range(0, len(rows), args.size):
        chunk = rows[n : n + args.size]
        name = f"{args.prefix}-{n // args.size + 1:02d}"
        (out / f"{name}.txt").write_text("\n\n".join(view(r, base_prompts) for r in chunk) + "\n")
        (out / f"{name}.ids.tsv").write_text("".join(f"{opaque(r['uid'])}\t{r['uid']}\n" for r in chunk))
        print(name, len(chunk))


if __name__ == "__main__":
    main()

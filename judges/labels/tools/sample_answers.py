"""Build the answer pool of biaskit's judge label set (see ../DATASHEET.md).

smollm2-135m: its committed full CLEAR-Bias run (results/clear-bias-smollm2-135m-plain-3b326037,
greedy, 128 tokens): every base answer and a stratified sample of attack answers. gemma3-270m:
generated here with the same settings (hf engine, greedy, 128 tokens) for every base prompt and a
stratified sample of attack prompts. Attack items are drawn per (attack, task, category) cell,
spread over the three variants, seeded. Writes ``answers.jsonl`` (one row per answer, the fields of
a biaskit response row plus ``model``).

    python judges/labels/tools/sample_answers.py --smollm2-per-attack 110 --gemma-per-attack 50
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from biaskit.engines import EngineConfig, load_engine
from biaskit.engines._types import SamplingParams
from biaskit.suites import clear_bias

HERE = Path(__file__).resolve().parents[1]
SMOLLM2_RUN = HERE.parents[1] / "results" / "clear-bias-smollm2-135m-plain-3b326037" / "responses.jsonl"


def stratified(items: list, per_attack: int, rng: random.Random) -> list:
    """``per_attack`` items of each attack, spread evenly over its (task, category) cells and variants."""
    cells: dict[tuple, list] = defaultdict(list)
    for item in items:
        cells[(item.attack, item.task, item.category)].append(item)
    chosen = []
    for attack in clear_bias.ATTACKS:
        keys = sorted(k for k in cells if k[0] == attack)
        quota = {k: per_attack // len(keys) for k in keys}
        for k in rng.sample(keys, per_attack % len(keys)):
            quota[k] += 1
        for k in keys:
            pool = list(cells[k])
            rng.shuffle(pool)
            rows_seen: set[int] = set()
            picked = []
            for variant in [1, 2, 3] * per_attack:  # round-robin over variants, distinct rows
                if len(picked) == quota[k]:
                    break
                match = next((i for i in pool if i.variant == variant and i.row not in rows_seen), None)
                if match is not None:
                    picked.append(match)
                    rows_seen.add(match.row)
                    pool.remove(match)
            chosen += picked
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smollm2-per-attack", type=int, default=110)
    parser.add_argument("--gemma-per-attack", type=int, default=50)
    parser.add_argument("--out", default=str(HERE / "answers.jsonl"))
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--backend", default="vllm", help="engine for gemma3-270m (vllm or hf; same greedy settings)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    items = clear_bias.load_prompts(attacks=clear_bias.ATTACKS)
    base = clear_bias.load_prompts()
    rows = []
    smol = {json.loads(line)["item_id"]: json.loads(line) for line in SMOLLM2_RUN.open()}
    for item in base + stratified(items, args.smollm2_per_attack, rng):
        rows.append({**smol[item.id], "prompt": item.prompt, "model": "smollm2-135m"})
    out = Path(args.out)
    done = {json.loads(line)["uid"] for line in out.open()} if out.is_file() else set()
    if not done:
        write(rows, args.out, "w")
    gemma_items = [i for i in base + stratified(items, args.gemma_per_attack, rng) if f"gemma3-270m/{i.id}#0" not in done]
    if not gemma_items:
        return
    engine = load_engine(EngineConfig(model="gemma3-270m", backend=args.backend, batch_size=64))
    sampling = SamplingParams(temperature=0.0, max_tokens=128)
    step = 64
    for start in range(0, len(gemma_items), step):
        batch = gemma_items[start : start + step]
        rows = []
        for item, completions in zip(batch, engine.generate([i.request() for i in batch], sampling)):
            c = completions[0]
            rows.append({"key": f"{item.id}#0", "item_id": item.id, "sample": 0, "response": c.text, "n_tokens": c.n_tokens,
                         "finish_reason": c.finish_reason, **item.meta(), "id": item.id, "prompt": item.prompt, "model": "gemma3-270m"})
        write(rows, args.out, "a")  # appended per batch: a rerun resumes
    engine.close()


def write(rows: list[dict], out: str, mode: str) -> None:
    with open(out, mode) as f:
        for row in rows:
            f.write(json.dumps({**row, "uid": f"{row['model']}/{row['key']}"}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} answers to {out}", flush=True)


if __name__ == "__main__":
    main()

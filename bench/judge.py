"""Judge speed: answers/s of the rules, the trained judge and the prompted LLM judge, side by side.

All three label the same stored answers (by default 400 of the committed full smollm2-135m run:
every 11th answer, base and attack prompts alike) in one process. Each judge is loaded first
(load time reported apart), then timed over ``--rounds`` rounds, alternating judges so that load
from other jobs hits all alike; the median round is reported, and the ratios to the prompted
fallback (``llm:smollm2-135m``, which reads its label from next-token log-probabilities).
Target: the trained judge at least 20x the prompted fallback on a CPU.

    python bench/judge.py [--answers N] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

COMMITTED_RUN = Path(__file__).resolve().parents[1] / "results" / "clear-bias-smollm2-135m-plain-3b326037" / "responses.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--llm", default="llm:hf:smollm2-135m", help="the prompted judge to compare with")
    args = parser.parse_args()

    from biaskit.judges import make_judge
    from biaskit.judges.records import _SuiteIndex, to_input

    rows = [json.loads(line) for line in COMMITTED_RUN.open()]
    step = max(1, len(rows) // args.answers)
    index = _SuiteIndex(None)
    items = [to_input(r, index) for r in rows[::step][: args.answers]]
    judges = {}
    for name in ("deterministic", "trained", args.llm):
        start = time.perf_counter()
        judge = make_judge(name)
        judge.judge(items[:4])  # loads the model, if any
        judges[name] = (judge, time.perf_counter() - start)
    times: dict[str, list[float]] = {name: [] for name in judges}
    for _ in range(args.rounds):
        for name, (judge, _) in judges.items():
            start = time.perf_counter()
            judge.judge(items)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[args.llm])
    print(f"{len(items)} stored answers (committed smollm2-135m run), median of {args.rounds} rounds")
    print(f"{'judge':<24}{'load s':>8}{'label s':>10}{'answers/s':>12}{'x prompted':>12}")
    for name, (_, load) in judges.items():
        median = statistics.median(times[name])
        print(f"{name:<24}{load:>8.1f}{median:>10.2f}{len(items) / median:>12.1f}{base / median:>12.1f}")


if __name__ == "__main__":
    main()

"""The prompted hf judge, code before and after a change, side by side: seconds and peak RSS.

Each variant labels the same stored answers (by default 40 of the committed smollm2-135m run, both
base and attack prompts) with ``llm:hf:smollm2-135m`` in a fresh process, so that peak RSS
(``ru_maxrss`` of that child alone) is the judge's own. A variant is a source tree put first on
``PYTHONPATH``; the default compares this checkout with ``--before DIR`` (for instance an export of
main: ``git archive main | tar -x -C /tmp/before``).

    python bench/judge_llm_hf.py --before /tmp/before [--answers 40] [--judge llm:hf:smollm2-135m]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMITTED_RUN = HERE / "results" / "clear-bias-smollm2-135m-plain-3b326037" / "responses.jsonl"

_CHILD = """
import json, sys, time
from biaskit.judges import make_judge
from biaskit.judges.records import _SuiteIndex, to_input
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
n = int(sys.argv[2])
step = max(1, len(rows) // n)
index = _SuiteIndex(None)
items = [to_input(r, index) for r in rows[::step][:n]]
judge = make_judge(sys.argv[3])
start = time.perf_counter()
labels = [j.label for j in judge.judge(items)]
print(json.dumps({"seconds": time.perf_counter() - start, "labels": labels}))
"""


def run_variant(source: Path, answers: int, judge: str) -> dict[str, object]:
    """Time one variant in a child process; its peak RSS in MiB comes from ``getrusage``."""
    env = dict(os.environ, PYTHONPATH=str(source), HF_HUB_OFFLINE="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, "-c", _CHILD, str(COMMITTED_RUN), str(answers), judge],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"variant {source} failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the largest child so far: run the smaller variant (after) first
    result["peak_mib"] = max(peak, before) / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the code to compare with")
    parser.add_argument("--after", type=Path, default=HERE, help="source tree of the new code (default: this checkout)")
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--judge", default="llm:hf:smollm2-135m")
    args = parser.parse_args()
    after = run_variant(args.after, args.answers, args.judge)
    before = run_variant(args.before, args.answers, args.judge)
    agree = sum(a == b for a, b in zip(before["labels"], after["labels"]))  # type: ignore[arg-type]
    print(f"{args.answers} stored answers, judge {args.judge}")
    print(f"{'variant':<10}{'label s':>10}{'peak RSS MiB':>15}")
    for name, result in (("before", before), ("after", after)):
        print(f"{name:<10}{result['seconds']:>10.1f}{result['peak_mib']:>15.0f}")
    print(f"time ratio before/after: {before['seconds'] / after['seconds']:.1f}x; "  # type: ignore[operator]
          f"peak RSS ratio before/after: {before['peak_mib'] / after['peak_mib']:.1f}x; "  # type: ignore[operator]
          f"same label on {agree} of {args.answers}")


if __name__ == "__main__":
    main()

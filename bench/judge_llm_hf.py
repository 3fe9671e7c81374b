"""The prompted hf judge, code before and after a change, side by side: seconds and peak RSS.

Each variant labels the same stored answers (by default 40 of the committed smollm2-135m run, both
base and attack prompts) with ``llm:hf:smollm2-135m`` in a fresh process, which reports its own
peak RSS after loading the model and after judging, and the wall and CPU seconds of judging (CPU
seconds vary less than wall time on a shared machine). A variant is a source tree put first on
``PYTHONPATH``; the default compares this checkout with ``--before DIR`` (for instance an export of
main: ``git archive main | tar -x -C /tmp/before``).

    python bench/judge_llm_hf.py --before /tmp/before [--answers 40] [--scored 8] [--judge llm:hf:smollm2-135m]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMITTED_RUN = HERE / "results" / "clear-bias-smollm2-135m-plain-3b326037" / "responses.jsonl"

_CHILD = """
import json, resource, sys, time
from biaskit.judges import make_judge
from biaskit.judges.records import _SuiteIndex, to_input
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
n = int(sys.argv[2])
step = max(1, len(rows) // n)
index = _SuiteIndex(None)
items = [to_input(r, index) for r in rows[::step][:n]]
judge = make_judge(sys.argv[3])
judge.judge(items[:1])  # loads the model
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start, cpu = time.perf_counter(), time.process_time()
labels = [j.label for j in judge.judge(items)]
result = {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu, "labels": labels,
          "loaded_mib": loaded, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
# the fallback for answers whose label the first step leaves uncertain: every label scored in full
from biaskit.judges import LABELS
scored = items[: int(sys.argv[4])]
start, cpu = time.perf_counter(), time.process_time()
judge._score_labels([judge._render("clear_bias_judge.md", i) for i in scored], LABELS)
result.update(score_seconds=time.perf_counter() - start, score_cpu_seconds=time.process_time() - cpu,
              score_peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(result))
"""


def run_variant(source: Path, answers: int, judge: str, scored: int) -> dict[str, object]:
    """Time one variant in a child process, which reports its own peak RSS (MiB) after loading the
    model and after judging, and its wall and CPU seconds of judging."""
    env = dict(os.environ, PYTHONPATH=str(source), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", _CHILD, str(COMMITTED_RUN), str(answers), judge, str(scored)],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"variant {source} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the code to compare with")
    parser.add_argument("--after", type=Path, default=HERE, help="source tree of the new code (default: this checkout)")
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--judge", default="llm:hf:smollm2-135m")
    parser.add_argument("--scored", type=int, default=8, help="answers whose four labels are then scored in full (the fallback)")
    args = parser.parse_args()
    after = run_variant(args.after, args.answers, args.judge, args.scored)
    before = run_variant(args.before, args.answers, args.judge, args.scored)
    agree = sum(a == b for a, b in zip(before["labels"], after["labels"]))  # type: ignore[arg-type]
    print(f"{args.answers} stored answers, judge {args.judge}")
    print(f"{'variant':<10}{'wall s':>9}{'CPU s':>9}{'RSS loaded MiB':>16}{'peak RSS MiB':>14}{'judging MiB':>13}")
    for name, r in (("before", before), ("after", after)):
        grown = r["peak_mib"] - r["loaded_mib"]  # type: ignore[operator]
        print(f"{name:<10}{r['seconds']:>9.1f}{r['cpu_seconds']:>9.1f}{r['loaded_mib']:>16.0f}{r['peak_mib']:>14.0f}{grown:>13.0f}")
    print(f"then {args.scored} answers' four labels scored in full (the fallback for uncertain readings):")
    print(f"{'variant':<10}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>14}")
    for name, r in (("before", before), ("after", after)):
        print(f"{name:<10}{r['score_seconds']:>9.1f}{r['score_cpu_seconds']:>9.1f}{r['score_peak_mib']:>14.0f}")
    print(f"scoring before/after: wall {before['score_seconds'] / after['score_seconds']:.2f}x, "  # type: ignore[operator]
          f"CPU {before['score_cpu_seconds'] / after['score_cpu_seconds']:.2f}x, peak RSS {before['score_peak_mib'] / after['score_peak_mib']:.2f}x")  # type: ignore[operator]
    print(f"first step before/after: wall {before['seconds'] / after['seconds']:.2f}x, CPU {before['cpu_seconds'] / after['cpu_seconds']:.2f}x, "  # type: ignore[operator]
          f"peak RSS {before['peak_mib'] / after['peak_mib']:.2f}x; same label on {agree} of {args.answers}")  # type: ignore[operator]


if __name__ == "__main__":
    main()

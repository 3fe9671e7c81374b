"""The prompted hf judge, code before and after a change, side by side: seconds and peak RSS.

Two phases, each variant in a fresh process of its own so that peak RSS (``ru_maxrss`` of that
process) is the phase's own: the judge reading the labels of ``--answers`` stored answers (by
default 40 of the committed smollm2-135m run) from one decoding step, and the fallback for
readings that step leaves uncertain, every label of ``--scored`` answers scored in full. Wall and
CPU seconds are both printed (CPU seconds vary less than wall time on a shared machine). A variant
is a source tree put first on ``PYTHONPATH``: this checkout and ``--before DIR`` (for instance an
export of main: ``git archive main biaskit judges prompts | tar -x -C /tmp/before``).

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
from biaskit.judges import LABELS, make_judge
from biaskit.judges.records import _SuiteIndex, to_input
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
n, phase = int(sys.argv[2]), sys.argv[4]
step = max(1, len(rows) // n)
items = [to_input(r, _SuiteIndex(None)) for r in rows[::step][:n]]
judge = make_judge(sys.argv[3])
judge.first_tokens_distinct(LABELS)  # loads the model
loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start, cpu = time.perf_counter(), time.process_time()
if phase == "judge":
    labels = [j.label for j in judge.judge(items)]
else:  # the fallback for answers whose label the first step leaves uncertain: every label scored in full
    labels = []
    judge._score_labels([judge._render("clear_bias_judge.md", i) for i in items], LABELS)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu, "labels": labels,
                  "loaded_mib": loaded, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_variant(source: Path, answers: int, judge: str, phase: str) -> dict[str, object]:
    """One phase (``judge`` or ``score``) of one variant in a fresh child process, which reports
    its own peak RSS (MiB) after loading the model and at the end, and its wall and CPU seconds."""
    env = dict(os.environ, PYTHONPATH=str(source), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", _CHILD, str(COMMITTED_RUN), str(answers), judge, phase],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"variant {source} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _table(title: str, before: dict[str, object], after: dict[str, object]) -> None:
    print(title)
    print(f"{'variant':<10}{'wall s':>9}{'CPU s':>9}{'RSS loaded MiB':>16}{'peak RSS MiB':>14}")
    for name, r in (("before", before), ("after", after)):
        print(f"{name:<10}{r['seconds']:>9.1f}{r['cpu_seconds']:>9.1f}{r['loaded_mib']:>16.0f}{r['peak_mib']:>14.0f}")
    print(f"before/after: wall {before['seconds'] / after['seconds']:.2f}x, CPU {before['cpu_seconds'] / after['cpu_seconds']:.2f}x, "  # type: ignore[operator]
          f"peak RSS {before['peak_mib'] / after['peak_mib']:.2f}x")  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the code to compare with")
    parser.add_argument("--after", type=Path, default=HERE, help="source tree of the new code (default: this checkout)")
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--judge", default="llm:hf:smollm2-135m")
    parser.add_argument("--scored", type=int, default=8, help="answers whose four labels are scored in full (the fallback), in a process of its own")
    args = parser.parse_args()
    judged = {name: run_variant(source, args.answers, args.judge, "judge") for name, source in (("after", args.after), ("before", args.before))}
    scored = {name: run_variant(source, args.scored, args.judge, "score") for name, source in (("after", args.after), ("before", args.before))}
    agree = sum(a == b for a, b in zip(judged["before"]["labels"], judged["after"]["labels"]))  # type: ignore[arg-type]
    _table(f"{args.answers} stored answers judged by {args.judge} (first step; same label on {agree})", judged["before"], judged["after"])
    _table(f"{args.scored} answers' four labels scored in full (the fallback for uncertain readings)", scored["before"], scored["after"])


if __name__ == "__main__":
    main()

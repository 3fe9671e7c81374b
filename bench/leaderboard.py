"""Benchmark: `biaskit leaderboard` over 500 synthetic run directories (target: under 10 s).

The runs have the real sizes of full runs: a CLEAR-Bias run holds 4,400 responses and judgments
(200 base prompts + 7 attacks x 3 variants) and a scores.json with every interval; an NBLS run
holds 40 occupations. 125 models x (CLEAR-Bias plain, CLEAR-Bias debiased, NBLS plain with a
grounded block, NBLS debiased) = 500 runs. To keep the set-up short, 16 distinct runs are scored
with the real scorers and copied under new run ids and model names.

    python bench/leaderboard.py [--runs 500] [--base-only] [--keep DIR]

``--base-only``: CLEAR-Bias runs without the jailbreak phase (200 responses each).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from biaskit.results.leaderboard.synthetic import write_clear_bias_run, write_nbls_run

KINDS = (("clear-bias", "plain"), ("clear-bias", "debiased"), ("nbls", "plain"), ("nbls", "debiased"))
TEMPLATES_PER_KIND = 4


def make_templates(root: Path, attacks: bool = True) -> dict[tuple[str, str], list[Path]]:
    templates: dict[tuple[str, str], list[Path]] = {}
    for k, (suite, condition) in enumerate(KINDS):
        for i in range(TEMPLATES_PER_KIND):
            seed = 10 * k + i
            name = f"template-{suite}-{condition}-{i}"
            if suite == "clear-bias":
                path = write_clear_bias_run(root, name, "template", condition, seed=seed, attacks=attacks, n_boot=200)
            else:
                path = write_nbls_run(root, name, "template", condition, seed=seed, grounded=condition == "plain", n_boot=50)
            templates.setdefault((suite, condition), []).append(path)
    return templates


def make_runs(results: Path, templates: dict[tuple[str, str], list[Path]], n_runs: int) -> None:
    results.mkdir(parents=True)
    for r in range(n_runs):
        model_no, kind = divmod(r, len(KINDS))
        suite, condition = KINDS[kind]
        source = templates[(suite, condition)][model_no % TEMPLATES_PER_KIND]
        run_id = f"{suite}-model{model_no:03d}-{condition}"
        target = results / run_id
        shutil.copytree(source, target)
        manifest = json.loads((target / "manifest.json").read_text())
        manifest.update(run_id=run_id, engine={**manifest["engine"], "model": f"synthetic/model-{model_no:03d}"})
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--base-only", action="store_true", help="CLEAR-Bias runs without jailbreak prompts")
    parser.add_argument("--keep", help="build in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="biaskit-bench-"))
    try:
        start = time.perf_counter()
        templates = make_templates(work / "templates", attacks=not args.base_only)
        make_runs(work / "results", templates, args.runs)
        print(f"set-up: {args.runs} run directories in {time.perf_counter() - start:.1f} s ({work / 'results'})")
        # The real command in a fresh process, as CI runs it: imports and start-up are counted.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "biaskit", "leaderboard", str(work / "results"), "--out", str(work / "site"), "--check"],
            capture_output=True, text=True,
        )
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(proc.stdout.strip())
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        size = sum(p.stat().st_size for p in (work / "site").rglob("*") if p.is_file())
        verdict = "OK" if seconds < 10 else "SLOWER THAN TARGET"
        load = os.getloadavg()[0]
        print(
            f"biaskit leaderboard over {args.runs} runs: {seconds:.2f} s wall (target < 10 s: {verdict}), "
            f"{cpu:.2f} s CPU; load average {load:.1f} on {os.cpu_count()} CPUs; site {size / 1e6:.1f} MB"
        )
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

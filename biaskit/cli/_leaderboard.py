"""``biaskit leaderboard``: build the leaderboard site from a results folder.

Every run directory is validated; a broken or unfinished run is listed as skipped with its reason.
With ``--check`` the command exits 1 when any run was skipped (CI uses it on the committed runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="build leaderboard.md/.csv/.json and a static site from results/", description=__doc__)
    p.add_argument("results_dir", nargs="?", default="results", help="folder of run directories (default: results)")
    p.add_argument("--out", default="site", help="output folder (default: site)")
    p.add_argument("--check", action="store_true", help="exit 1 if any run does not validate")
    p.add_argument("--png", action="store_true", help="also write PNG plots for every run (slower)")
    p.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=["lm-eval"],
        default=[],
        help="also write this format: lm-eval (OUT/lm-eval/<run>.json, lm-evaluation-harness' results shape)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from biaskit.results.leaderboard import build_leaderboard

    start = time.perf_counter()
    collection = build_leaderboard(Path(args.results_dir), Path(args.out), with_png=args.png)
    if "lm-eval" in args.formats:
        from biaskit.results.leaderboard.lmeval import write_lmeval

        write_lmeval(collection, Path(args.out))
    seconds = time.perf_counter() - start
    print(
        f"leaderboard: {len(collection.rows)} rows from {len(collection.runs)} runs, "
        f"{len(collection.skipped)} skipped; wrote {Path(args.out) / 'index.html'} ({seconds:.1f} s)"
    )
    for skipped in collection.skipped:
        print(f"skipped {skipped.name}: {skipped.reason}", file=sys.stderr)
    if args.check and collection.skipped:
        print(f"biaskit: error: {len(collection.skipped)} run(s) in {args.results_dir} do not validate", file=sys.stderr)
        return 1
    return 0

"""``biaskit compare RUN_A RUN_B``: per-category differences (B - A) with paired bootstrap intervals.

Responses (CLEAR-Bias) or occupations (NBLS) are matched by key, so both runs must cover the same
prompts; the table is printed with where the runs are and what to run next, and with ``--json FILE``
the table alone is printed and every figure written to FILE as JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from biaskit.cli._summary import compare_footer
from biaskit.errors import BiaskitError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two runs per category with paired bootstrap intervals", description=__doc__)
    p.add_argument("run_a", help="the reference run directory (A)")
    p.add_argument("run_b", help="the run compared with it (B)")
    p.add_argument("--json", dest="json_path", help="also write the comparison to this JSON file")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from biaskit.results.leaderboard import compare_runs

    if args.n_boot < 1:
        raise BiaskitError(f"--n-boot must be at least 1, got {args.n_boot}")
    comparison = compare_runs(Path(args.run_a), Path(args.run_b), n_boot=args.n_boot, seed=args.seed)
    print(comparison.table(), end="")
    if not args.json_path:
        print(compare_footer(args.run_a, args.run_b))
    if args.json_path:
        try:
            Path(args.json_path).write_text(comparison.to_json(), encoding="utf-8")
        except OSError as exc:
            raise BiaskitError(f"cannot write --json {args.json_path}: {exc.strerror or exc}") from exc
    return 0

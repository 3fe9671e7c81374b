"""``biaskit report RUN_DIR``: one run's page (index.html) with its PNG plots."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the HTML page and PNG plots of one run", description=__doc__)
    p.add_argument("run_dir", help="a run directory, e.g. results/<run_id>")
    p.add_argument("--out", help="output folder (default: RUN_DIR/report)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from biaskit.results.leaderboard import write_report

    page = write_report(Path(args.run_dir), Path(args.out) if args.out else None)
    print(f"report: wrote {page}")
    return 0

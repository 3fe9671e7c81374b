"""``biaskit models``: the offline model aliases and where each is cached."""

from __future__ import annotations

import argparse

from biaskit.engines.models import list_aliases


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list model aliases and their cache locations", description=__doc__)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    for row in list_aliases():
        print(f"{row['alias']:<14} {row['description']}")
        print(f"{'':<14} package: {row['package']}")
        print(f"{'':<14} cache:   {row['cache']}")
    return 0

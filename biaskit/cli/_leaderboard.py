"""``biaskit leaderboard``: not built yet (issue 6: leaderboards)."""

from __future__ import annotations

import argparse

from biaskit.cli._common import not_built


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="(not built yet) issue 6: leaderboards", description=__doc__)
    p.set_defaults(handler=lambda args: not_built("biaskit leaderboard", "issue 6: leaderboards"))

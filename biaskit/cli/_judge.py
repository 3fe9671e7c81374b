"""``biaskit judge``: not built yet (issue 3: CLEAR-Bias judges)."""

from __future__ import annotations

import argparse

from biaskit.cli._common import not_built


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="(not built yet) issue 3: CLEAR-Bias judges", description=__doc__)
    p.set_defaults(handler=lambda args: not_built("biaskit judge", "issue 3: CLEAR-Bias judges"))

"""``biaskit debias``: not built yet (issue 5: constitution-guided debiasing)."""

from __future__ import annotations

import argparse

from biaskit.cli._common import not_built


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("debias", help="(not built yet) issue 5: constitution-guided debiasing", description=__doc__)
    p.set_defaults(handler=lambda args: not_built("biaskit debias", "issue 5: constitution-guided debiasing"))

"""The ``biaskit`` command: a thin layer that parses options and calls the library.

Every subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
A :class:`~biaskit.errors.BiaskitError` is printed as one line (``biaskit: error: ...``) with exit
status 2; a run left incomplete (answers that never came after every retry) exits 75, and an
interrupted run 130: both are resumed by running the same command again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from biaskit._secrets import mask_secrets
from biaskit.cli._common import silence_libraries
from biaskit.cli._stdout import stdout_for_biaskit_only
from biaskit.errors import BiaskitError

SUBCOMMANDS = ("eval", "judge", "audit", "debias", "leaderboard", "report", "compare", "models", "import-inspect")


def build_parser() -> argparse.ArgumentParser:
    from biaskit._version import __version__
    from biaskit.cli import _audit, _compare, _debias, _eval, _import_inspect, _judge, _leaderboard, _models, _report

    parser = argparse.ArgumentParser(
        prog="biaskit",
        description="Measure social bias in language models (CLEAR-Bias, U.S. labor statistics) and debias them at inference time.",
    )
    parser.add_argument("--version", action="version", version=f"biaskit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (_eval, _judge, _audit, _debias, _leaderboard, _report, _compare, _models, _import_inspect):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    if not getattr(args, "verbose", False):
        silence_libraries()  # before any library loads: some log or warn as they do
    try:
        with stdout_for_biaskit_only():
            return handler(args)
    except BiaskitError as exc:
        print(f"biaskit: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("biaskit: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: one line, traceback only on request
        if os.environ.get("BIASKIT_DEBUG"):
            raise
        print(f"biaskit: error: {type(exc).__name__}: {_one_line(exc)} (set BIASKIT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException, limit: int = 2000) -> str:
    """An error message as one line of bounded length (a backstop: messages cut the values they
    quote), with any API key in it masked."""
    text = " ".join(mask_secrets(str(exc)).split())
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


if __name__ == "__main__":
    sys.exit(main())

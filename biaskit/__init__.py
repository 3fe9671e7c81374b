"""biaskit: measure social bias in language models and remove it at inference time.

The Python API (``evaluate``, ``open_run``, ``Run``, ``judge``, ``calibrate``, ``leaderboard``;
see :mod:`biaskit.api`) is imported on first use, so ``import biaskit`` stays cheap.
"""

from typing import TYPE_CHECKING, Any

from biaskit._version import __version__
from biaskit.errors import BiaskitError

if TYPE_CHECKING:
    from biaskit.api import Run, calibrate, evaluate, judge, leaderboard, open_run

_API = ("Run", "calibrate", "evaluate", "judge", "leaderboard", "open_run")
__all__ = ["BiaskitError", "Run", "__version__", "calibrate", "evaluate", "judge", "leaderboard", "open_run"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from biaskit import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = ["BiaskitError", "Run", "__version__", "calibrate", "evaluate", "judge", "leaderboard", "open_run"]

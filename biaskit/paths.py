"""Where biaskit finds its data folders (prompts/, judges/) and its cache."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the shipped data folder ``name`` ("prompts" or "judges").

    An installed wheel carries them under ``biaskit/_data/``; a source checkout (editable install)
    has them at the repository root.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"biaskit data folder {name!r} not found next to {_PACKAGE}")


def cache_dir() -> Path:
    """biaskit's cache (converted models): $BIASKIT_CACHE, else $XDG_CACHE_HOME/biaskit, else ~/.cache/biaskit."""
    if os.environ.get("BIASKIT_CACHE"):
        return Path(os.environ["BIASKIT_CACHE"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser()
    return base / "biaskit"

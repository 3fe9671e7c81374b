"""Constitutions: the principles the verifier is prompted with, as plain text files.

A constitution is named by a file in ``prompts/constitutions/`` (``india_articles_14_17``,
``anti_discrimination``) or given as a path to the user's own Markdown/text file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biaskit.errors import ConfigError, DataError
from biaskit.paths import data_dir

DEFAULT_CONSTITUTION = "india_articles_14_17"


@dataclass(frozen=True)
class Constitution:
    """A named set of principles; ``text`` becomes the verifier's system prompt."""

    name: str
    text: str
    source: str  # the file it was read from


def shipped_constitutions() -> list[str]:
    """Names of the constitutions that ship with biaskit."""
    return sorted(p.stem for p in (data_dir("prompts") / "constitutions").glob("*.md"))


def load_constitution(name_or_path: str | Path = DEFAULT_CONSTITUTION) -> Constitution:
    """Load a shipped constitution by name, or a user's file by path.

    Raises ConfigError for an unknown name and DataError for a file that cannot be read or is empty.
    """
    spec = str(name_or_path)
    shipped = data_dir("prompts") / "constitutions" / f"{spec}.md"
    looks_like_path = any(sep in spec for sep in ("/", "\\")) or Path(spec).suffix in {".md", ".txt"}
    if not looks_like_path and not shipped.is_file():
        known = ", ".join(shipped_constitutions())
        raise ConfigError(f"unknown constitution {spec!r}: expected one of {known} or a path to a text file")
    path = shipped if shipped.is_file() else Path(spec).expanduser()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise DataError(f"constitution file {str(path)!r} cannot be read: {reason}") from exc
    if not text:
        raise DataError(f"constitution file {str(path)!r} is empty")
    return Constitution(name=path.stem, text=text, source=str(path))

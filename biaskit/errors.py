"""The one error type users see: a message they can act on, printed as one line by the CLI."""

from __future__ import annotations

from typing import Any


class BiaskitError(Exception):
    """A problem with the user's input or environment (bad option, missing file, unreachable server).

    The message names what is wrong (file, row, option) and what is expected; the CLI prints it
    as a single line and exits with ``exit_code``, without a traceback.
    """

    exit_code = 2


class ConfigError(BiaskitError):
    """An option or configuration value is invalid."""


class DataError(BiaskitError):
    """A data file is missing, unreadable or malformed."""


class EngineError(BiaskitError):
    """A model or serving endpoint could not be loaded or reached."""


class AuthenticationFailed(EngineError):
    """A server refused the API key (HTTP 401 or 403): permanent, so never retried nor resumed as
    incomplete; the message names the environment variable to fix."""


class MissingAnswers(EngineError):
    """Some requests of a batch got no answer after every retry; the others were answered.

    ``answered`` maps the index of each answered request to its completions, so a caller keeps
    what was already paid for; ``missing`` lists the indices of the requests without an answer and
    ``cause`` says why the first of them got none. ``records`` are what a stage made of the
    answered ones (judgments, say) when it could not yield them one by one; they are kept too.
    """

    def __init__(self, message: str, missing: list[int], answered: dict[int, Any] | None = None, cause: str = "",
                 records: list[Any] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.missing = missing
        self.answered = answered or {}
        self.cause = cause or message
        self.records = records or []


class IncompleteStage(BiaskitError):
    """A stage ended with records missing (answers that never came); what was produced is kept.

    ``counts`` are the stage's counts (reused, generated, missing) for the manifest. The run can be
    resumed: running the same command again produces only the missing records. The CLI exits 75
    (``EX_TEMPFAIL``: a temporary failure, try again).
    """

    exit_code = 75

    def __init__(self, message: str, stage: str, counts: dict[str, int]) -> None:
        super().__init__(message)
        self.stage = stage
        self.counts = counts


def shorten(value: object, limit: int = 80, quote: bool = True) -> str:
    """``repr(value)`` (``quote=False``: a string as it is) cut to about ``limit`` characters, for
    quoting a bad value in a message.

    A message quotes what it rejects, but a 20 MB field must not make a 20 MB error line: the
    middle of a long value is replaced by ``...`` and its length.
    """
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        text, whole = _bounded_repr(value, 4 * limit)
        if not whole:  # the repr was never built in full (an alias bomb expands to gigabytes)
            return f"{text[: max(limit - 30, 10)]}... (cut)"
    else:
        text = value if isinstance(value, str) and not quote else repr(value)
    if len(text) <= limit:
        return text
    keep = max(limit - 30, 10)
    return f"{text[: keep * 2 // 3]}...{text[-(keep // 3) :]} ({len(text):,} characters)"


def _bounded_repr(value: object, budget: int) -> tuple[str, bool]:
    """``repr(value)`` built only up to about ``budget`` characters; whether it is whole."""
    parts: list[str] = []
    used = 0

    def emit(text: str) -> bool:
        nonlocal used
        parts.append(text)
        used += len(text)
        return used <= budget

    def walk(item: object) -> bool:
        if isinstance(item, dict):
            if not emit("{"):
                return False
            for i, (key, child) in enumerate(item.items()):
                if (i and not emit(", ")) or not walk(key) or not emit(": ") or not walk(child):
                    return False
            return emit("}")
        if isinstance(item, (list, tuple, set, frozenset)) and type(item) in (list, tuple, set, frozenset):
            if not item:
                return emit(repr(item))
            opening, closing = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})")}[type(item)]
            if not emit(opening):
                return False
            for i, child in enumerate(item):
                if (i and not emit(", ")) or not walk(child):
                    return False
            return emit("," + closing if type(item) is tuple and len(item) == 1 else closing)
        if isinstance(item, str) and len(item) > budget:
            emit(repr(item[:budget]))
            return False
        return emit(repr(item))

    whole = walk(value)
    return "".join(parts), whole

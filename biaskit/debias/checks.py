"""Checks of a ``--debias`` file's values, run before any work.

Types and ranges are checked by the config model; the checks here are the ones a type cannot
express: that a rule is known, that a constitution can be read, that a model can be found. They
are a table, one entry per key, so a new setting gets its check by adding one line; each check
returns what is wrong (None: fine) and :func:`check_debias_values` turns the first problem into
one error line naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from biaskit.errors import BiaskitError, ConfigError

Check = Callable[[Any], "str | None"]


def _rule(value: Any) -> str | None:
    from biaskit.debias.rules import RULES

    return None if value in RULES else f"{value!r} is not a selection rule; expected one of {', '.join(RULES)}"


def _constitution(value: Any) -> str | None:
    from biaskit.debias.constitution import load_constitution

    return _problem(lambda: load_constitution(value))


def _model(value: Any) -> str | None:
    from biaskit.engines.models import check_model

    return None if value is None else _problem(lambda: check_model(value))


def _problem(call: Callable[[], object]) -> str | None:
    try:
        call()
    except BiaskitError as exc:
        return str(exc)
    return None


# key -> check of its value; keys without an entry are checked by their type and range only
CHECKS: dict[str, Check] = {
    "rule": _rule,
    "constitution": _constitution,
    "verifier": _model,
    "draft": _model,
}


def check_debias_values(values: Mapping[str, Any], source: str) -> None:
    """Raise :class:`ConfigError` ``--debias SOURCE: KEY: problem`` for the first value that fails
    its check in :data:`CHECKS`, in the order of the keys there."""
    for key, check in CHECKS.items():
        if key in values:
            problem = check(values[key])
            if problem:
                raise ConfigError(f"--debias {source}: {key}: {problem}")

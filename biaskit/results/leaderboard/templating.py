"""Rendering the site's HTML from jinja2 templates (``templates/*.html.j2``) with autoescape on.

Every value a run contributes (model names, responses, labels, categories) is untrusted: with
autoescape it is escaped wherever a template prints it, so escaping is the default rather than a
habit. Markup made in Python (the SVG charts, warning marks) enters a template only as
:class:`markupsafe.Markup`, which says that it was escaped where it was made.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["Markup", "cell", "render"]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("biaskit.results.leaderboard", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name is an error, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["repr"] = repr
    return env


def render(template: str, **context: Any) -> Markup:
    """``templates/<template>`` filled with ``context``; the result is markup, safe to nest."""
    return Markup(_environment().get_template(template).render(**context))


def cell(macro: str, *args: Any) -> Markup:
    """One macro of ``templates/cells.html.j2`` (``num_cell``, ``label``) called from Python."""
    return Markup(getattr(_environment().get_template("cells.html.j2").module, macro)(*args))

"""Which option of a CLEAR-Bias prompt is the stereotype and which the counter-stereotype.

The STEREOTYPE / COUNTER-STEREOTYPE columns do not always repeat the option text of the prompt
word for word ("The Latino person" vs "(B): The Latino friend", "MUSLIMS" vs "MUSLIM"), so the
columns are mapped onto the options parsed from the prompt: first exactly, then after
normalisation (case, punctuation, articles, plural s), then by the closest fuzzy match.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from biaskit.errors import DataError

# "(A): The Black friend (B): The Japanese friend", also "(a)"/"(а)" in translated prompts
_CTO_OPTIONS = re.compile(r"\(\s*([AaАа])\s*\)\s*:?\s*(.+?)\s*\(\s*([BbБб8])\s*\)\s*:?\s*(.+?)\s*['\".]*\s*$", re.S)
# "options: BLACK/WHITE." (the rest of the sentence follows the first full stop)
_SC_OPTIONS = re.compile(r"options?\s*:\s*([^/\n]+?)\s*/\s*([^\n]+?)\s*\.\s", re.I | re.S)
_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_ARTICLES = {"the", "a", "an"}
FUZZY_MIN = 0.6  # below this similarity a column is reported as unmappable, not guessed


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: the text answers are compared in."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _core(text: str) -> str:
    """Normalised text without articles and plural s: "The Muslims" and "MUSLIM" compare equal."""
    words = [w for w in normalise(text).split() if w not in _ARTICLES]
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


class OptionMap(BaseModel):
    """The two options of a prompt in prompt order and which one is the stereotype.

    ``letters`` are "A"/"B" for CTO and empty for SC (answers name SC options by their words).
    ``how`` says how the columns were matched: exact, normalised or fuzzy (fuzzy ones are reported).
    """

    model_config = ConfigDict(frozen=True)
    options: tuple[str, str]
    letters: tuple[str, ...] = ()
    stereotype_index: int
    how: Literal["exact", "normalised", "fuzzy"]

    @property
    def counter_index(self) -> int:
        return 1 - self.stereotype_index

    @property
    def stereotype_option(self) -> str:
        return self.options[self.stereotype_index]

    @property
    def counter_option(self) -> str:
        return self.options[self.counter_index]


def parse_options(prompt: str, task: str) -> tuple[str, str] | None:
    """The two option texts of a prompt, or None when the prompt does not show them plainly."""
    if task == "CTO":
        match = _CTO_OPTIONS.search(prompt)
        if match:
            return match.group(2).strip(), match.group(4).strip()
        return None
    match = _SC_OPTIONS.search(prompt + " ")
    if match:
        return match.group(1).strip(), match.group(2).strip()
    return None


def map_options(prompt: str, task: str, stereotype: str, counter: str, where: str = "") -> OptionMap:
    """Map the stereotype/counter-stereotype columns onto the prompt's options.

    Raises DataError naming ``where`` (file and row) when the prompt shows no options or the
    columns cannot be told apart.
    """
    options = parse_options(prompt, task)
    if options is None:
        raise DataError(f"{where}: cannot find the two options in the {task} prompt {prompt[:80]!r}")
    letters = ("A", "B") if task == "CTO" else ()
    matchers: tuple[tuple[Literal["exact", "normalised"], Callable[[str], str]], ...] = (
        ("exact", str.strip),
        ("normalised", normalise),
        ("normalised", _core),
    )
    for how, key in matchers:
        opts = [key(o) for o in options]
        s_hit, c_hit = key(stereotype) in opts, key(counter) in opts
        if s_hit and c_hit and opts.index(key(stereotype)) != opts.index(key(counter)):
            return OptionMap(options=options, letters=letters, stereotype_index=opts.index(key(stereotype)), how=how)
        if s_hit and not c_hit:
            return OptionMap(options=options, letters=letters, stereotype_index=opts.index(key(stereotype)), how=how)
        if c_hit and not s_hit:
            return OptionMap(options=options, letters=letters, stereotype_index=1 - opts.index(key(counter)), how=how)
    # fuzzy: the assignment (stereotype->option i, counter->other) with the higher total similarity
    sim = [[difflib.SequenceMatcher(None, _core(col), _core(opt)).ratio() for opt in options] for col in (stereotype, counter)]
    straight, crossed = sim[0][0] + sim[1][1], sim[0][1] + sim[1][0]
    index = 0 if straight >= crossed else 1
    best = max(straight, crossed) / 2
    if best < FUZZY_MIN or abs(straight - crossed) < 0.05:
        raise DataError(
            f"{where}: cannot map STEREOTYPE {stereotype!r} / COUNTER-STEREOTYPE {counter!r} "
            f"onto the prompt's options {options[0]!r} / {options[1]!r}"
        )
    return OptionMap(options=options, letters=letters, stereotype_index=index, how="fuzzy")

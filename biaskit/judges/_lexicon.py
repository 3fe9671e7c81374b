"""Options of machine-translation prompts as speakers of the prompt's language write them.

The data is ``judges/identity-terms.yaml`` (its header says why and how it was made). An English
option is translated word by word: role words are left out, each identity word is replaced by one
of its forms in the language, and a word the lexicon lacks (a first name) stays as it is. Options
that are one identity phrase ("white man") also get the phrase's single-word forms ("belec").
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

import yaml

from biaskit.paths import data_dir

MAX_SPELLINGS = 64  # per option and language: products of word forms are capped


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    path = data_dir("judges") / "identity-terms.yaml"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def prompt_language(prompt: str) -> str | None:
    """The machine-translation language of a CLEAR-Bias prompt: Macedonian (Cyrillic), Slovene
    (č, š, ž) or Scottish Gaelic (grave accents); None when the script does not tell."""
    if re.search(r"[\u0400-\u04ff]", prompt):
        return "mk"
    if re.search(r"[čšžČŠŽ]", prompt):
        return "sl"
    if re.search(r"[àèìòùÀÈÌÒÙ]", prompt):
        return "gd"
    return None


def _option_words(option: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", option.lower().strip(" .,:;!?\"'()")) if w]


@lru_cache(maxsize=4096)
def translated(option: str, language: str) -> tuple[str, ...]:
    """Spellings of the English ``option`` in ``language`` ("sl", "mk", "gd"), as plain strings."""
    lexicon = _lexicon()
    role = set(lexicon.get("role_words", []))
    content = [w for w in _option_words(option) if w not in role]
    if not content:
        return ()
    choices = []
    for word in content:
        forms = lexicon["words"].get(word, {}).get(language)
        choices.append(forms if forms else [word])
    if all(len(c) == 1 and c[0] == w for c, w in zip(choices, content)):
        return ()  # nothing translated: the English spelling already covers it
    found = [" ".join(combo) for combo in itertools.islice(itertools.product(*choices), MAX_SPELLINGS)]
    found += lexicon.get("phrases", {}).get(" ".join(content), {}).get(language, [])
    return tuple(dict.fromkeys(found))

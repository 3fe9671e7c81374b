"""Counterfactual prompts: the same prompt with its identity terms swapped ("Dalit" <-> "Brahmin").

The fairness term of the selection rules compares the verifier's predictions under the prompt and
under its counterfactual. Swap lists live in ``prompts/swaps/<axis>.yaml``: each pair is swapped
both ways, whole words only, keeping the case pattern of the matched word. A prompt in which no
term is found has no counterfactual; callers count and report it instead of decoding as if the
fairness term were informative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from biaskit.errors import DataError
from biaskit.paths import data_dir

DEFAULT_AXES = ("religion", "caste", "gender", "ethnicity")


@dataclass(frozen=True)
class Counterfactual:
    """A prompt, its counterfactual (None when no identity term was found) and what was swapped."""

    prompt: str
    counterfactual: str | None
    swaps: tuple[tuple[str, str], ...] = ()  # (found, replacement) in order of appearance

    @property
    def found(self) -> bool:
        return self.counterfactual is not None


@dataclass
class SwapList:
    """Identity terms of one or more axes, compiled into one whole-word regular expression."""

    mapping: dict[str, str] = field(default_factory=dict)  # lower-case term -> replacement as written
    axes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Longest terms first, so multi-word terms ("upper caste") win over their parts.
        terms = sorted(self.mapping, key=len, reverse=True)
        pattern = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms) or r"(?!x)x"
        self._regex = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)

    def swap(self, prompt: str) -> Counterfactual:
        """Swap every identity term in ``prompt`` with its partner."""
        done: list[tuple[str, str]] = []

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            key = re.sub(r"\s+", " ", found.lower())
            new = _match_case(found, self.mapping[key])
            done.append((found, new))
            return new

        swapped = self._regex.sub(replace, prompt)
        return Counterfactual(prompt, swapped if done else None, tuple(done))


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    if template.islower():
        return word[:1].lower() + word[1:] if not word[1:2].isupper() else word
    return word


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"swap list {str(path)!r} cannot be read: {exc}".splitlines()[0]) from exc
    pairs = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(pairs, list):
        raise DataError(f"swap list {str(path)!r}: expected a mapping with a 'pairs' list")
    out = []
    for row, pair in enumerate(pairs, 1):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) and t.strip() for t in pair)):
            raise DataError(f"swap list {str(path)!r}, pair {row}: expected two non-empty terms, got {pair!r}")
        out.append((pair[0].strip(), pair[1].strip()))
    return out


def load_swaps(axes: Sequence[str] = DEFAULT_AXES, extra_files: Iterable[str | Path] = ()) -> SwapList:
    """The swap list of the shipped ``axes`` plus any user files (same YAML layout)."""
    folder = data_dir("prompts") / "swaps"
    files = []
    for axis in axes:
        path = folder / f"{axis}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
            raise DataError(f"no swap list for axis {axis!r}: expected one of {known}")
        files.append(path)
    files += [Path(f).expanduser() for f in extra_files]
    mapping: dict[str, str] = {}
    for path in files:
        for a, b in _read_pairs(path):
            # The first pair naming a term decides its partner ("her" -> "him", not also "his").
            mapping.setdefault(a.lower(), b)
            mapping.setdefault(b.lower(), a)
    return SwapList(mapping=mapping, axes=tuple(axes))


def build_counterfactuals(prompts: Sequence[str], swaps: SwapList | None = None) -> list[Counterfactual]:
    """The counterfactual of each prompt, in order."""
    swaps = swaps or load_swaps()
    return [swaps.swap(p) for p in prompts]

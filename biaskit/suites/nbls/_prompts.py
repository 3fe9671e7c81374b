"""Prompt items of the NBLS suite, built from ``prompts/nbls/templates.yaml`` and a BLS table.

One item asks one question (task, attribute, shots, option order) about one occupation. Its
``answers`` are the competing continuations whose probabilities (or sampled frequencies) give the
model's share of women, or of each race group, for that occupation.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from biaskit.engines._types import ChatRequest, Message
from biaskit.errors import ConfigError, DataError
from biaskit.paths import data_dir
from biaskit.suites._types import PromptItem
from biaskit.suites.nbls._table import RACE_GROUPS, BLSTable, Occupation

Attribute = Literal["gender", "race"]
ATTRIBUTES: tuple[Attribute, ...] = ("gender", "race")
TASKS = ("sc", "mc", "ooo")  # sentence completion, multiple choice, odd-one-out
SHOTS = ("zero", "few")
DEFAULT_GROUND_K = 32


class Answer(BaseModel):
    """A competing continuation and what choosing it means (woman/man/neither or a race group)."""

    model_config = ConfigDict(frozen=True)

    text: str
    label: str


class NblsItem(PromptItem):
    """One question about one occupation. ``ground_k`` > 0: asked with that many BLS facts."""

    occupation: str
    attribute: Attribute
    task: str
    shots: str
    order: int
    ground_k: int = 0
    assistant_prefix: str
    few_shot: tuple[tuple[str, str], ...] = ()
    answers: tuple[Answer, ...]

    def request(self) -> ChatRequest:
        turns = [Message(role="system", content=self.system)] if self.system else []
        for user, assistant in self.few_shot:
            turns += [Message(role="user", content=user), Message(role="assistant", content=assistant)]
        turns.append(Message(role="user", content=self.prompt))
        return ChatRequest(messages=tuple(turns), assistant_prefix=self.assistant_prefix)

    def meta(self) -> dict[str, Any]:
        return self.model_dump(include={"id", "occupation", "attribute", "task", "shots", "order", "ground_k"})


def templates_path() -> Path:
    return data_dir("prompts") / "nbls" / "templates.yaml"


@lru_cache(maxsize=4)
def load_templates(path: Path | None = None) -> dict[str, Any]:
    path = path or templates_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"NBLS templates {path}: cannot read ({exc})") from exc
    for attribute in ATTRIBUTES:
        if not isinstance(data.get(attribute), dict):
            raise DataError(f"NBLS templates {path}: missing the '{attribute}' section")
    return data


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def select_occupations(table: BLSTable, patterns: Sequence[str] = (), limit: int | None = None) -> list[Occupation]:
    """Occupations whose title contains any of ``patterns`` (case-insensitive); the first ``limit`` of them."""
    chosen = list(table.occupations)
    if patterns:
        lowered = [p.lower() for p in patterns]
        chosen = [o for o in chosen if any(p in o.title.lower() for p in lowered)]
        if not chosen:
            # `--occupations 10` is a common slip for "ten occupations"
            hint = "; to run N occupations use --limit N" if all(p.strip().isdigit() for p in patterns) else ""
            raise ConfigError(
                f"--occupations {','.join(patterns)}: matches no detailed occupation with a published share in {table.source}"
                f" (expected substrings of occupation titles, e.g. nurse,software{hint})"
            )
    return chosen[:limit] if limit else chosen


def _letters(options: list[dict[str, str]], order: Sequence[int]) -> tuple[str, tuple[Answer, ...]]:
    lines, answers = [], []
    for letter, index in zip(string.ascii_uppercase, order):
        lines.append(f"{letter}) {options[index]['text']}")
        answers.append(Answer(text=f" {letter}", label=options[index]["label"]))
    return "\n".join(lines), tuple(answers)


def _variants(spec: dict[str, Any], occupation: str) -> list[tuple[int, str, tuple[Answer, ...]]]:
    """(order, user text, answers) for each option order of a task (one for sentence completion)."""
    if "answers" in spec:
        answers = tuple(Answer(**a) for a in spec["answers"])
        return [(0, spec["user"].format(occupation=occupation), answers)]
    out = []
    for number, order in enumerate(spec["orders"]):
        listing, answers = _letters(spec["options"], order)
        out.append((number, spec["user"].format(occupation=occupation, options=listing), answers))
    return out


def build_items(
    occupations: Sequence[Occupation],
    attributes: Sequence[str] = ATTRIBUTES,
    tasks: Sequence[str] = TASKS,
    shots: Sequence[str] = ("zero",),
    facts: dict[tuple[str, str], str] | None = None,
    ground_k: int = 0,
) -> list[NblsItem]:
    """Items for each occupation x attribute x task x shots x option order.

    Race items are made only for occupations with race shares. With ``ground_k`` > 0, ``facts`` maps
    (occupation, attribute) to its grounding system message (see :func:`grounding_messages`).
    """
    data = load_templates()
    _check(attributes, ATTRIBUTES, "--nbls-attributes")
    _check(tasks, TASKS, "--nbls-tasks")
    _check(shots, SHOTS, "--nbls-shots")
    items: list[NblsItem] = []
    for occ in occupations:
        for attribute in attributes:
            if attribute == "race" and occ.race is None:
                continue
            for task in tasks:
                spec = data[attribute].get(task)
                if spec is None:
                    continue  # e.g. odd-one-out is asked for gender only
                for shot in shots:
                    few = tuple((t["user"], t["assistant"]) for t in spec.get("few_shot", ())) if shot == "few" else ()
                    for order, user, answers in _variants(spec, occ.title):
                        prefix = "" if not ground_k else f"g{ground_k}-"
                        items.append(
                            NblsItem(
                                id=f"{prefix}{attribute}-{task}-{shot}-o{order}-{slug(occ.title)}",
                                prompt=user,
                                system=facts[(occ.title, attribute)] if ground_k and facts else None,
                                occupation=occ.title,
                                attribute=attribute,  # type: ignore[arg-type]
                                task=task,
                                shots=shot,
                                order=order,
                                ground_k=ground_k,
                                assistant_prefix=spec["assistant_prefix"].format(occupation=occ.title),
                                few_shot=few,
                                answers=answers,
                            )
                        )
    return items


def _check(values: Sequence[str], allowed: Sequence[str], option: str) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown or not values:
        raise ConfigError(f"{option}: {unknown[0] if unknown else 'empty'!r} is not valid; expected some of {', '.join(allowed)}")


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def grounding_messages(
    table: BLSTable, asked: Sequence[Occupation], k: int, attributes: Sequence[str] = ATTRIBUTES, seed: int = 0
) -> dict[tuple[str, str], str]:
    """For each asked occupation and attribute, a system message with ``k`` BLS facts about *other* occupations.

    One seeded draw of k + 1 facts serves every question: each occupation gets the first k of them
    that are not about itself. Every question thus sees (nearly) the same facts, which keeps the
    grounded condition one treatment rather than 366 different ones, and lets engines with prefix
    caching reuse the shared facts. Gender questions get gender facts, race questions race facts.
    """
    spec = load_templates()["grounding"]
    messages: dict[tuple[str, str], str] = {}
    for attribute in attributes:
        pool = [o for o in table.occupations if attribute == "gender" or o.race is not None]
        if k < 1 or k > len(pool) - 1:
            raise ConfigError(
                f"--ground {k}: must be between 1 and {len(pool) - 1}, the {attribute} facts available besides the asked occupation in {table.source}"
            )
        drawn = random.Random(f"{seed}:{attribute}").sample(pool, k + 1)
        for occ in asked:
            if attribute == "race" and occ.race is None:
                continue
            facts = [o for o in drawn if o.title != occ.title][:k]
            lines = [spec["intro"].format(year=table.year or "recent")]
            for other in facts:
                name = other.title.lower()
                if attribute == "gender":
                    lines.append("- " + spec["gender_fact"].format(occupation=name, pct_women=_fmt(other.pct_women)))
                else:
                    shares = {g: _fmt(other.race[g]) for g in RACE_GROUPS}  # type: ignore[index]
                    lines.append("- " + spec["race_fact"].format(occupation=name, **shares))
            lines.append(spec["closing"])
            messages[(occ.title, attribute)] = "\n".join(lines)
    return messages

"""Typed records of the judging stage: what a judge reads and what it decides."""

from __future__ import annotations

from typing import Literal, Protocol, Sequence, runtime_checkable

from pydantic import BaseModel, ConfigDict

LABELS = ("S", "CS", "D", "R")
RECHECK_LABELS = ("R", "M")
UNPARSED = "unparsed"
Label = Literal["S", "CS", "D", "R", "M", "unparsed"]
Path = Literal["deterministic", "llm", "trained", "commitment"]


class JudgeInput(BaseModel):
    """One answer to judge, with what a judge needs to know about its prompt.

    ``options`` are the prompt's two options in prompt order (English base text) and
    ``stereotype_index`` says which one is the stereotype; ``aliases`` are further spellings of the
    stereotype and counter-stereotype options (the translated or obfuscated columns of an attack).
    """

    model_config = ConfigDict(frozen=True)
    key: str
    task: Literal["CTO", "SC"]
    prompt: str
    response: str
    options: tuple[str, ...] = ()
    stereotype_index: int | None = None
    aliases: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    category: str = ""
    attack: str = "base"

    @property
    def has_options(self) -> bool:
        return len(self.options) == 2 and self.stereotype_index in (0, 1)


class Judgment(BaseModel):
    """A judge's decision on one answer.

    ``path`` says who decided: the deterministic rules, the LLM or the trained judge (whose ``raw``
    holds its label probabilities as JSON). ``raw`` is the LLM's output (the
    retry's when there was one), or the label read from log-probabilities followed by them as JSON
    (``[[S]] {"read": "top-20", "logprobs": {...}}``), or, for the rules, a short reason.
    ``retried`` is true when the first LLM output could not be parsed and a stricter prompt was sent.
    ``confidence`` is the judge's probability for its label where it has one (the trained judge's
    head; for an explicit pick found by ``biaskit.judges.commitment``, that stage's measured
    precision), None otherwise.
    """

    key: str
    label: Label
    path: Path
    raw: str = ""
    retried: bool = False
    confidence: float | None = None

    def record(self) -> dict[str, object]:
        return self.model_dump()


@runtime_checkable
class Judge(Protocol):
    """Labels a batch of answers S/CS/D/R (or ``unparsed``; the rules also give M to answers that
    only repeat the prompt), in input order."""

    name: str

    def judge(self, inputs: Sequence[JudgeInput]) -> list[Judgment]: ...

    def close(self) -> None: ...

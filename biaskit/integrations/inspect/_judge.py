"""Which biaskit judge labels an inspect run: a biaskit spec, or the ``grader`` role's model.

Without a grader role the judge is ``make_judge(spec)`` (default: ``trained``, offline). With
``--model-role grader=MODEL`` the part of the judge that needs an LLM goes through that model:
``hybrid`` (the default then: the rules where they are certain, the grader for the rest) or
``llm`` (the grader alone), with biaskit's prompts, retry and parsing (``read=generate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspect_ai.model import Model

from biaskit.errors import ConfigError
from biaskit.integrations.inspect._grader import GraderEngine
from biaskit.judges import DEFAULT_JUDGE, HybridJudge, LLMJudge, make_judge, parse_spec
from biaskit.judges._types import Judge

GRADER_ROLE = "grader"
GRADER_KINDS = ("hybrid", "llm")


@dataclass
class ChosenJudge:
    """A judge and what a run records about it: its spec (``grader_spec`` for one through the
    grader role; ``grader`` then names the model)."""

    judge: Judge
    spec: str
    grader: str | None = None
    thread_safe: bool = False  # the trained judge's encoder is one torch model: one call at a time


def grader_spec(kind: str, model: str, options: str = "") -> str:
    """The judge spec a run records for a judge through the grader: ``hybrid:llm=inspect-grader:MODEL``
    (it parses as a spec, so the run's files and leaderboard name the judge like any other)."""
    return (f"hybrid:llm=inspect-grader:{model}" if kind == "hybrid" else f"llm:inspect-grader:{model}") + options


def choose_judge(spec: str | None, grader: Model | None) -> ChosenJudge:
    """The judge for ``spec`` (None: the default) given the bound grader model, if any."""
    if grader is None:
        text = spec or DEFAULT_JUDGE
        return ChosenJudge(make_judge(text), text)
    text = spec or "hybrid"
    kind = text.split(",")[0].strip().lower()
    if kind not in GRADER_KINDS:
        raise ConfigError(f"inspect task argument judge={spec!r}: with a grader model role the judge is hybrid or llm "
                          "(its LLM is the grader); drop the grader role to use another biaskit judge")  # fmt: skip
    rules = parse_spec(text)  # only its options of the rules are kept: the LLM is the grader
    options = (",text_over_letter=on" if rules.text_over_letter else "") + (",misunderstood=on" if rules.misunderstood else "")
    recorded = parse_spec(grader_spec(kind, str(grader), options))
    llm = LLMJudge(GraderEngine(grader), name=f"llm:inspect-grader:{grader}", read="generate", prefix=False)
    judge: Any = llm
    if kind == "hybrid":
        judge = HybridJudge(llm, name=recorded.name, text_over_letter=recorded.text_over_letter, misunderstood=recorded.misunderstood)
    else:
        llm.name = recorded.name
    return ChosenJudge(judge, recorded.text, grader=str(grader), thread_safe=True)

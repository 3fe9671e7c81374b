"""Judges for CLEAR-Bias answers: S (stereotyped), CS (counter-stereotyped), D (debiased), R (refusal).

``make_judge(spec)`` builds one from a spec string (grammar in ``biaskit.judges.spec``):
``deterministic`` (option matching and refusal phrasing, abstains when unsure), ``trained`` (a
head trained on human-read labels over frozen SmolLM2-135M blocks, shipped, offline), ``llm:MODEL``
(any engine, our own prompt in ``judges/``) and ``hybrid`` (the default: rules where certain,
the trained judge, or with ``hybrid:llm=MODEL`` an LLM, for the rest). ``judge_responses`` and ``recheck_refusals`` work on stored response rows;
``calibrate`` measures a judge against the human control set.
"""

from __future__ import annotations

from biaskit.engines import Engine, load_engine
from biaskit.judges._types import LABELS, RECHECK_LABELS, UNPARSED, Judge, JudgeInput, Judgment
from biaskit.judges.calibrate import CalibrationReport, calibrate
from biaskit.judges.deterministic import DeterministicJudge
from biaskit.judges.hybrid import HybridJudge
from biaskit.judges.llm import LLMJudge
from biaskit.judges.parse import parse_label
from biaskit.judges.records import judge_responses, recheck_refusals
from biaskit.judges.spec import JudgeSpec, parse_spec
from biaskit.judges.trained import TrainedJudge

DEFAULT_JUDGE = "trained"


def make_judge(spec: str | JudgeSpec = DEFAULT_JUDGE, engine: Engine | None = None) -> DeterministicJudge | LLMJudge | HybridJudge | TrainedJudge:
    """The judge ``spec`` names. ``engine``, when given, is used instead of loading the spec's model
    (to share an already loaded engine); otherwise an LLM is loaded only when first needed."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "deterministic":
        return DeterministicJudge(text_over_letter=parsed.text_over_letter, misunderstood=parsed.misunderstood)
    if parsed.uses_trained:
        trained = TrainedJudge(parsed.head, name=parsed.name)
        if parsed.kind == "trained":
            return trained
        return HybridJudge(trained, name=parsed.name, text_over_letter=parsed.text_over_letter, misunderstood=parsed.misunderstood)
    config = parsed.engine
    assert config is not None

    def load() -> LLMJudge:
        name = f"llm:{config.model}" + (f",read={parsed.read}" if parsed.read else "")
        return LLMJudge(engine or load_engine(config), name=name, prefix=parsed.prefix, read=parsed.read)

    if parsed.kind == "llm":
        return load()
    return HybridJudge(load, name=parsed.name, text_over_letter=parsed.text_over_letter, misunderstood=parsed.misunderstood)


__all__ = [
    "CalibrationReport",
    "DEFAULT_JUDGE",
    "LABELS",
    "RECHECK_LABELS",
    "UNPARSED",
    "DeterministicJudge",
    "HybridJudge",
    "Judge",
    "JudgeInput",
    "JudgeSpec",
    "Judgment",
    "LLMJudge",
    "TrainedJudge",
    "calibrate",
    "judge_responses",
    "make_judge",
    "parse_label",
    "parse_spec",
    "recheck_refusals",
]

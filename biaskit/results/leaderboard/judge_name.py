"""One name per judge on every row and page.

A run records the judge spec as the user typed it (``hybrid``, ``hybrid:llm=vllm:smollm2-135m``)
and the name biaskit gave that judge (``hybrid:smollm2-135m``: its kind, its judge model and the
options that change labels; see :attr:`biaskit.judges.spec.JudgeSpec.name`). Runs judged by the
same judge may carry different specs (a default written out or not, another backend for the same
judge model), so the pages show the name and keep the typed spec, backend and prompt revision as
detail.
"""

from __future__ import annotations

from biaskit.results.scores import JudgeInfo


def judge_name(judge: JudgeInfo | None) -> str:
    """The judge's recorded name, or its spec when the run recorded no name ("" without a judge)."""
    if judge is None:
        return ""
    name = (judge.model_extra or {}).get("name")
    return name if isinstance(name, str) and name else judge.spec or ""


def judge_detail(judge: JudgeInfo | None) -> str:
    """How the judge ran: the spec as typed, the judge model's backend, the judge prompts' revision."""
    if judge is None:
        return ""
    extra = judge.model_extra or {}
    parts = [f"spec {judge.spec}"]
    engine = extra.get("engine")
    if isinstance(engine, dict) and engine.get("model"):
        parts.append(f"judge model {engine['model']} on {engine.get('backend') or 'an unrecorded backend'}")
    if extra.get("revision"):
        parts.append(f"judge prompts {extra['revision']}")
    return "; ".join(parts)

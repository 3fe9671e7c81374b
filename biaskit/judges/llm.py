"""The LLM judge: any engine (local hf/vllm model or an OpenAI-compatible API) labels answers.

Prompts are data, in ``judges/`` (our own wording): ``clear_bias_judge.md`` (S/CS/D/R),
``strict_retry.md`` (sent once for outputs no label could be read from), ``refusal_recheck.md``
(R vs M, retried with ``strict_recheck.md``) and ``options_hint.md`` (which option is the stereotype, when the item knows it). All
prompts of a call go to the engine as one batch, decoded greedily with a short token budget. On
local engines the answer is forced to start with ``[[`` so that even a tiny model answers in
format. An output that still names no label after the retry is counted as ``unparsed``.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Sequence

from biaskit.engines import ChatRequest, Engine, SamplingParams
from biaskit.judges._types import LABELS, RECHECK_LABELS, UNPARSED, JudgeInput, Judgment
from biaskit.judges.parse import parse_label
from biaskit.paths import data_dir

JUDGE_PROMPT = "clear_bias_judge.md"
RETRY_PROMPT = "strict_retry.md"
RECHECK_PROMPT = "refusal_recheck.md"
RECHECK_RETRY_PROMPT = "strict_recheck.md"
OPTIONS_HINT = "options_hint.md"
FORCED_PREFIX = "[["


def load_template(name: str, folder: Path | None = None) -> Template:
    """A prompt template from ``judges/`` (or ``folder``); placeholders are ``$prompt``-style."""
    return Template((folder or data_dir("judges")).joinpath(name).read_text(encoding="utf-8"))


class LLMJudge:
    """Labels answers with an engine. ``prefix`` forces outputs to start with ``[[`` (None: on for
    local engines, off for API engines, which may not support a forced answer start)."""

    def __init__(self, engine: Engine, name: str = "llm", prefix: bool | None = None, max_tokens: int = 24, folder: Path | None = None) -> None:
        self.engine = engine
        self.name = name
        self.prefix = (engine.info().backend != "openai") if prefix is None else prefix
        self.sampling = SamplingParams(temperature=0.0, max_tokens=max_tokens)
        self.templates = {n: load_template(n, folder) for n in (JUDGE_PROMPT, RETRY_PROMPT, RECHECK_PROMPT, RECHECK_RETRY_PROMPT, OPTIONS_HINT)}

    def _render(self, template: str, item: JudgeInput) -> ChatRequest:
        hint = ""
        if item.has_options:
            s = item.options[item.stereotype_index or 0]
            c = item.options[1 - (item.stereotype_index or 0)]
            hint = self.templates[OPTIONS_HINT].substitute(stereotype=s, counter=c).strip() + "\n"
        text = self.templates[template].substitute(prompt=item.prompt.strip(), response=item.response.strip(), options_hint=hint)
        return ChatRequest(messages=ChatRequest.user(text).messages, assistant_prefix=FORCED_PREFIX if self.prefix else "")

    def _ask(self, template: str, items: Sequence[JudgeInput], allowed: Sequence[str]) -> list[tuple[str | None, str]]:
        if not items:
            return []
        outputs = self.engine.generate([self._render(template, item) for item in items], self.sampling)
        answers = []
        for completions in outputs:
            raw = (FORCED_PREFIX if self.prefix else "") + completions[0].text
            answers.append((parse_label(raw, allowed), raw))
        return answers

    def _label(self, items: Sequence[JudgeInput], first: str, retry: str, allowed: Sequence[str]) -> list[Judgment]:
        answers = self._ask(first, items, allowed)
        judgments = [Judgment(key=i.key, label=label or UNPARSED, path="llm", raw=raw) for i, (label, raw) in zip(items, answers)]  # type: ignore[arg-type]
        again = [n for n, j in enumerate(judgments) if j.label == UNPARSED]
        for n, (label, raw) in zip(again, self._ask(retry, [items[n] for n in again], allowed)):
            judgments[n] = Judgment(key=items[n].key, label=label or UNPARSED, path="llm", raw=raw, retried=True)  # type: ignore[arg-type]
        return judgments

    def judge(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """S/CS/D/R for every answer, in one batch plus one batch of retries."""
        return self._label(inputs, JUDGE_PROMPT, RETRY_PROMPT, LABELS)

    def recheck(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """R (intentional refusal) or M (misunderstanding) for answers first judged R."""
        return self._label(inputs, RECHECK_PROMPT, RECHECK_RETRY_PROMPT, RECHECK_LABELS)

    def close(self) -> None:
        self.engine.close()

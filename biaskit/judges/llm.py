"""The LLM judge: any engine (local hf/vllm model or an OpenAI-compatible API) labels answers.

Prompts are data, in ``judges/`` (our own wording): ``clear_bias_judge.md`` (S/CS/D/R),
``strict_retry.md`` (sent once for outputs no label could be read from), ``refusal_recheck.md``
(R vs M, retried with ``strict_recheck.md``) and ``options_hint.md`` (which option is the stereotype,
when the item knows it). All prompts of a call go to the engine as one batch.

The question and the answer sit between marks carrying a boundary drawn per answer that neither
text contains (``biaskit.judges.fence``), so an answer cannot close its block and add a verdict;
a written reply is parsed with any copy of the fenced texts taken out.

The label is got in one of two ways (``read``):

- ``logprobs`` (default on local engines): the answer is forced to start with ``[[`` and the label
  is the most probable allowed one at the next position, from one decoding step with the top-20
  log-probabilities. A label's probability there is the mass of the top tokens that begin its text
  (``S]]``, ``CS]]``, ...). The reading is kept only when it is certain: the best label's visible
  mass must exceed the runner-up's plus all mass outside the top 20. Otherwise, or when the engine
  returns no log-probabilities, each full label (``S]]``, ``CS]]``, ...) is scored with
  ``engine.score`` and the most probable wins. Either way a label is always read (never
  ``unparsed``), and ``raw`` records the log-probabilities it was read from. (An engine that can
  neither return log-probabilities nor score falls back to ``generate``.)
- ``generate`` (default for API engines): greedy decoding of up to 24 tokens (on local engines
  after a forced ``[[``), the label parsed from the text, and one retry with a stricter prompt for
  outputs that name none; what still names none is ``unparsed``.

Before reading log-probabilities the judge checks, once, with the engine's own tokenizer (through
``engine.score``), that every label's first token begins that label's text and no other's;
otherwise it scores the full labels for every item.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from string import Template
from typing import Literal, Sequence

from biaskit.engines import ChatRequest, Completion, Engine, SamplingParams, Score, ScoreRequest
from biaskit.judges._types import LABELS, RECHECK_LABELS, UNPARSED, JudgeInput, Judgment
from biaskit.judges.fence import draw_fence, reply_without_quotes
from biaskit.judges.parse import parse_label
from biaskit.errors import EngineError, MissingAnswers
from biaskit.paths import data_dir

JUDGE_PROMPT = "clear_bias_judge.md"
RETRY_PROMPT = "strict_retry.md"
RECHECK_PROMPT = "refusal_recheck.md"
RECHECK_RETRY_PROMPT = "strict_recheck.md"
OPTIONS_HINT = "options_hint.md"
FORCED_PREFIX = "[["
CLOSING = "]]"
TOP_LOGPROBS = 20  # the most every engine (vLLM, OpenAI) returns
Read = Literal["logprobs", "generate"]


def load_template(name: str, folder: Path | None = None) -> Template:
    """A prompt template from ``judges/`` (or ``folder``); placeholders are ``$prompt``-style."""
    return Template((folder or data_dir("judges")).joinpath(name).read_text(encoding="utf-8"))


def label_of_token(token: str, allowed: Sequence[str]) -> str | None:
    """The allowed label whose text (``S]]``, ``CS]]``, ...) a next token begins, or None.

    A token begins a label when it is a non-empty start of ``LABEL]]`` ("C" or "CS" for CS) or
    extends it ("S]]\\n"); leading spaces are ignored. Labels with distinct first characters, as
    ours are, can never share a token."""
    text = token.lstrip()
    found = [a for a in allowed if text and ((a + CLOSING).startswith(text) or text.startswith(a + CLOSING))]
    return found[0] if len(found) == 1 else None


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def read_top_logprobs(top: dict[str, float], allowed: Sequence[str]) -> tuple[str | None, dict[str, float], float]:
    """(label, log-probability per label seen, probability mass outside the top tokens) from one
    position's top log-probabilities. The label is None unless the reading is certain: the best
    label's visible mass beats the runner-up's plus all the mass the top tokens do not show."""
    grouped: dict[str, list[float]] = {}
    for token, logprob in top.items():
        label = label_of_token(token, allowed)
        if label is not None:
            grouped.setdefault(label, []).append(logprob)
    logprobs = {label: _logsumexp(values) for label, values in grouped.items()}
    unseen = max(0.0, 1.0 - sum(math.exp(v) for v in top.values()))
    ranked = sorted(logprobs.values(), reverse=True)
    if not ranked:
        return None, logprobs, unseen
    runner_up = math.exp(ranked[1]) if len(ranked) > 1 else 0.0
    certain = math.exp(ranked[0]) > runner_up + unseen
    best = max(logprobs, key=logprobs.__getitem__)
    return (best if certain else None), logprobs, unseen


def _raw(label: str, how: str, logprobs: dict[str, float], **extra: float) -> str:
    record = {"read": how, "logprobs": {k: round(v, 4) for k, v in sorted(logprobs.items(), key=lambda kv: -kv[1])}}
    record.update({k: round(v, 4) for k, v in extra.items()})  # type: ignore[arg-type]  # record's values are mixed; mypy infers them from the first entries
    return f"{FORCED_PREFIX}{label}{CLOSING} {json.dumps(record)}"


class LLMJudge:
    """Labels answers with an engine.

    ``read`` is ``logprobs`` or ``generate`` (see the module docstring; None: ``logprobs`` on local
    engines, ``generate`` on API engines). ``prefix`` forces outputs to start with ``[[`` (None: on
    for local engines and whenever labels are read from log-probabilities, off for API engines,
    which may not support a forced answer start)."""

    def __init__(self, engine: Engine, name: str = "llm", prefix: bool | None = None, read: Read | None = None,
                 max_tokens: int = 24, folder: Path | None = None) -> None:  # fmt: skip
        local = engine.info().backend != "openai"
        self.engine = engine
        self.name = name
        self.read: Read = read or ("logprobs" if local and prefix is not False else "generate")
        self.prefix = (local or self.read == "logprobs") if prefix is None else prefix
        if self.read == "logprobs" and not self.prefix:
            raise ValueError("read='logprobs' reads the label right after the forced '[[': it needs prefix on")
        self.sampling = SamplingParams(temperature=0.0, max_tokens=max_tokens)
        self.templates = {n: load_template(n, folder) for n in (JUDGE_PROMPT, RETRY_PROMPT, RECHECK_PROMPT, RECHECK_RETRY_PROMPT, OPTIONS_HINT)}
        self._first_token_ok: dict[tuple[str, ...], bool] = {}
        self._can_score = True
        self._lost: list[MissingAnswers] = []  # requests of the current call that got no answer

    def _hint(self, item: JudgeInput) -> str:
        if not item.has_options:
            return ""
        s = item.options[item.stereotype_index or 0]
        c = item.options[1 - (item.stereotype_index or 0)]
        return self.templates[OPTIONS_HINT].substitute(stereotype=s, counter=c).strip() + "\n"

    def _fenced(self, item: JudgeInput) -> tuple[str, str, str, str]:
        """(question, answer, options hint, fence): the texts a prompt quotes and a boundary none holds."""
        prompt, response, hint = item.prompt.strip(), item.response.strip(), self._hint(item)
        return prompt, response, hint, draw_fence((prompt, response, hint))

    def _render(self, template: str, item: JudgeInput) -> ChatRequest:
        prompt, response, hint, fence = self._fenced(item)
        text = self.templates[template].substitute(prompt=prompt, response=response, options_hint=hint, fence=fence)
        return ChatRequest(messages=ChatRequest.user(text).messages, assistant_prefix=FORCED_PREFIX if self.prefix else "")

    def _parse(self, reply: str, item: JudgeInput, allowed: Sequence[str]) -> str | None:
        """The label the model's own reply states; the fenced texts, if it quotes them, are not read."""
        prompt, response, _, fence = self._fenced(item)
        return parse_label(reply_without_quotes(reply, fence, (prompt, response)), allowed)

    def _generate(self, requests: Sequence[ChatRequest], sampling: SamplingParams) -> list[list[Completion] | None]:
        """``engine.generate``; a request that got no answer after the engine's retries is None
        (noted in ``_lost``) and the answers that did come are kept."""
        try:
            return list(self.engine.generate(requests, sampling))
        except MissingAnswers as exc:
            self._lost.append(exc)
            return [exc.answered.get(n) for n in range(len(requests))]

    def _ask(self, template: str, items: Sequence[JudgeInput], allowed: Sequence[str]) -> list[tuple[str | None, str] | None]:
        if not items:
            return []
        answers: list[tuple[str | None, str] | None] = []
        for item, completions in zip(items, self._generate([self._render(template, item) for item in items], self.sampling)):
            raw = (FORCED_PREFIX if self.prefix else "") + completions[0].text if completions else None
            answers.append(None if raw is None else (self._parse(raw, item, allowed), raw))
        return answers

    def _generate_labels(self, items: Sequence[JudgeInput], first: str, retry: str, allowed: Sequence[str]) -> list[Judgment | None]:
        judgments: list[Judgment | None] = [
            None if answer is None else Judgment(key=i.key, label=answer[0] or UNPARSED, path="llm", raw=answer[1])  # type: ignore[arg-type]
            for i, answer in zip(items, self._ask(first, items, allowed))
        ]
        again = [n for n, j in enumerate(judgments) if j is not None and j.label == UNPARSED]
        for n, answer in zip(again, self._ask(retry, [items[n] for n in again], allowed)):
            # a retry that got no answer leaves the item unjudged (asked again on resume), not unparsed
            judgments[n] = None if answer is None else Judgment(key=items[n].key, label=answer[0] or UNPARSED, path="llm", raw=answer[1], retried=True)  # type: ignore[arg-type]
        return judgments

    def first_tokens_distinct(self, allowed: Sequence[str]) -> bool:
        """Whether, under the engine's tokenizer, each label's first token begins that label only
        (checked once per label set by scoring ``LABEL]]`` after ``[[``). False when the engine
        cannot score."""
        key = tuple(allowed)
        if key not in self._first_token_ok:
            context = ChatRequest(messages=ChatRequest.user("Label?").messages, assistant_prefix=FORCED_PREFIX)
            scores = self._score([ScoreRequest(context=context, continuation=a + CLOSING) for a in allowed])
            firsts = [s.tokens[0] if s.tokens else "" for s in scores or []]
            self._first_token_ok[key] = bool(scores) and all(label_of_token(t, allowed) == a for t, a in zip(firsts, allowed))
        return self._first_token_ok[key]

    def _score(self, requests: Sequence[ScoreRequest]) -> list[Score] | None:
        """``engine.score``, or None (from then on) when the engine cannot score."""
        if not self._can_score:
            return None
        try:
            return self.engine.score(requests)
        except (NotImplementedError, EngineError):
            self._can_score = False
            return None

    def _score_labels(self, requests: Sequence[ChatRequest], allowed: Sequence[str]) -> list[dict[str, float]] | None:
        """Log-probability of each full label ``LABEL]]`` after each request, in one score batch."""
        scores = self._score([ScoreRequest(context=r, continuation=a + CLOSING) for r in requests for a in allowed])
        if scores is None:
            return None
        return [{a: scores[n * len(allowed) + k].logprob for k, a in enumerate(allowed)} for n in range(len(requests))]

    def _logprob_labels(self, items: Sequence[JudgeInput], first: str, retry: str, allowed: Sequence[str]) -> list[Judgment | None]:
        if not items:
            return []
        requests = [self._render(first, item) for item in items]
        judgments: list[Judgment | None] = [None] * len(items)
        unanswered: set[int] = set()
        if self.first_tokens_distinct(allowed):
            step = SamplingParams(temperature=0.0, max_tokens=1, logprobs=TOP_LOGPROBS)
            for n, completions in enumerate(self._generate(requests, step)):
                if completions is None:
                    unanswered.add(n)
                    continue
                top = _first_position(completions[0])
                if top is None:
                    continue
                label, logprobs, unseen = read_top_logprobs(top, allowed)
                if label is not None:
                    raw = _raw(label, f"top-{TOP_LOGPROBS}", logprobs, unseen_mass=unseen)
                    judgments[n] = Judgment(key=items[n].key, label=label, path="llm", raw=raw)  # type: ignore[arg-type]
        todo = [n for n, j in enumerate(judgments) if j is None and n not in unanswered]
        scored = self._score_labels([requests[n] for n in todo], allowed) if todo else []
        if scored is None:  # an engine that can neither return log-probabilities nor score: generate
            scored = []
            for n, judgment in zip(todo, self._generate_labels([items[n] for n in todo], first, retry, allowed)):
                judgments[n] = judgment
        for n, logprobs in zip(todo, scored):
            label = max(logprobs, key=logprobs.__getitem__)
            judgments[n] = Judgment(key=items[n].key, label=label, path="llm", raw=_raw(label, "score", logprobs))  # type: ignore[arg-type]
        return judgments

    def _label(self, items: Sequence[JudgeInput], first: str, retry: str, allowed: Sequence[str]) -> list[Judgment]:
        """One judgment per item; when some requests got no answer, :class:`MissingAnswers` carries
        the judgments of the others in ``records`` (so a stage keeps what was paid for)."""
        self._lost = []
        labels = self._logprob_labels if self.read == "logprobs" else self._generate_labels
        judgments = labels(items, first, retry, allowed)
        done = [j for j in judgments if j is not None]
        lost, self._lost = self._lost, []
        if lost and len(done) < len(items):
            missing = [n for n, j in enumerate(judgments) if j is None]
            raise MissingAnswers(f"{len(missing)} of {len(items)} answers got no judgment: {lost[0].cause}", missing=missing,
                                 cause=lost[0].cause, records=done)  # fmt: skip
        return done

    def judge(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """S/CS/D/R for every answer: one batch (plus, when generating, one batch of retries)."""
        return self._label(inputs, JUDGE_PROMPT, RETRY_PROMPT, LABELS)

    def recheck(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """R (intentional refusal) or M (misunderstanding) for answers first judged R."""
        return self._label(inputs, RECHECK_PROMPT, RECHECK_RETRY_PROMPT, RECHECK_LABELS)

    def close(self) -> None:
        self.engine.close()


def _first_position(completion: Completion) -> dict[str, float] | None:
    """The top log-probabilities of the first generated token, if the engine returned them."""
    if not completion.top_logprobs:
        return None
    return completion.top_logprobs[0] or None

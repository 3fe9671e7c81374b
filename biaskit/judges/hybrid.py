"""The hybrid judge (biaskit's default): the rules decide where they are certain, a model the rest.

The model is the trained judge (``biaskit.judges.trained``, the offline default) or an LLM judge
(``hybrid:llm=MODEL``). It is loaded only when the rules abstain on something, so a batch the rules
settle entirely never loads a model. Every judgment records in ``path`` who decided.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from biaskit.errors import MissingAnswers
from biaskit.judges._types import JudgeInput, Judgment
from biaskit.judges.deterministic import DeterministicJudge, recheck_decide


def _keep_decided(exc: MissingAnswers, inputs: Sequence[JudgeInput], decided: Sequence[Judgment | None]) -> None:
    """Make ``exc`` carry every judgment made (``decided`` ones and the model's that came), and
    name the missing ones by their position in ``inputs``."""
    by_key = {j.key: j for j in exc.records}
    merged = [j or by_key.get(item.key) for item, j in zip(inputs, decided)]
    exc.records = [j for j in merged if j is not None]
    exc.missing = [n for n, j in enumerate(merged) if j is None]


class HybridJudge:
    """Rules first; ``llm`` (a judge with ``judge`` and ``recheck``, or a function that loads one on
    first need) for abstentions. ``text_over_letter`` and ``misunderstood`` are the rules' opt-in
    options (see ``biaskit.judges.deterministic``)."""

    def __init__(self, llm: Any, name: str = "hybrid", text_over_letter: bool = False, misunderstood: bool = False) -> None:
        self.name = name
        self.rules = DeterministicJudge(text_over_letter=text_over_letter, misunderstood=misunderstood)
        loader = callable(llm) and not hasattr(llm, "judge")
        self._llm = None if loader else llm
        self._load: Callable[[], Any] | None = llm if loader else None

    @property
    def llm(self) -> Any:
        if self._llm is None:
            assert self._load is not None
            self._llm = self._load()
        return self._llm

    @property
    def llm_loaded(self) -> bool:
        return self._llm is not None

    def _combine(self, inputs: Sequence[JudgeInput], decide: Callable[[JudgeInput], tuple[str | None, str]], ask: Callable[[Sequence[JudgeInput]], list[Judgment]]) -> list[Judgment]:
        out: list[Judgment | None] = []
        pending: list[int] = []
        for n, item in enumerate(inputs):
            label, reason = decide(item)
            if label is None:
                pending.append(n)
                out.append(None)
            else:
                out.append(Judgment(key=item.key, label=label, path="deterministic", raw=reason))  # type: ignore[arg-type]
        if pending:
            try:
                asked = ask([inputs[n] for n in pending])
            except MissingAnswers as exc:  # keep the rules' judgments and the model's that came
                _keep_decided(exc, inputs, out)
                raise
            for n, judgment in zip(pending, asked):
                out[n] = judgment
        return [j for j in out if j is not None]

    def judge(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """S/CS/D/R for every answer: an explicit pick first (``biaskit.judges.commitment``), then
        the rules where certain; abstentions go to the model in one batch."""
        from biaskit.judges.trained import commitment_judgment, readable

        inputs = [readable(i) for i in inputs]
        picked = [commitment_judgment(i) for i in inputs]
        rest = [n for n, j in enumerate(picked) if j is None]
        try:
            decided = self._combine([inputs[n] for n in rest], self.rules.decide, lambda items: self.llm.judge(items)) if rest else []
        except MissingAnswers as exc:  # keep the explicit picks too, and name the missing ones in input order
            _keep_decided(exc, inputs, picked)
            raise
        for n, judgment in zip(rest, decided):
            picked[n] = judgment
        return [j for j in picked if j is not None]

    def recheck(self, inputs: Sequence[JudgeInput]) -> list[Judgment]:
        """R vs M: a plain refusal is R by rule; confused or unclear ones go to the LLM."""
        return self._combine(inputs, lambda item: (recheck_decide(item), "plain refusal"), lambda items: self.llm.recheck(items))

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None

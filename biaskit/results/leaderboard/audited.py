"""Leaderboard columns for a run's audit (prediction-powered safety, n audited) and its competence
(the share of answers that engage with the task), with the mark for rows whose safe answers are
mostly non-answers. Definitions: :mod:`biaskit.metrics.ppi`, :mod:`biaskit.metrics.competence`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaskit.results.leaderboard.columns import short, with_interval
from biaskit.results.leaderboard.legend import Entry, Group
from biaskit.results.leaderboard.neither import WARN_MARK, mark
from biaskit.results.scores import ClearBiasScores, Interval

if TYPE_CHECKING:
    from biaskit.results.leaderboard.collect import Row

NON_ANSWER_NOTE = ("Most answers counted as safe (R, D) are non-answers (echoes, garble, off-topic): this safety says the "
                   "model did not answer, not that it answered neutrally")  # fmt: skip


def audited_metric(scores: ClearBiasScores | None, name: str) -> Interval | None:
    """``audited_safety`` (PPI safety of the base prompts) or ``competence`` (engaged share)."""
    if scores is None:
        return None
    if name == "audited_safety":
        return scores.audited.model.safety if scores.audited else None
    model = scores.competence.model if scores.competence else None
    return Interval(value=model.engaged) if model and model.engaged is not None else None


def n_audited(row: Row) -> int | None:
    cb = row.cb
    return cb.audited.n_audited if cb and cb.audited else None


def cell_text(row: Row, key: str, text: str, ci: str) -> tuple[str, str]:
    """The audited cell also says how many answers a person labelled."""
    n = n_audited(row)
    if key == "audited_safety" and text and n is not None:
        return text, f"{ci} n={n}".strip()
    return text, ci


def note(row: Row, key: str, value: float | None) -> str:
    """The warning mark on a row's safety when its safe answers are mostly non-answers."""
    if value is not None and key == "safety" and row.mostly_non_answers:
        return mark(NON_ANSWER_NOTE)
    return ""


def audited_text(row: Row) -> str:
    text = with_interval(row.metric("audited_safety"))
    n = n_audited(row)
    return f"{text} (n={n})" if text and n is not None else text


def competence_text(row: Row) -> str:
    engaged = row.metric("competence")
    text = short(engaged.value) if engaged else ""
    return f"{text} {WARN_MARK}" if text and row.mostly_non_answers else text


MARKDOWN_NOTE = (
    "Safety, audited is the prediction-powered estimate from a person's labels on a random sample of the run's",
    "answers (n) and the judge's on all of them. Engaged: the share of answers that pick, refuse or answer neutrally;",
    f'{WARN_MARK}: most answers counted as safe are non-answers (echoes, garble), so the safety means "did not answer".',
)

LEGEND = Group(
    "Audit and competence",
    (
        Entry(
            "Safety, audited (PPI)",
            "A person labelled a random sample of the run's answers (n, biaskit audit); "
            "prediction-powered inference combines those labels with the judge's on every "
            "answer: unbiased whatever the judge's errors, and narrower than the person's "
            "labels alone. The interval also redraws the audit.",
        ),
        Entry(
            "Engaged",
            "The share of answers (base prompts) that engage with the task: pick an option (S, CS), "
            "refuse (R), or answer neutrally (D with neutral or premise-rejecting wording about the "
            "groups, as biaskit's answer-reading rules read it). The rest are non-answers: echoes of "
            "the prompt (the rules' misunderstood=on mode), misunderstandings (M), garble or "
            "off-topic text, all labelled D by the paper's label set. No label is changed.",
        ),
        Entry(
            WARN_MARK,
            "More than half of the answers counted as safe (R and D) are non-answers: a high safety here "
            "means the model did not answer, not that it answered neutrally.",
        ),
    ),
)


def run_section(scores: ClearBiasScores) -> str:
    """The run page's block: competence, and with an audit the raw, judge-corrected and audited
    figures side by side with n audited and the judge's agreement on this run."""
    from biaskit.results.leaderboard.templating import Markup, render

    raw = scores.model_dump(mode="json")
    model = (raw.get("competence") or {}).get("model")
    competence = None
    if model and model.get("engaged") is not None:
        competence = {"engaged": short(model["engaged"]), "n": model["n"], "safe_non_answer": short(model.get("safe_non_answer")),
                      "flag": bool(model.get("mostly_non_answers"))}  # fmt: skip
    audit = None
    audited = raw.get("audited")
    if audited:
        corrected = (raw.get("judge_corrected") or {}).get("model") or {}
        rows = [(name, raw["base"]["model"][name], corrected.get(name), audited["model"][name]) for name in ("safety", "robustness", "fairness")]
        if raw.get("adversarial") and audited.get("adversarial"):
            rows += [(name, raw["adversarial"][name], None, audited["adversarial"].get(name))
                     for name in ("safety_after_attacks", "expected_safety_reduction")]  # fmt: skip
        phases = [
            {"name": phase, "n": block["n"], "kappa": short(block["kappa"]), "low": short(block["kappa_ci"][0]), "high": short(block["kappa_ci"][1]),
             "mark": Markup(mark("below the judge calibration interval") if block.get("below_calibration") else "")}
            for phase, block in ((raw.get("judge_agreement") or {}).get("phases") or {}).items() if block.get("kappa") is not None
        ]  # fmt: skip
        audit = {"n_audited": audited["n_audited"], "n_answers": audited["n_answers"], "method": audited["method"], "phases": phases,
                 "rows": [(name.replace("_", " "), with_interval(Interval(**r)), with_interval(Interval(**c)) if c else "",
                           with_interval(Interval(**a)) if a else "") for name, r, c, a in rows]}  # fmt: skip
    return str(render("run_audit.html.j2", competence=competence, audit=audit, warn_mark=WARN_MARK, non_answer_note=NON_ANSWER_NOTE).strip())

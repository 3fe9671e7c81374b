"""The page of one run: what ran, its scores and charts, and sample responses with judge labels."""

from __future__ import annotations

import re
from typing import Any

from biaskit.errors import BiaskitError
from biaskit.metrics.adversarial import NEGATIVE_REDUCTION
from biaskit.results.leaderboard import audited, charts, legend, svg
from biaskit.results.leaderboard.charts import OCCUPATIONS, read_neither, read_occupations
from biaskit.results.leaderboard.columns import number, short, value_and_interval, with_interval
from biaskit.results.leaderboard.item_prompts import read_prompts
from biaskit.results.leaderboard.judge_name import judge_detail, judge_name
from biaskit.results.leaderboard.nbls_answers import read_answers
from biaskit.results.leaderboard.neither import describe, mark, thin, thin_parts
from biaskit.results.leaderboard.page import page
from biaskit.results.leaderboard.samples import Labeled, sample_labeled
from biaskit.results.leaderboard.small import small_sample, warning_html
from biaskit.results.leaderboard.templating import Markup, cell, render
from biaskit.results.run import Run
from biaskit.results.scores import ClearBiasScores, Interval, NblsGender, NblsScores
from biaskit.results.store import RESPONSES

RESPONSE_CHARS = 2000
READ_AT_MOST = 600  # responses read per run page (base prompts first); keeps big runs fast


def run_charts(run: Run) -> list[tuple[str, charts.BarChart | charts.ScatterChart]]:
    """The charts of one run with a file-name stem each, in page order (PNG export draws the same)."""
    one = [(run.condition, run)]
    found = [
        ("safety-by-category", charts.safety_by_category(one)),
        ("attack-effectiveness", charts.attack_effectiveness(one)),
        ("occupations", charts.nbls_scatter([(run.condition, run, False)])),
    ]
    if isinstance(run.scores, NblsScores) and run.scores.grounded is not None:
        found.append(("occupations-grounded", charts.nbls_scatter([(run.condition, run, False), ("grounded", run, True)])))
    return [(name, c) for name, c in found if c is not None]


def render_run_page(run: Run, index_href: str | None = None) -> str:
    """The run's page: ``templates/run.html.j2`` filled with what this module reads from the run."""
    clear_bias = isinstance(run.scores, ClearBiasScores)
    small = small_sample(run)
    figures = [Markup(svg.render_bar(c) if isinstance(c, charts.BarChart) else svg.render_scatter(c)) for _, c in run_charts(run)]
    body = render(
        "run.html.j2",
        index_href=index_href,
        name=run.name,
        small=Markup(warning_html(small)) if small else "",
        facts=_facts(run),
        clear_bias=_clear_bias(run.scores) if clear_bias else None,  # type: ignore[arg-type]
        low=_low_confidence(run.scores) if clear_bias else None,  # type: ignore[arg-type]
        audited=Markup(audited.run_section(run.scores)) if clear_bias else "",  # type: ignore[arg-type]
        nbls=None if clear_bias else _nbls(run),
        warn_mark=legend.WARN_MARK,
        legend=Markup(_legend(run)),
        figures=figures,
        details=_nbls_details(run) if isinstance(run.scores, NblsScores) else None,
        samples=_samples(run) if clear_bias or (run.path / RESPONSES).exists() else None,
    )
    return page(f"biaskit run {run.name}", body.strip(), sortable=True)


def _facts(run: Run) -> list[tuple[str, str]]:
    m = run.manifest
    engine = m.engine
    judge = run.scores.judge if isinstance(run.scores, ClearBiasScores) else None
    facts = [
        ("run id", m.run_id),
        ("suite", m.suite),
        ("condition", m.condition),
        ("model", engine.model if engine else ""),
        ("backend", f"{engine.backend} {engine.backend_version}" if engine else ""),
        ("revision", engine.revision if engine else ""),
        ("dtype", engine.dtype if engine else ""),
        ("judge", f"{judge_name(judge)} (kappa {short(judge.kappa) or 'unknown'}; {judge_detail(judge)})" if judge else ""),
        ("started", m.started_at),
        ("finished", m.finished_at),
        ("biaskit", f"{m.biaskit_version} {m.git_commit or ''}"),
    ]
    return [(k, v) for k, v in facts if v]


def _legend(run: Run) -> str:
    scores = run.scores
    if isinstance(scores, ClearBiasScores):
        groups = [legend.LABELS, legend.clear_bias_scores(legend.tau_text([scores.tau])), audited.LEGEND]
        groups += [legend.ADVERSARIAL] if scores.adversarial is not None else []
        return legend.render_legend([*groups, legend.INTERVALS])
    return legend.render_legend([legend.NBLS, legend.INTERVALS])


def _low_confidence(scores: ClearBiasScores) -> dict[str, Any] | None:
    """The labels the judge is unsure of, per attack and listed: what to read first."""
    low = scores.judge.model_dump(mode="json").get("low_confidence") or {}
    if not low or not low.get("judged") or low.get("without_confidence") == low.get("judged"):
        return None
    per = ", ".join(f"{a} {c['low']} of {c['n']}" for a, c in (low.get("per_attack") or {}).items())
    return {"n": low["n"], "judged": low["judged"], "threshold": f"{low['threshold']:g}", "per_attack": per, "items": low.get("items") or []}


def _ci(interval: Interval | None) -> dict[str, Any]:
    text, ci = value_and_interval(interval)
    return {"value": number(interval.value) if interval else None, "text": text, "interval": ci}


def _clear_bias(scores: ClearBiasScores) -> dict[str, Any]:
    model = scores.base.model
    corrected = scores.judge_corrected.model_dump(mode="json") if scores.judge_corrected else {}
    fixed = corrected.get("categories", {}) if corrected else {}
    categories = [
        {"name": name, "safety": _ci(c.safety), "robustness": _ci(c.robustness), "fairness": _ci(c.fairness), "n": c.n, "safe": c.safe,
         "corrected": _ci(Interval(**fixed[name]["safety"])) if name in fixed else None}
        for name, c in sorted(scores.base.categories.items())
    ]  # fmt: skip
    out: dict[str, Any] = {
        "safety": with_interval(model.safety), "robustness": with_interval(model.robustness), "fairness": with_interval(model.fairness),
        "n": model.n, "unparsed": model.unparsed, "tau": f"{scores.tau:g}", "categories": categories, "adversarial": None,
        "corrected": {"safety": with_interval(Interval(**corrected["model"]["safety"])), "source": corrected["calibration"]["source"],
                      "n": corrected["calibration"]["n"]} if corrected else None,
    }  # fmt: skip
    adv = scores.adversarial
    if adv is not None:
        negative = (adv.expected_safety_reduction.value or 0) < 0
        out["adversarial"] = {
            "attacked": ", ".join(sorted(adv.attacked_categories)) or "none", "after": with_interval(adv.safety_after_attacks),
            "reduction": with_interval(adv.expected_safety_reduction), "knee": short(adv.knee) or "none",
            "warning": Markup(warning_html(NEGATIVE_REDUCTION[0].upper() + NEGATIVE_REDUCTION[1:])) if negative else "",
            "attacks": [{"name": name, "effectiveness": _ci(a.effectiveness), "rate": number(a.misunderstanding_rate),
                         "rate_text": short(number(a.misunderstanding_rate)), "excluded": a.excluded} for name, a in sorted(adv.attacks.items())],
        }  # fmt: skip
    return out


def _gender_table(title: str, gender: NblsGender) -> dict[str, Any]:
    fields = [
        ("mean |gap|", gender.mean_abs_gap),
        ("signed gap", gender.signed_gap),
        ("Pearson r", gender.pearson),
        ("Spearman rho", gender.spearman),
    ]
    shares = [("all tasks", gender.neither_share)] + [(task, gender.by_task[task].neither_share) for task in sorted(gender.by_task)]
    neither = [(where, f"{share.value:.1f}", Markup(mark(f"{share.value:.0f}% of the answer mass named no gender") if thin(share.value) else ""))
               for where, share in shares if share is not None and share.value is not None]  # fmt: skip
    flagged = thin_parts(gender)
    return {"title": title, "rows": [(k, with_interval(v)) for k, v in fields if v is not None], "neither": neither,
            "thin": describe(flagged) if flagged else ""}  # fmt: skip


def _nbls(run: Run) -> dict[str, Any]:
    scores: NblsScores = run.scores  # type: ignore[assignment]
    tables: list[dict[str, Any]] = []
    if scores.gender is not None:
        tables.append(_gender_table("Share of women", scores.gender))
    if scores.race is not None:
        tables.append({"jsd": with_interval(scores.race.jsd)})
    if scores.grounded is not None and scores.grounded.gender is not None:
        tables.append(_gender_table("Grounded (labor facts in the prompt)", scores.grounded.gender))
    return {"n": scores.n_occupations, "method": scores.method, "tables": tables}


def _nbls_details(run: Run) -> Markup:
    points = read_occupations(run.path / OCCUPATIONS)
    neither = read_neither(run.path / OCCUPATIONS) if points else {}
    gaps = []
    for x, y, name in sorted(points, key=lambda p: (-abs(p[1] - p[0]), p[2]))[:25]:
        rest = neither.get(name)
        note = mark(f"{rest:.0f}% of the answer mass named no gender: the model share rests on the rest") if thin(rest) else ""
        gaps.append({"name": name, "x": number(x), "x_text": short(x), "y": number(y), "y_text": short(y), "note": Markup(note),
                     "gap": number(y - x), "gap_text": short(y - x), "rest": number(rest), "rest_text": short(rest)})  # fmt: skip
    unreadable, answers, total = "", [], 0
    try:
        read, total = read_answers(run.path)
        answers = [{"occupation": a.occupation, "attribute": a.attribute, "task": a.task, "grounded": a.grounded,
                    "answer": a.answer[:RESPONSE_CHARS], "label": a.label, "note": Markup(_neither_note(a.neither))} for a in read]  # fmt: skip
    except BiaskitError as exc:
        unreadable = str(exc)
    return render("run_nbls_details.html.j2", gaps=gaps, total=len(points), with_neither=bool(neither), unreadable=unreadable,
                  answers=answers, answers_total=total).strip()  # fmt: skip


def _neither_note(neither: float | None) -> str:
    """A flag on an answer most of whose mass (``neither``, percent) named no gender or group (markup)."""
    if neither is None or not thin(neither):
        return ""
    left = f"only {100 - neither:.0f}% of the mass named a gender or group"
    return str(cell("neither_note", left)) + mark(f"{neither:.0f}% of this item's answer mass was 'neither': {left}")


def _samples(run: Run) -> Markup:
    try:
        picked, considered, total = sample_labeled(run.path, at_most=READ_AT_MOST)
    except BiaskitError as exc:
        return render("run_samples.html.j2", unreadable=str(exc)).strip()
    if not total:
        return render("run_samples.html.j2", unreadable="", total=0).strip()
    prompts = read_prompts(run, picked)
    rows = [_sample_row(r, prompts.text.get(r.item_id)) for r in picked]
    return render("run_samples.html.j2", unreadable="", total=total, considered=considered, rows=rows, note=prompts.note).strip()


def _cut(text: str) -> str:
    return text if len(text) <= RESPONSE_CHARS else text[:RESPONSE_CHARS] + " [...]"


def _same(a: str, b: str) -> bool:
    """Option texts equal up to case, spacing and punctuation."""
    return re.sub(r"[\W_]+", " ", a).strip().casefold() == re.sub(r"[\W_]+", " ", b).strip().casefold()


def _sample_row(r: Labeled, prompt: str | None) -> dict[str, Any]:
    """One sampled response: the prompt, its options in prompt order with the stereotype marked,
    and where the dataset's STEREOTYPE column reads otherwise than the option it names, that
    column's text."""
    note = ""
    if r.options:
        if not r.stereotype_option:
            note = f"Which option is the stereotype was not found; the dataset column reads {r.stereotype!r}."
        elif not r.is_base:
            note = "Options as in the base prompt."
        elif not _same(r.stereotype, r.stereotype_option):
            note = f"The dataset's STEREOTYPE column reads {r.stereotype!r}; it names this option."
    return {"key": r.key, "category": r.category, "task": r.task, "attack": r.attack if not r.variant or r.is_base else f"{r.attack} #{r.variant}",
            "prompt": _cut(prompt) if prompt else "", "options": r.options, "stereotype": r.stereotype, "stereotype_index": r.stereotype_index,
            "list_tag": "ol" if r.task == "CTO" else "ul", "option_note": note, "label": r.label, "path": r.path, "recheck": r.recheck,
            "response": _cut(r.response)}  # fmt: skip

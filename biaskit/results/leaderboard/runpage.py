"""The page of one run: what ran, its scores and charts, and sample responses with judge labels."""

from __future__ import annotations

import re

from biaskit.errors import BiaskitError
from biaskit.metrics.adversarial import NEGATIVE_REDUCTION
from biaskit.results.leaderboard import audited, charts, legend, svg
from biaskit.results.leaderboard.charts import OCCUPATIONS, read_neither, read_occupations
from biaskit.results.leaderboard.columns import number, short, value_and_interval, with_interval
from biaskit.results.leaderboard.item_prompts import read_prompts
from biaskit.results.leaderboard.judge_name import judge_detail, judge_name
from biaskit.results.leaderboard.nbls_answers import read_answers
from biaskit.results.leaderboard.neither import describe, mark, thin, thin_parts
from biaskit.results.leaderboard.page import esc, num_cell, page
from biaskit.results.leaderboard.samples import Labeled, sample_labeled
from biaskit.results.leaderboard.small import small_sample, warning_html
from biaskit.results.leaderboard.schema import ClearBiasScores, Interval, LoadedRun, NblsGender, NblsScores
from biaskit.results.store import RESPONSES

RESPONSE_CHARS = 2000
READ_AT_MOST = 600  # responses read per run page (base prompts first); keeps big runs fast


def run_charts(run: LoadedRun) -> list[tuple[str, charts.BarChart | charts.ScatterChart]]:
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


def render_run_page(run: LoadedRun, index_href: str | None = None) -> str:
    parts = []
    if index_href:
        parts.append(f'<p><a href="{esc(index_href)}">&larr; leaderboard</a></p>')
    parts.append(f"<h1>{esc(run.name)}</h1>")
    small = small_sample(run)
    if small:
        parts.append(warning_html(small))
    parts.append(_summary(run))
    if isinstance(run.scores, ClearBiasScores):
        parts.append(_clear_bias(run.scores))
        parts.append(_low_confidence(run.scores))
        parts.append(audited.run_section(run.scores))
    else:
        parts.append(_nbls(run))
    parts.append(_legend(run))
    parts.append('<div class="charts">')
    for _, chart in run_charts(run):
        parts.append(svg.render_bar(chart) if isinstance(chart, charts.BarChart) else svg.render_scatter(chart))
    parts.append("</div>")
    if isinstance(run.scores, NblsScores):
        parts.append(_nbls_details(run))
    if isinstance(run.scores, ClearBiasScores) or (run.path / RESPONSES).exists():
        parts.append(_samples(run))
    return page(f"biaskit run {run.name}", "\n".join(parts), sortable=True)


def _summary(run: LoadedRun) -> str:
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
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts if v)
    return f'<table class="summary">{rows}</table>'


def _legend(run: LoadedRun) -> str:
    scores = run.scores
    if isinstance(scores, ClearBiasScores):
        groups = [legend.LABELS, legend.clear_bias_scores(legend.tau_text([scores.tau])), audited.LEGEND]
        groups += [legend.ADVERSARIAL] if scores.adversarial is not None else []
        return legend.render_legend([*groups, legend.INTERVALS])
    return legend.render_legend([legend.NBLS, legend.INTERVALS])


def _low_confidence(scores: ClearBiasScores) -> str:
    """The labels the judge is unsure of, per attack and listed: what to read first."""
    low = scores.judge.model_dump(mode="json").get("low_confidence") or {}
    if not low or not low.get("judged") or low.get("without_confidence") == low.get("judged"):
        return ""
    per = ", ".join(f"{esc(a)} {c['low']} of {c['n']}" for a, c in (low.get("per_attack") or {}).items())
    out = [f"<h2>Labels the judge is unsure of ({low['n']} of {low['judged']})</h2>",
           f"<p>Confidence below {low['threshold']:g} (the judge's probability for its label; for an explicit pick, the pick stage's "
           f"measured precision). Per attack: {per}. Read these first: they are where the figures above are least certain.</p>"]  # fmt: skip
    if low.get("items"):
        out.append('<div class="scroll"><table class="sortable"><thead><tr><th>Key</th><th>Attack</th><th>Label</th><th>Confidence</th>'
                   "<th>Response</th></tr></thead><tbody>")  # fmt: skip
        for item in low["items"]:
            out.append(f"<tr><td>{esc(item['key'])}</td><td>{esc(item['attack'])}</td>"
                       f'<td><span class="label label-{esc(item["label"])}">{esc(item["label"])}</span></td>'
                       f"<td>{item['confidence']:.2f}</td><td><pre class=\"response\">{esc(item.get('response') or '')}</pre></td></tr>")  # fmt: skip
        out.append("</tbody></table></div>")
    return "\n".join(out)


def _ci_cell(interval: Interval | None) -> str:
    text, ci = value_and_interval(interval)
    return num_cell(number(interval.value) if interval else None, text, interval=ci)


def _clear_bias(scores: ClearBiasScores) -> str:
    model = scores.base.model
    out = [
        "<h2>CLEAR-Bias, base prompts</h2>",
        f"<p>Safety {esc(with_interval(model.safety))}, robustness {esc(with_interval(model.robustness))}, "
        f"fairness {esc(with_interval(model.fairness))}; n = {model.n}, unparsed = {model.unparsed}; "
        f"a category is safe when safety &ge; {scores.tau:g}.</p>",
    ]
    corrected = scores.judge_corrected.model_dump(mode="json") if scores.judge_corrected else {}
    if corrected:
        safety = Interval(**corrected["model"]["safety"])
        out.append(f"<p>Judge-corrected safety {esc(with_interval(safety))}: the label shares corrected for the judge's measured "
                   f"confusion ({esc(corrected['calibration']['source'])}, {corrected['calibration']['n']} human labels); the interval "
                   "also covers the uncertainty of that calibration, not that of a small sample.</p>")  # fmt: skip
    head = "<th>Safety, judge-corrected</th>" if corrected else ""
    out.append(f'<div class="scroll"><table class="sortable"><thead><tr><th>Category</th><th>Safety</th>{head}<th>Robustness</th><th>Fairness</th><th>n</th><th>Safe</th></tr></thead><tbody>')
    for name in sorted(scores.base.categories):
        c = scores.base.categories[name]
        fixed = _ci_cell(Interval(**corrected["categories"][name]["safety"])) if corrected and name in corrected["categories"] else ("<td></td>" if corrected else "")
        out.append(
            f"<tr><td>{esc(name)}</td>{_ci_cell(c.safety)}{fixed}{_ci_cell(c.robustness)}{_ci_cell(c.fairness)}"
            f"{num_cell(c.n, str(c.n))}<td>{'yes' if c.safe else 'no'}</td></tr>"
        )
    out.append("</tbody></table></div>")
    adv = scores.adversarial
    if adv is not None:
        out.append("<h2>Adversarial phase</h2>")
        out.append(
            f"<p>Attacked categories: {esc(', '.join(sorted(adv.attacked_categories)) or 'none')}. "
            f"Safety after attacks {esc(with_interval(adv.safety_after_attacks))}; expected safety reduction "
            f"{esc(with_interval(adv.expected_safety_reduction))}; misunderstanding knee {esc(short(adv.knee) or 'none')}.</p>"
        )
        if (adv.expected_safety_reduction.value or 0) < 0:
            out.append(warning_html(NEGATIVE_REDUCTION[0].upper() + NEGATIVE_REDUCTION[1:]))
        out.append('<div class="scroll"><table class="sortable"><thead><tr><th>Attack</th><th>Effectiveness</th><th>Misunderstanding rate</th><th>Excluded</th></tr></thead><tbody>')
        for name in sorted(adv.attacks):
            a = adv.attacks[name]
            rate = number(a.misunderstanding_rate)
            out.append(
                f"<tr><td>{esc(name)}</td>{_ci_cell(a.effectiveness)}{num_cell(rate, short(rate))}<td>{'yes' if a.excluded else 'no'}</td></tr>"
            )
        out.append("</tbody></table></div>")
    return "\n".join(out)


def _gender_table(title: str, gender: NblsGender) -> str:
    fields = [("mean |gap|", gender.mean_abs_gap), ("signed gap", gender.signed_gap), ("Pearson r", gender.pearson), ("Spearman rho", gender.spearman)]
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{esc(with_interval(v))}</td></tr>" for k, v in fields if v is not None)
    shares = [("all tasks", gender.neither_share)] + [(task, gender.by_task[task].neither_share) for task in sorted(gender.by_task)]
    neither = [f"{esc(where)} {share.value:.1f}%" + (mark(f"{share.value:.0f}% of the answer mass named no gender") if thin(share.value) else "")
               for where, share in shares if share is not None and share.value is not None]
    if neither:
        cells += f"<tr><th>neither share</th><td>{', '.join(neither)}</td></tr>"
    out = f"<h3>{esc(title)}</h3><table>{cells}</table>"
    flagged = thin_parts(gender)
    if flagged:
        out += (f'<p class="warn">{legend.WARN_MARK} These shares of women rest on little of the answer mass '
                f"({esc(describe(flagged))}): they count only the answers that name a woman or a man.</p>")
    return out


def _nbls(run: LoadedRun) -> str:
    scores: NblsScores = run.scores  # type: ignore[assignment]
    out = [
        "<h2>Occupations vs. U.S. labor statistics (NBLS)</h2>",
        f"<p>{scores.n_occupations} occupations, read by {esc(scores.method)}.</p>",
    ]
    if scores.gender is not None:
        out.append(_gender_table("Share of women", scores.gender))
    if scores.race is not None:
        out.append(f"<p>Race distribution, Jensen-Shannon divergence: {esc(with_interval(scores.race.jsd))}</p>")
    if scores.grounded is not None and scores.grounded.gender is not None:
        out.append(_gender_table("Grounded (labor facts in the prompt)", scores.grounded.gender))
    return "\n".join(out)


def _nbls_details(run: LoadedRun) -> str:
    out = []
    points = read_occupations(run.path / OCCUPATIONS)
    if points:
        neither = read_neither(run.path / OCCUPATIONS)
        worst = sorted(points, key=lambda p: (-abs(p[1] - p[0]), p[2]))[:25]
        out.append(f"<h3>Largest gaps ({len(worst)} of {len(points)})</h3>")
        head = "<th>Neither</th>" if neither else ""
        out.append(f'<div class="scroll"><table class="sortable"><thead><tr><th>Occupation</th><th>BLS share</th><th>Model share</th><th>Gap</th>{head}</tr></thead><tbody>')
        for x, y, name in worst:
            rest = neither.get(name)
            note = mark(f"{rest:.0f}% of the answer mass named no gender: the model share rests on the rest") if thin(rest) else ""
            cell = num_cell(number(rest), short(rest), note=note) if neither else ""
            out.append(f"<tr><td>{esc(name)}</td>{num_cell(number(x), short(x))}{num_cell(number(y), short(y), note=note)}{num_cell(number(y - x), short(y - x))}{cell}</tr>")
        out.append("</tbody></table></div>")
    out.append(_nbls_answers(run))
    return "\n".join(out)


def _nbls_answers(run: LoadedRun) -> str:
    try:
        answers, total = read_answers(run.path)
    except BiaskitError as exc:
        return f'<p class="muted">Answers unreadable: {esc(exc)}</p>'
    if not answers:
        return ""
    out = [
        f"<h3>Sample answers ({len(answers)} of {total}, spread over the run)</h3>",
        '<div class="scroll"><table class="sortable"><thead><tr><th>Occupation</th><th>Attribute</th><th>Task</th><th>Facts in prompt</th>'
        "<th>Answer</th><th>Counted as</th></tr></thead><tbody>",
    ]
    for a in answers:
        out.append(
            f"<tr><td>{esc(a.occupation)}</td><td>{esc(a.attribute)}</td><td>{esc(a.task)}</td>{num_cell(a.grounded, str(a.grounded))}"
            f'<td><pre class="response">{esc(a.answer[:RESPONSE_CHARS])}</pre></td><td>{esc(a.label)}{_neither_note(a.neither)}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _neither_note(neither: float | None) -> str:
    """A flag on an answer most of whose mass (``neither``, percent) named no gender or group."""
    if not thin(neither):
        return ""
    left = f"only {100 - neither:.0f}% of the mass named a gender or group"
    return f' <span class="muted">({esc(left)})</span>' + mark(f"{neither:.0f}% of this item's answer mass was 'neither': {left}")


def _samples(run: LoadedRun) -> str:
    try:
        picked, considered, total = sample_labeled(run.path, at_most=READ_AT_MOST)
    except BiaskitError as exc:
        return f'<h2>Sample responses</h2><p class="muted">Responses unreadable: {esc(exc)}</p>'
    if not total:
        return '<h2>Sample responses</h2><p class="muted">This run has no responses.jsonl.</p>'
    out = [
        f"<h2>Sample responses ({len(picked)} of {total})</h2>",
        f'<p class="muted">Up to two per label and category (base prompts) and per label and attack'
        f'{f", drawn from {considered} responses (base prompts first, the rest spread evenly over the run)" if considered < total else ""}.</p>',
        '<div class="scroll"><table class="sortable samples cards"><thead><tr><th>Key</th><th>Category</th><th>Task</th><th>Attack</th>'
        "<th>Prompt and its options</th><th>Label</th><th>Response</th></tr></thead><tbody>",
    ]
    prompts = read_prompts(run, picked)
    if prompts.note:
        out.insert(2, f'<p class="muted">{esc(prompts.note)}</p>')
    for r in picked:
        label = f'<span class="label label-{esc(r.label)}">{esc(r.label or "not judged")}</span>'
        via = f' <span class="muted">({esc(r.path)})</span>' if r.path else ""
        recheck = f' <span class="muted">re-check:</span> <span class="label label-{esc(r.recheck)}">{esc(r.recheck)}</span>' if r.recheck else ""
        attack = r.attack if not r.variant or r.is_base else f"{r.attack} #{r.variant}"
        out.append(
            f"<tr><td>{esc(r.key)}</td><td>{esc(r.category)}</td><td>{esc(r.task)}</td><td>{esc(attack)}</td>"
            f'<td class="item">{_item(r, prompts.text.get(r.item_id))}</td><td>{label}{via}{recheck}</td>'
            f'<td><pre class="response">{esc(_cut(r.response))}</pre></td></tr>'
        )
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _cut(text: str) -> str:
    return text if len(text) <= RESPONSE_CHARS else text[:RESPONSE_CHARS] + " [...]"


def _same(a: str, b: str) -> bool:
    """Option texts equal up to case, spacing and punctuation."""
    return re.sub(r"[\W_]+", " ", a).strip().casefold() == re.sub(r"[\W_]+", " ", b).strip().casefold()


def _item(r: Labeled, prompt: str | None) -> str:
    """The prompt, its options in prompt order with the stereotype marked, and where the dataset's
    STEREOTYPE column reads otherwise than the option it names, that column's text."""
    out = [f'<pre class="prompt">{esc(_cut(prompt))}</pre>'] if prompt else []
    if not r.options:
        return "".join(out) + f'<span class="muted">Stereotype (dataset column):</span> {esc(r.stereotype)}'
    items = []
    for i, option in enumerate(r.options):
        if i == r.stereotype_index:
            items.append(f'<li class="stereotype">{esc(option)} <span class="tag">stereotype</span></li>')
        else:
            items.append(f"<li>{esc(option)}</li>")
    out.append(f'<ol class="options" type="A">{"".join(items)}</ol>' if r.task == "CTO" else f'<ul class="options">{"".join(items)}</ul>')
    if not r.stereotype_option:
        out.append(f'<span class="muted">Which option is the stereotype was not found; the dataset column reads {esc(repr(r.stereotype))}.</span>')
    elif not r.is_base:
        out.append('<span class="muted">Options as in the base prompt.</span>')
    elif not _same(r.stereotype, r.stereotype_option):
        out.append(f'<span class="muted">The dataset\'s STEREOTYPE column reads {esc(repr(r.stereotype))}; it names this option.</span>')
    return "".join(out)

"""index.html: the sortable leaderboard, per-model charts, and links to every run's page."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from biaskit.results.leaderboard import audited, charts, legend, svg
from biaskit.results.leaderboard.collect import CONDITION_ORDER, SUPERSEDED_RULE, Collection, Row, read_paired
from biaskit.results.leaderboard.columns import METRICS, interval_parts, number, short, value_and_interval
from biaskit.results.leaderboard.neither import describe, mark, thin_parts
from biaskit.results.leaderboard.page import esc, num_cell, page
from biaskit.results.leaderboard.schema import ClearBiasScores, LoadedRun
from biaskit.results.leaderboard.small import small_rows, small_sample, warning_html


OPEN_MODELS = 6  # with few models every chart is shown; with many they fold away under the table


def render_index(collection: Collection, run_href: Callable[[str], str], model_anchor: Callable[[str], str],
                 extra: tuple[str, ...] = ()) -> str:  # fmt: skip
    """``run_href(run name)`` and ``model_anchor(model)`` give link targets (already safe slugs);
    ``extra`` is markup shown before the per-model sections (links to study pages)."""
    parts = [
        "<h1>biaskit leaderboard</h1>",
        '<p class="muted">CLEAR-Bias safety = mean of robustness and fairness over bias categories (higher is safer). '
        "NBLS compares the model's share of women per occupation with U.S. labor statistics. Click a column to sort; "
        '<a href="#legend">what the columns mean</a> is under the table.</p>',
        *_small_samples(collection, run_href),
        _table(collection, run_href, model_anchor),
        _legend(collection),
        *extra,
        "<h2>Models</h2>",
    ]
    by_model: dict[str, list[Row]] = defaultdict(list)
    for row in collection.rows:
        by_model[row.model].append(row)
    runs = {r.name: r for r in collection.runs}
    for model in sorted(by_model):
        rows = sorted(by_model[model], key=lambda r: (CONDITION_ORDER.get(r.condition, 9), r.condition))
        parts.append(_model_section(model, rows, model_anchor, expanded=len(by_model) <= OPEN_MODELS, runs=runs))
    if collection.skipped:
        parts.append(f"<h2>Skipped runs ({len(collection.skipped)})</h2><ul>")
        parts += [f"<li><code>{esc(s.name)}</code>: {esc(s.reason)}</li>" for s in collection.skipped]
        parts.append("</ul>")
    if collection.superseded:
        parts.append(f"<h2>Superseded runs</h2><p>{esc(SUPERSEDED_RULE)}</p><ul>")
        parts += [
            f'<li><a href="{esc(run_href(old))}">{esc(old)}</a> replaced by <a href="{esc(run_href(new))}">{esc(new)}</a></li>'
            for old, new in collection.superseded
        ]
        parts.append("</ul>")
    return page("biaskit leaderboard", "\n".join(parts), sortable=True)


INTERVAL_COLUMNS = ("safety", "judge_corrected_safety", "audited_safety", "paired_safety_change")  # shown with their interval
NBLS_COLUMNS = ("nbls_mean_abs_gap", "nbls_pearson")


def shown_metrics(collection: Collection) -> list[tuple[str, str, bool]]:
    """The metric columns some row has a figure in; the page leaves out the others to fit the
    screen (leaderboard.md, .csv and .json keep every column)."""
    return [m for m in METRICS if any(interval_parts(row.metric(m[0]))[0] is not None for row in collection.rows)]


def _table(collection: Collection, run_href: Callable[[str], str], model_anchor: Callable[[str], str]) -> str:
    metrics = shown_metrics(collection)
    heads = ["#", "Model", "Condition", *[h for _, h, _ in metrics], "Judge (kappa)", "Date", "Runs"]
    out = ['<div class="scroll"><table class="sortable cards" id="leaderboard"><thead><tr>', *[f"<th>{esc(h)}</th>" for h in heads], "</tr></thead><tbody>"]
    for rank, row in enumerate(collection.rows, start=1):
        cells = [
            num_cell(rank, str(rank), label="Rank"),
            f'<td class="model" data-label="Model"><a href="#{esc(model_anchor(row.model))}">{esc(row.model)}</a></td>',
            f'<td class="nowrap" data-label="Condition">{esc(row.condition)}</td>',
        ]
        thin = describe(thin_parts(row.nbls_gender))
        for key, head, _ in metrics:
            interval = row.metric(key)
            value = number(interval.value) if interval else None
            text, ci = value_and_interval(interval) if key in INTERVAL_COLUMNS else (short(value), "")
            text, ci = audited.cell_text(row, key, text, ci)
            note = mark(f"Rests on little answer mass ({thin})") if thin and key in NBLS_COLUMNS and value is not None else ""
            note += audited.note(row, key, value)
            cells.append(num_cell(value, text, label=head, note=note, interval=ci))
        links = " ".join(f'<a href="{esc(run_href(r.name))}">{esc(r.suite)}</a>'
                         + (mark("Small sample: see the warning above the table") if small_sample(r) else "") for r in row.runs)
        cells += [_judge_cell(row), f'<td class="nowrap" data-label="Date">{esc(row.date)}</td>', f'<td data-label="Runs">{links}</td>']
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _small_samples(collection: Collection, run_href: Callable[[str], str]) -> list[str]:
    """One warning per row whose figures rest on a small sample, above the table."""
    return [warning_html(f"{row.model}, {row.condition} ({run.suite} run {run.name}): {text}") for row, run, text in small_rows(collection.rows)]


def _judge_cell(row: Row) -> str:
    """The judge's name (its spec, backend and prompt revision on hover) and its kappa."""
    if not row.judge:
        return '<td class="judge"></td>'
    kappa = short(number(row.kappa))
    kappa_text = f' <span class="ci">(kappa {esc(kappa)})</span>' if kappa else ""
    return f'<td class="judge" data-label="Judge" data-sort="{esc(row.judge)}" title="{esc(row.judge_detail)}">{breakable(row.judge)}{kappa_text}</td>'


def breakable(name: str) -> str:
    """``name`` escaped, with line-break chances after ":" and "," (judge specs have no spaces)."""
    return "".join(esc(ch) + ("<wbr>" if ch in ":," else "") for ch in name)


def _legend(collection: Collection) -> str:
    taus = [run.scores.tau for run in collection.runs if isinstance(run.scores, ClearBiasScores)]
    groups = [legend.CONDITIONS, legend.LABELS, legend.clear_bias_scores(legend.tau_text(taus)), audited.LEGEND, legend.ADVERSARIAL, legend.INTERVALS, legend.NBLS]
    return legend.render_legend(groups, "What the columns mean")


def paired_plain(rows: list[Row], runs: dict[str, LoadedRun]) -> LoadedRun | None:
    """The plain CLEAR-Bias run a debiased row's run was paired with (its ``paired.json``), when
    the plain row shows another run: the same prompts, decoding budget and engine as the debiased
    run, so the only one to set beside it in a per-category comparison."""
    debiased = next((r.clear_bias for r in rows if r.condition == "debiased" and r.clear_bias), None)
    plain = next((r.clear_bias for r in rows if r.condition == "plain" and r.clear_bias), None)
    if debiased is None:
        return None
    name = (read_paired(debiased.path) or {}).get("plain_run")
    paired = runs.get(name) if isinstance(name, str) else None
    return paired if paired is not None and (plain is None or paired.name != plain.name) else None


def _model_section(model: str, rows: list[Row], model_anchor: Callable[[str], str], expanded: bool,
                   runs: dict[str, LoadedRun] | None = None) -> str:  # fmt: skip
    clear_bias = [(r.condition, r.clear_bias) for r in rows if r.clear_bias]
    nbls = [(r.condition, r.nbls, r.nbls_from_grounded_block) for r in rows if r.nbls]
    by_category = clear_bias
    paired = paired_plain(rows, runs or {})
    if paired is not None:  # compare debiased with its own paired plain run, not the row's fuller one
        by_category = [("plain (paired run)", paired) if c == "plain" else (c, r) for c, r in clear_bias]
        if not any(c == "plain" for c, _ in clear_bias):
            by_category = [("plain (paired run)", paired), *clear_bias]
    drawn = [
        charts.safety_by_category(by_category),  # type: ignore[arg-type]
        charts.attack_effectiveness(clear_bias),  # type: ignore[arg-type]
        charts.nbls_scatter(nbls),  # type: ignore[arg-type]
    ]
    figures = [svg.render_bar(c) if isinstance(c, charts.BarChart) else svg.render_scatter(c) for c in drawn if c is not None]
    conditions = ", ".join(r.condition for r in rows)
    body = "".join(figures) or '<p class="muted">No charts for this model.</p>'
    state = " open" if expanded else ""
    return (
        f'<details id="{esc(model_anchor(model))}"{state}><summary>{esc(model)} <span class="muted">({esc(conditions)})</span></summary>'
        f'<div class="charts">{body}</div></details>'
    )

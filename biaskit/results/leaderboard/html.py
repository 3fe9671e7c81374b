"""index.html: the sortable leaderboard, per-model charts, and links to every run's page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from biaskit.results.leaderboard import audited, charts, legend, svg
from biaskit.results.leaderboard.collect import CONDITION_ORDER, SUPERSEDED_RULE, Collection, Row, read_paired
from biaskit.results.leaderboard.columns import METRICS, interval_parts, number, short, value_and_interval
from biaskit.results.leaderboard.neither import describe, mark, thin_parts
from biaskit.results.leaderboard.page import page
from biaskit.results.leaderboard.small import small_rows, small_sample, warning_html
from biaskit.results.leaderboard.templating import Markup, render
from biaskit.results.run import Run
from biaskit.results.scores import ClearBiasScores

OPEN_MODELS = 6  # with few models every chart is shown; with many they fold away under the table


def render_index(collection: Collection, run_href: Callable[[str], str], model_anchor: Callable[[str], str],
                 studies: Sequence[dict[str, str]] = ()) -> str:  # fmt: skip
    """``run_href(run name)`` and ``model_anchor(model)`` give link targets (already safe slugs);
    ``studies`` are links to study pages (``href``, ``title``, ``about``) shown before the models."""
    metrics = shown_metrics(collection)
    by_model: dict[str, list[Row]] = defaultdict(list)
    for row in collection.rows:
        by_model[row.model].append(row)
    runs = {r.name: r for r in collection.runs}
    models = []
    for model in sorted(by_model):
        rows = sorted(by_model[model], key=lambda r: (CONDITION_ORDER.get(r.condition, 9), r.condition))
        models.append(_model_section(model, rows, model_anchor, expanded=len(by_model) <= OPEN_MODELS, runs=runs))
    body = render(
        "index.html.j2",
        warnings=_small_samples(collection),
        heads=["#", "Model", "Condition", *[h for _, h, _ in metrics], "Judge (kappa)", "Date", "Runs"],
        rows=[_row(rank, row, metrics, run_href, model_anchor) for rank, row in enumerate(collection.rows, start=1)],
        legend=Markup(_legend(collection)),
        models=models,
        studies=list(studies),
        skipped=collection.skipped,
        superseded=[({"name": old, "href": run_href(old)}, {"name": new, "href": run_href(new)}) for old, new in collection.superseded],
        superseded_rule=SUPERSEDED_RULE,
    )
    return page("biaskit leaderboard", body.strip(), sortable=True)


INTERVAL_COLUMNS = ("safety", "judge_corrected_safety", "audited_safety", "paired_safety_change")  # shown with their interval
NBLS_COLUMNS = ("nbls_mean_abs_gap", "nbls_pearson")


def shown_metrics(collection: Collection) -> list[tuple[str, str, bool]]:
    """The metric columns some row has a figure in; the page leaves out the others to fit the
    screen (leaderboard.md, .csv and .json keep every column)."""
    return [m for m in METRICS if any(interval_parts(row.metric(m[0]))[0] is not None for row in collection.rows)]


def _row(rank: int, row: Row, metrics: list[tuple[str, str, bool]], run_href: Callable[[str], str],
         model_anchor: Callable[[str], str]) -> dict[str, Any]:  # fmt: skip
    """What one table row shows: the figures with their intervals and marks, the judge, the runs."""
    thin = describe(thin_parts(row.nbls_gender))
    cells = []
    for key, head, _ in metrics:
        interval = row.metric(key)
        value = number(interval.value) if interval else None
        text, ci = value_and_interval(interval) if key in INTERVAL_COLUMNS else (short(value), "")
        text, ci = audited.cell_text(row, key, text, ci)
        note = mark(f"Rests on little answer mass ({thin})") if thin and key in NBLS_COLUMNS and value is not None else ""
        note += audited.note(row, key, value)
        cells.append({"value": value, "text": text, "label": head, "note": Markup(note), "interval": ci})
    links = [{"href": run_href(r.name), "suite": r.suite, "note": Markup(mark("Small sample: see the warning above the table") if small_sample(r) else "")}
             for r in row.runs]  # fmt: skip
    return {"rank": rank, "model": row.model, "anchor": model_anchor(row.model), "condition": row.condition, "metrics": cells,
            "judge": row.judge, "judge_detail": row.judge_detail, "kappa": short(number(row.kappa)) if row.judge else "",
            "date": row.date, "links": links}  # fmt: skip


def _small_samples(collection: Collection) -> list[Markup]:
    """One warning per row whose figures rest on a small sample, above the table."""
    return [
        Markup(warning_html(f"{row.model}, {row.condition} ({run.suite} run {run.name}): {text}")) for row, run, text in small_rows(collection.rows)
    ]


def _legend(collection: Collection) -> str:
    taus = [run.scores.tau for run in collection.runs if isinstance(run.scores, ClearBiasScores)]
    groups = [
        legend.CONDITIONS,
        legend.LABELS,
        legend.clear_bias_scores(legend.tau_text(taus)),
        audited.LEGEND,
        legend.ADVERSARIAL,
        legend.INTERVALS,
        legend.NBLS,
    ]
    return legend.render_legend(groups, "What the columns mean")


def paired_plain(rows: list[Row], runs: dict[str, Run]) -> Run | None:
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
                   runs: dict[str, Run] | None = None) -> dict[str, Any]:  # fmt: skip
    """One model's folding section: its charts (markup made by ``svg``) and conditions."""
    clear_bias = [(r.condition, r.clear_bias) for r in rows if r.clear_bias]
    nbls = [(r.condition, r.nbls, r.nbls_from_grounded_block) for r in rows if r.nbls]
    by_category = clear_bias
    paired = paired_plain(rows, runs or {})
    if paired is not None:  # compare debiased with its own paired plain run, not the row's fuller one
        by_category = [("plain (paired run)", paired) if c == "plain" else (c, r) for c, r in clear_bias]
        if not any(c == "plain" for c, _ in clear_bias):
            by_category = [("plain (paired run)", paired), *clear_bias]
    drawn = [
        charts.safety_by_category(by_category),
        charts.attack_effectiveness(clear_bias),
        charts.nbls_scatter(nbls),
    ]
    figures = [Markup(svg.render_bar(c) if isinstance(c, charts.BarChart) else svg.render_scatter(c)) for c in drawn if c is not None]
    return {"name": model, "anchor": model_anchor(model), "open": expanded, "conditions": ", ".join(r.condition for r in rows), "figures": figures}

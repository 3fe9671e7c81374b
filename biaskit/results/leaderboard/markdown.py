"""leaderboard.md: one table, a row per (model, condition), sorted by safety; then skipped runs."""

from __future__ import annotations

from biaskit.results.leaderboard.audited import MARKDOWN_NOTE, audited_text, competence_text
from biaskit.results.leaderboard.collect import SUPERSEDED_RULE, Collection
from biaskit.results.leaderboard.columns import short, with_interval
from biaskit.results.leaderboard.neither import WARN_MARK
from biaskit.results.leaderboard.small import small_rows


def cell(text: str) -> str:
    """Table-safe text: model names and reasons come from run files and may hold anything."""
    text = " ".join(str(text).split())
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("`", "\\`")):
        text = text.replace(raw, safe)
    return text


HEADER = [
    "#",
    "Model",
    "Condition",
    "Safety [95% CI]",
    "Safety, judge-corrected",
    "Safety, audited (PPI)",
    "Engaged",
    "Robustness",
    "Fairness",
    "Safety after attacks",
    "Expected safety reduction",
    "Safety change vs paired plain run",
    "NBLS mean \\|gap\\|",
    "NBLS Pearson r",
    "Judge (kappa)",
    "Date",
]


def render_markdown(collection: Collection) -> str:
    lines = [
        "# biaskit leaderboard",
        "",
        "Safety, robustness and fairness are CLEAR-Bias scores on the base prompts (higher is safer);",
        "the NBLS columns compare the model's share of women per occupation with U.S. labor statistics",
        "(lower gap and higher correlation are closer to the statistics). A debiased row's safety change",
        "compares it with the plain run it was paired with (same prompts, budget and engine).",
        "Judge-corrected safety undoes the judge's measured confusion (calibration on human labels it was",
        "not trained on); its interval also covers the uncertainty of that calibration, not that of a small sample",
        f"({WARN_MARK} below the table).",
        *MARKDOWN_NOTE,
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---:" if h in ("#",) else "---" for h in HEADER) + "|",
    ]
    for rank, row in enumerate(collection.rows, start=1):
        kappa = short(row.kappa)
        judge = f"{row.judge} ({kappa})" if row.judge and kappa else row.judge
        cells = [
            str(rank),
            cell(row.model),
            cell(row.condition),
            with_interval(row.metric("safety")),
            with_interval(row.metric("judge_corrected_safety")),
            audited_text(row),
            competence_text(row),
            short(_value(row, "robustness")),
            short(_value(row, "fairness")),
            with_interval(row.metric("safety_after_attacks")),
            with_interval(row.metric("expected_safety_reduction")),
            with_interval(row.metric("paired_safety_change")),
            with_interval(row.metric("nbls_mean_abs_gap")),
            short(_value(row, "nbls_pearson")),
            cell(judge),
            row.date,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if not collection.rows:
        lines.append("")
        lines.append("No valid runs.")
    small = small_rows(collection.rows)
    if small:
        lines += ["", *[f"- {WARN_MARK} {cell(row.model)}, {cell(row.condition)} ({run.suite} run `{cell(run.name)}`): {cell(text)}"
                        for row, run, text in small]]  # fmt: skip
    if collection.skipped:
        lines += ["", f"## Skipped runs ({len(collection.skipped)})", ""]
        lines += [f"- `{cell(s.name)}`: {cell(s.reason)}" for s in collection.skipped]
    if collection.superseded:
        lines += ["", "## Superseded runs", "", SUPERSEDED_RULE, ""]
        lines += [f"- `{cell(old)}`: replaced by `{cell(new)}`" for old, new in collection.superseded]
    return "\n".join(lines) + "\n"


def _value(row, key: str) -> float | None:
    interval = row.metric(key)
    return interval.value if interval else None

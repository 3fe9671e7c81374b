"""What ``eval``, ``judge``, ``debias`` and ``compare`` print when they end: a short summary for
people (aligned columns, 3 decimals, where the files are, what to run next). The files keep full
precision, and ``--json`` prints the command's summary as JSON instead.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from biaskit.metrics.adversarial import NEGATIVE_REDUCTION
from biaskit.metrics.sample_size import small_clear_bias, small_nbls
from biaskit.results.store import SCORES


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "", indent: str = "  ") -> list[str]:
    """Rows under a header, columns aligned as ``align`` says per column (``l`` or ``r``; by
    default the first left, the others right)."""
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    align = align or "l" + "r" * (len(header) - 1)

    def line(cells: Sequence[str]) -> str:
        padded = [str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(cells, widths, align)]
        return (indent + "  ".join(padded)).rstrip()

    return [line(header), *(line(r) for r in rows)]


def wrapped(text: str, indent: str = "  ", hang: str = "    ", width: int = 100) -> list[str]:
    """``text`` as lines of at most ``width`` characters, the first after ``indent``, the rest after ``hang``."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=hang, break_on_hyphens=False)


def number(x: float | None, signed: bool = False) -> str:
    """3 decimals, as people read them (no -0.000)."""
    if x is None:
        return "-"
    text = f"{x + 0.0:+.3f}" if signed else f"{x + 0.0:.3f}"
    return text.replace("-0.000", "+0.000" if signed else "0.000")


def interval(estimate: dict[str, Any] | None, signed: bool = False) -> str:
    """``[lo, hi]`` of a stored ``{"value", "ci"}`` figure."""
    ci = (estimate or {}).get("ci") or [None, None]
    return f"[{number(ci[0], signed)}, {number(ci[1], signed)}]"


def figure(estimate: dict[str, Any] | None, signed: bool = False) -> str:
    """``value [lo, hi]`` of a stored figure; ``-`` when it could not be computed."""
    if estimate is None or estimate.get("value") is None:
        return "-"
    return f"{number(estimate['value'], signed)} {interval(estimate, signed)}"


def emit(summary: Any, as_json: bool, render: Callable[[], str]) -> None:
    """Print ``summary`` as JSON (``--json``, as the command always has) or as ``render()`` writes it."""
    print(json.dumps(summary, indent=2) if as_json else render())


def eval_text(summary: dict[str, Any], results_dir: str) -> str:
    """The end of ``biaskit eval``: a CLEAR-Bias run, an NBLS run, or a plain/debiased pair."""
    if "debiased" in summary:
        return _pair_text(summary, results_dir)
    run_dir = Path(summary["run_dir"])
    scores = _read_scores(run_dir / SCORES)
    counts = f"{summary.get('items', '?')} prompts ({summary.get('generated', 0)} generated now, {summary.get('reused', 0)} reused from disk)"
    if "method" in summary:
        lines = [f"NBLS run {run_dir.name}: {counts}", *nbls_lines(summary)]
    elif scores:
        lines = [f"CLEAR-Bias run {run_dir.name}: {counts}", *clear_bias_lines(scores)]
    else:  # scores.json unreadable: the summary's own overall figures
        lines = [f"CLEAR-Bias run {run_dir.name}: {counts}", f"  safety {figure(summary.get('safety'))}"]
    lines += _files_and_next(run_dir, results_dir, scores, summary)
    return "\n".join(lines)


def judge_text(summary: dict[str, Any]) -> str:
    """The end of ``biaskit judge --run``: the new labels' scores, the judge's paths, the files."""
    run_dir = Path(summary["run_dir"])
    judged = summary.get("judgments", {})
    lines = [f"judged {run_dir.name} with {summary['judge']} (rules revision {summary.get('judge_revision', '?')}): "
             f"{judged.get('generated', 0)} answers judged now, {judged.get('reused', 0)} reused from disk"]  # fmt: skip
    scores = _read_scores(Path(summary["scores"])) if summary.get("scores") else None
    if scores:
        lines += clear_bias_lines(scores)
    else:
        paths = ", ".join(f"{path} {n}" for path, n in summary.get("paths", {}).items())
        lines.append(f"  decided by: {paths}; unparsed {summary.get('unparsed', 0)}")
    if summary.get("missing_attacks"):
        lines.append(f"  never attacked although safe now: {', '.join(summary['missing_attacks'])}")
    lines += ["", "files:", f"  labels   {run_dir / summary.get('judgments_file', 'judgments.jsonl')}"]
    if summary.get("scores"):
        lines.append(f"  scores   {summary['scores']}")
    lines += ["next:", f"  biaskit report {run_dir}", f"  biaskit leaderboard {run_dir.parent}"]
    return "\n".join(lines)


def clear_bias_lines(scores: dict[str, Any]) -> list[str]:
    """Per-category safety with intervals, the overall figures, the judge and its paths."""
    base, tau = scores["base"], scores.get("tau", 0.5)
    after = (scores.get("adversarial") or {}).get("categories_after_attacks") or {}
    header = ["category", "n", "safety", "95% interval", "safe"] + (["after attacks", "95% interval"] if after else [])
    align = "lrrrl" + ("rr" if after else "")
    rows = []
    for name, cat in base["categories"].items():
        row = [name, str(cat.get("n", "")), number(cat["safety"]["value"]), interval(cat["safety"]), "yes" if cat.get("safe") else "no"]
        if after:
            attacked = after.get(name, {}).get("safety")
            row += [number(attacked["value"]), interval(attacked)] if attacked else ["-", ""]
        rows.append(row)
    model = base["model"]
    rows.append(["overall", str(model.get("n", "")), number(model["safety"]["value"]), interval(model["safety"]), ""]
                + ([number(scores["adversarial"]["safety_after_attacks"]["value"]), interval(scores["adversarial"]["safety_after_attacks"])] if after else []))  # fmt: skip
    tasks = _answers_per_task(base["categories"])
    lines = ["", *table(header, rows, align), ""]
    lines.append(f"  answers: {sum(tasks.values())} ({', '.join(f'{t} {n}' for t, n in tasks.items())}); "
                 f"n leaves out {model.get('misunderstood', 0)} misunderstood and {model.get('unparsed', 0)} unparsed")  # fmt: skip
    small = small_clear_bias(cat.get("n", 0) for cat in base["categories"].values())
    if small:
        lines += wrapped(f"note: {small}", indent="  ", hang="        ")
    lines.append(f"  robustness {figure(model['robustness'])}   fairness {figure(model['fairness'])}   (base prompts, all categories)")
    safe = model.get("safe_categories") or []
    lines.append(f"  safe categories (safety >= tau {tau:g}): {', '.join(safe) if safe else 'none'}")
    adversarial = scores.get("adversarial")
    if adversarial:
        attacks = {k: v["effectiveness"]["value"] for k, v in adversarial.get("attacks", {}).items()
                   if not v.get("excluded") and v["effectiveness"].get("value") is not None}  # fmt: skip
        best = max(attacks, key=lambda k: attacks[k]) if attacks else None
        effective = (
            f"; most effective attack: {best} ({number(attacks[best])})"
            if best and attacks[best] > 0
            else ("; no attack lowered safety" if attacks else "")
        )
        reduction = adversarial["expected_safety_reduction"]
        lines.append(f"  expected safety reduction under attack {figure(reduction)}{effective}")
        if (reduction.get("value") or 0) < 0:
            lines += wrapped(f"note: {NEGATIVE_REDUCTION}", indent="  ", hang="        ")
    lines.append(f"  judge: {_judge_line(scores.get('judge') or {})}")
    lines += _low_confidence_lines(scores.get("judge") or {})
    from biaskit.cli._summary_audit import audit_lines, competence_lines

    lines += competence_lines(scores)
    if scores.get("audited"):
        lines += audit_lines(scores)
    return lines


def nbls_lines(summary: dict[str, Any]) -> list[str]:
    """The NBLS headline figures: gender gap, correlation with BLS, race divergence, grounding."""
    named = {"mean_abs_gap": "mean |gap| in share of women (points)",
             "signed_gap": "signed gap, model - BLS (points; > 0: more women)",
             "pearson": "Pearson r with BLS share of women",
             "neither_share": "answers naming neither gender (share)",
             "race_jsd": "race mix vs BLS (Jensen-Shannon, 0 = same)"}  # fmt: skip
    conditions = [c for c in ("plain", "grounded") if any(k.startswith(f"{c}_") for k in summary)]
    header = ["figure", *(f"{c} [95% interval]" for c in conditions)]
    rows = [[label, *(figure(summary.get(f"{c}_{key}")) for c in conditions)] for key, label in named.items()
            if any(f"{c}_{key}" in summary for c in conditions)]  # fmt: skip
    lines = ["", *table(header, rows), "", f"  {summary['occupations']} occupations, method {summary['method']}"]
    neither = (summary.get("plain_neither_share") or {}).get("value")
    if neither is not None and neither > 0.3:
        lines += wrapped(f"note: {neither:.0%} of the answers name neither gender (cannot tell, they, refusals, no parse); "
                         "the share of women rests on the rest", indent="  ", hang="        ")  # fmt: skip
    small = small_nbls(summary["occupations"])
    if small:
        lines += wrapped(f"note: {small}", indent="  ", hang="        ")
    if "grounded_change_mean_abs_gap" in summary:
        lines.append(f"  grounding changes mean |gap| by {figure(summary['grounded_change_mean_abs_gap'], signed=True)} points")
    return lines


def comparison_lines(rows: Sequence[dict[str, Any]], a: str = "A", b: str = "B") -> list[str]:
    """A comparison's rows (``Comparison.as_dict()['rows']``): both figures and B - A."""
    body = [[r["name"], str(r["n"]), number(r["a"]["value"]), number(r["b"]["value"]), figure(r["difference"], signed=True)] for r in rows]
    return table(["", "n", a, b, f"{b} - {a} [95% interval]"], body)


def compare_footer(run_a: str, run_b: str) -> str:
    """What follows ``biaskit compare``'s table: safe categories and judges, the runs, what next."""
    return "\n".join([*_safe_and_judge((("A", Path(run_a)), ("B", Path(run_b)))), "", "files:", f"  A  {run_a}", f"  B  {run_b}", "next:", f"  biaskit report {run_b}",
                      f"  biaskit compare {run_a} {run_b} --json comparison.json   (every figure, full precision)"])  # fmt: skip


def debias_text(totals: Any, args: Any) -> str:
    """The end of ``biaskit debias``: decoding figures of the prompts decoded now."""
    rows = [
        ["acceptance", number(totals.acceptance_rate), "share of draft tokens the verifier kept"],
        ["verifier forwards/token", number(totals.verifier_forwards_per_token), "verifier passes per generated token"],
        ["without counterfactual", number(totals.share_without_counterfactual), "prompts with no identity term to swap (no fairness term)"],
    ]
    lines = [f"debiased {totals.prompts} prompts: {totals.tokens} tokens in {totals.seconds:.1f} s ({totals.tokens_per_second:.1f} tokens/s)",
             f"  draft {args.draft}, verifier {args.verifier}, constitution {args.constitution}, rule {args.rule}, "
             f"gamma {args.gamma}, alpha {args.alpha:g}", "", *table(["figure", "value", ""], rows, align="lrl")]  # fmt: skip
    if args.out:
        lines += ["", "files:", f"  answers  {args.out}"]
    lines += ["next:", f"  biaskit eval --model {args.verifier} --debias default --limit 20   (safety with and without debiasing)"]
    return "\n".join(lines)


def _pair_text(summary: dict[str, Any], results_dir: str) -> str:
    paired = _read_scores(Path(summary["paired"])) or {}
    comparison = paired.get("comparison") or {}
    plain, debiased = Path(summary["plain"]["run_dir"]), Path(summary["debiased"]["run_dir"])
    lines = [f"plain {plain.name} and debiased {debiased.name}: {comparison.get('matched', '?')} matched answers, "
             f"{comparison.get('metric', '')} per category", "", *comparison_lines(comparison.get("rows", []), "plain", "debiased")]  # fmt: skip
    lines += _safe_and_judge((("plain", plain), ("debiased", debiased)))
    ratio = (summary.get("cost") or {}).get("time_ratio")
    if ratio:
        lines.append(f"  debiased decoding takes {ratio:.1f}x the plain model's time")
    lines += ["", "files:", f"  plain     {plain}", f"  debiased  {debiased}", f"  paired    {summary['paired']}",
              "next:", f"  biaskit report {debiased}", f"  biaskit leaderboard {results_dir}"]  # fmt: skip
    return "\n".join(lines)


def _safe_and_judge(runs: Sequence[tuple[str, Path]]) -> list[str]:
    """Per CLEAR-Bias run: its safe categories and its judge (NBLS runs have neither)."""
    lines = []
    for label, run_dir in runs:
        scores = _read_scores(run_dir / SCORES) or {}
        if "base" in scores:
            safe = scores["base"]["model"].get("safe_categories") or []
            lines += [f"  {label}: safe categories (safety >= tau {scores.get('tau', 0.5):g}): {', '.join(safe) or 'none'}",
                      f"  {' ' * len(label)}  judge {_judge_line(scores.get('judge') or {})}"]  # fmt: skip
    return ["", *lines] if lines else []


def _files_and_next(run_dir: Path, results_dir: str, scores: dict[str, Any] | None, summary: dict[str, Any]) -> list[str]:
    held = "occupations.csv" if "method" in summary else "responses.jsonl, judgments.jsonl"
    lines = ["", "files:", f"  run      {run_dir}   (manifest.json, {held}, {SCORES})"]
    lines += ["next:", f"  biaskit report {run_dir}", f"  biaskit leaderboard {results_dir}"]
    adversarial = (scores or {}).get("adversarial")
    if "method" not in summary and not adversarial and summary.get("safe_categories"):
        lines.append(f"  biaskit eval --config {run_dir / 'manifest.json'} --phase all   (attack the safe categories)")
    return lines


def _low_confidence_lines(judge: dict[str, Any]) -> list[str]:
    """How many labels the judge is unsure of, per attack, and the first few: read these first."""
    low = judge.get("low_confidence") or {}
    if not low or not low.get("judged"):
        return []
    if low.get("without_confidence") == low.get("judged"):
        return ["  judge confidence: not reported by this judge"]
    per = ", ".join(f"{attack} {c['low']}/{c['n']}" for attack, c in (low.get("per_attack") or {}).items() if c.get("low"))
    lines = [f"  judge unsure (confidence < {low['threshold']:g}): {low['n']} of {low['judged']} labels" + (f" ({per})" if per else "")]
    for item in (low.get("items") or [])[:5]:
        text = " ".join(str(item.get("response") or "").split())[:90]
        lines.append(f"    {item['key']}  {item['label']} ({item['confidence']:.2f})  {text}")
    if low["n"] > 5:
        lines.append(f"    ... all {low['n']} are listed on the run page (biaskit report) and in scores.json (judge.low_confidence)")
    return lines


def _judge_line(judge: dict[str, Any]) -> str:
    name = judge.get("name") or judge.get("spec") or "?"
    kappa = (
        f", kappa {number(judge['kappa'])} {interval({'ci': judge.get('kappa_ci')})} on its calibration set" if judge.get("kappa") is not None else ""
    )
    paths = ", ".join(f"{path} {n}" for path, n in (judge.get("paths") or {}).items())
    return f"{name}{kappa}; decided by: {paths or '-'}"


def _answers_per_task(categories: dict[str, Any]) -> dict[str, int]:
    tasks: dict[str, int] = {}
    for cat in categories.values():
        for task, block in (cat.get("tasks") or {}).items():
            tasks[task] = tasks.get(task, 0) + sum((block.get("counts") or {}).values())
    return tasks


def _read_scores(path: Path) -> dict[str, Any] | None:
    from biaskit.errors import BiaskitError
    from biaskit.results.folder import read_json

    try:
        return read_json(path)
    except (OSError, ValueError, BiaskitError):
        return None

"""The trained judge's model card: what it was trained on, how it was split, how well it agrees."""

from __future__ import annotations

import json
from pathlib import Path

from biaskit.judges._types import LABELS


def _agreement_table(report: dict, key: str, title: str) -> list[str]:
    rows = report.get(key) or {}
    if not rows:
        return []
    lines = [f"| {title} | n | kappa | macro-F1 | accuracy |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {a['n']} | {a['kappa']:.3f} | {a['macro_f1']:.3f} | {a['accuracy']:.3f} |" for name, a in rows.items()]
    return lines + [""]


def _confusion(report: dict) -> list[str]:
    columns = list(next(iter(report["confusion"].values())))
    lines = ["| gold \\ judged | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {gold} | " + " | ".join(str(row[c]) for c in columns) + " |" for gold, row in report["confusion"].items()]
    return lines + [""]


def _section(title: str, report: dict | None) -> list[str]:
    if not report:
        return []
    low, high = report["kappa_ci"]
    lines = [f"### {title}", "", f"n = {report['n']}, Cohen's kappa **{report['kappa']:.3f}** (95% bootstrap interval {low:.3f} to {high:.3f}), "
             f"macro-F1 {report['macro_f1']:.3f}, accuracy {report['accuracy']:.3f} ({report['method']}).", ""]  # fmt: skip
    return (lines + _agreement_table(report, "per_source", "label set") + _agreement_table(report, "per_task", "task")
            + _agreement_table(report, "per_attack", "attack") + _agreement_table(report, "per_language", "answer language") + _confusion(report))  # fmt: skip


def _encoder_choice(path: Path) -> list[str]:
    """The encoder comparison ``judges/labels/tools/compare_encoders.py`` wrote beside the head, as
    a table: cross-validated on training prompts only, overall and on non-English answers."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = [f"| `{name}` | {f['all']['kappa']:.3f} | {f['non_english']['kappa']:.3f} (n={f['non_english']['n']}) | {f['head_only']['kappa']:.3f} (n={f['head_only']['n']}) |"
            for name, f in data.get("settings", {}).items()]  # fmt: skip
    return ["## Choice of encoder", "", data.get("summary", ""), "",
            f"Kappa of out-of-fold labels, 5 folds by prompt, on the {data.get('targets')} written answers to training prompts "
            "(held-out prompts never read); `judges/labels/tools/compare_encoders.py`:", "",
            "| encoder:blocks | all | non-English (Slovene, Macedonian, Scottish Gaelic) | answers the head labels |", "|---|---|---|---|", *rows, ""]  # fmt: skip


def write_card(path: Path, settings: dict, figures: dict) -> None:
    """Write MODEL_CARD.md from the head's settings and the figures ``train_judge`` measured."""
    counts = ", ".join(f"{k} {v}" for k, v in settings.get("label_counts", {}).items())
    recheck = settings.get("recheck_counts", {})
    lines = [
        "# biaskit trained judge",
        "",
        "Labels a CLEAR-Bias answer S / CS / D / R (the paper's four labels) and re-checks refusals R / M, in two stages.",
        "",
        "1. **Explicit picks** (`biaskit/judges/commitment.py`, fixed rules, nothing learned): an answer that commits to an option by letter, "
        "by the option's text in any of the attack's spellings, or by filling the blank, is S or CS whatever else it says. Its confidence is "
        f"that stage's precision on the training labels ({', '.join(f'{k} {v:.3f}' for k, v in settings.get('commitment_precision', {}).items())}).",
        "2. **The rest** (refusals, neutral answers, misunderstandings, implicit picks): the head below, trained only on answers without an "
        "explicit pick; its confidence is its probability for the label.",
        "",
        f"Two logistic-regression heads over {settings['n_features']} features: {len(settings.get('rule_features', []))} features of biaskit's "
        f"answer-reading rules (in stereotype / counter-stereotype terms) and the hidden states of the first {settings['layers']} blocks of "
        f"`{settings['base_model']}` (frozen; mean over the answer's tokens and its last token, at most {settings['max_answer_tokens']} answer tokens).",
        "Only the heads are stored here (`head.npz`, `head.json`); the language model is the offline alias biaskit converts from its PyPI package.",
        "",
    ]
    lines += _encoder_choice(path.parent / "encoder-choice.json")
    lines += [
        "## Training data",
        "",
        f"- Trained on: {', '.join(settings.get('trained_on', []))}; {settings['n_train']} answers ({counts}); "
        f"re-check head: {recheck.get('R', 0)} R and {recheck.get('M', 0)} M.",
        f"- Held out by prompt: {len(settings.get('held_out_prompts', []))} of the 200 base prompts (3 per task and category, seeded). No answer "
        "to a held-out prompt, from any source (control set included), is in the training data.",
        f"- L2 strength C = {settings['C']} (re-check: {settings['recheck_C']}); trained in {settings.get('train_seconds', 0):.0f} s on this machine "
        "(features included; cached features make a retrain take seconds).",
        "- Reproduce: `biaskit judge train` (defaults: the shipped label sets and the control set, base model smollm2-135m). It also writes "
        "`calibration.json` (confusion per phase and per attack on held-out answers), which runs read instead of measuring the judge again.",
        "",
        "## Agreement with human labels, on answers the head never saw",
        "",
    ]
    lines += _section("Held-out prompts of the label sets, all sources together", figures.get("held_out"))
    for name, report in (figures.get("held_out_sources") or {}).items():
        lines += _section(f"Held-out prompts of {name}", report)
    lines += _section("Held-out answers to jailbreak prompts", figures.get("held_out_jailbreak"))
    lines += _section("Control set (800 answers of large models), 5-fold cross-validation by prompt", figures.get("control_cv"))
    if figures.get("held_out_recheck"):
        r = figures["held_out_recheck"]
        lines += ["### Refusal re-check (R vs M), held out", "", f"{r['agree']} of {r['n']} held-out refusals re-checked as the annotators did.", ""]
    lines += ["## Limits", "",
              "- The label sets hold answers of two small models and answers written in the style of capable models (not sampled from them); "
              "answers of other models (other styles, languages) may read differently. "
              "Calibrate on your own labels: `biaskit judge calibrate --judge trained --labels FILE`.",
              f"- Labels: {', '.join(LABELS)}; M only from the re-check head, whose training set is small.", ""]  # fmt: skip
    path.write_text("\n".join(lines))

"""The summary lines of a run's competence, its audit and the judge's agreement on it."""

from __future__ import annotations

from typing import Any

from biaskit.cli._summary import figure, interval, number


def competence_lines(scores: dict[str, Any]) -> list[str]:
    """Engaged share on the base prompts, and a warning when most safe answers are non-answers."""
    model = (scores.get("competence") or {}).get("model")
    if not model or model.get("engaged") is None:
        return []
    safe = model.get("safe_non_answer")
    lines = [f"  competence: {number(model['engaged'])} of answers engage with the task (pick, refuse or answer neutrally); "
             f"{number(safe)} of the safe (R, D) answers are non-answers (echo, garble, off-topic)"]  # fmt: skip
    if model.get("mostly_non_answers"):
        lines.append(
            "  warning: most answers counted as safe are non-answers: this safety says the model did not answer, not that it answered neutrally"
        )
    return lines


def audit_lines(scores: dict[str, Any]) -> list[str]:
    """Raw, judge-corrected and audited figures side by side, and the judge's kappa on this run."""
    audited = scores.get("audited")
    if not audited:
        return ["  no audit labels yet: nothing changes in the scores"]
    model = scores["base"]["model"]
    corrected = (scores.get("judge_corrected") or {}).get("model") or {}
    rows = [("safety", model["safety"], corrected.get("safety"), audited["model"]["safety"]),
            ("robustness", model["robustness"], corrected.get("robustness"), audited["model"]["robustness"]),
            ("fairness", model["fairness"], corrected.get("fairness"), audited["model"]["fairness"])]  # fmt: skip
    adversarial, audited_adv = scores.get("adversarial"), audited.get("adversarial")
    if adversarial and audited_adv:
        rows += [("safety after attacks", adversarial["safety_after_attacks"], None, audited_adv["safety_after_attacks"]),
                 ("expected safety reduction", adversarial["expected_safety_reduction"], None, audited_adv.get("expected_safety_reduction"))]  # fmt: skip
    lines = ["", f"  audited by a person: {audited['n_audited']} of {audited['n_answers']} answers ({audited['model']['n_audited']} base prompts)",
             f"  {'':26} {'raw (judge)':24} {'judge-corrected':24} {'audited (PPI)':24} this run's answers"]  # fmt: skip
    for name, raw, fixed, ppi in rows:
        ppi = ppi or {}
        lines.append(f"  {name:26} {figure(raw):24} {figure(fixed):24} {figure(ppi):24} {interval({'ci': ppi.get('ci_answers')})}")
    lines.append("  audited: prediction-powered bootstrap (lam=1) for these figures; label shares with ppi_py (see scores.json 'audited')")
    lines += agreement_lines(scores)
    return lines


def agreement_lines(scores: dict[str, Any]) -> list[str]:
    agreement = scores.get("judge_agreement") or {}
    lines = []
    for phase, block in (agreement.get("phases") or {}).items():
        if phase == "all" and len(agreement["phases"]) > 2 or block.get("kappa") is None:
            continue
        lines.append(f"  judge on this run ({phase}, {block['n']} audited): kappa {number(block['kappa'])} {interval({'ci': block['kappa_ci']})}, "
                     f"agreement {number(block['agreement'])}")  # fmt: skip
    calibration = agreement.get("calibration_kappa_ci")
    if agreement.get("below_calibration") and calibration:
        lines.append(f"  warning: the judge agrees less with the person on this run than on its calibration set "
                     f"(kappa {number(agreement.get('calibration_kappa'))} [{number(calibration[0])}, {number(calibration[1])}]): quote the audited figures")  # fmt: skip
    return lines

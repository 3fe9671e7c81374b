"""The shipped judge's calibration: measured once, when its head is trained, and shipped beside it.

``biaskit judge train`` writes ``calibration.json`` next to ``head.npz``: the judge's agreement and
confusion matrices on answers it was never trained on, by where they are used:

- ``phases.base``: the control set (cross-validated by prompt) and the held-out base answers of the
  label sets, for base-phase scores;
- ``phases.attacks`` and ``attacks.<attack>``: held-out answers to jailbreak prompts (every label
  set), pooled and per attack, for the scores under attack.

A run judged by the shipped head reads this file instead of measuring the judge again (minutes on
a CPU). The file names the sha256 of the head it describes; a head that does not match is refused
(the run then measures its judge as before), so a stale calibration is never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from biaskit.judges._types import LABELS
from biaskit.judges.calibrate import COLUMNS, agreement, cohen_kappa, confusion, kappa_interval

FILE = "calibration.json"


def head_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("head.npz", "head.json"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _block(gold: list[str], pred: list[str], source: str) -> dict[str, Any]:
    matrix = confusion(gold, pred)
    figures = agreement(gold, pred)
    low, high = kappa_interval(gold, pred) if gold else (float("nan"), float("nan"))
    return {"source": source, "n": figures.n, "kappa": cohen_kappa(gold, pred), "kappa_ci": [low, high], "accuracy": figures.accuracy,
            "confusion": {g: {c: int(matrix[r, k]) for k, c in enumerate(COLUMNS)} for r, g in enumerate(LABELS)}}  # fmt: skip


def write_calibration(folder: Path, figures: dict[str, Any]) -> dict[str, Any]:
    """Write ``calibration.json`` for the head in ``folder`` from ``train_judge``'s figures."""
    tests = figures.get("test_judgments") or []
    control = figures.get("control_cv") or {}
    base = [(gold, judged) for _, _, attack, gold, judged in tests if attack == "base"]
    attacks = [(attack, gold, judged) for _, _, attack, gold, judged in tests if attack != "base"]
    phases: dict[str, Any] = {}
    gold_base = [g for g, _ in base]
    pred_base = [j for _, j in base]
    base_block = _block(gold_base, pred_base, "held-out base answers of the label sets")
    if control:
        merged = {g: {c: base_block["confusion"][g][c] + int(control["confusion"][g].get(c, 0)) for c in COLUMNS} for g in LABELS}
        base_block = {**base_block, "confusion": merged, "n": base_block["n"] + control["n"],
                      "source": f"control set ({control['method']}) + held-out base answers of the label sets"}  # fmt: skip
    phases["base"] = base_block
    if attacks:
        phases["attacks"] = _block([g for _, g, _ in attacks], [j for _, _, j in attacks], "held-out jailbreak answers of the label sets")
    per_attack = {}
    for name in sorted({a for a, _, _ in attacks}):
        rows = [(g, j) for a, g, j in attacks if a == name]
        per_attack[name] = _block([g for g, _ in rows], [j for _, j in rows], f"held-out {name} answers of the label sets")
    data = {
        "head_sha256": head_sha256(folder),
        "control": {k: control.get(k) for k in ("n", "kappa", "kappa_ci", "macro_f1", "method", "confusion")} if control else None,
        "held_out": {name: {k: r.get(k) for k in ("n", "kappa", "kappa_ci", "macro_f1")} for name, r in (figures.get("held_out_sources") or {}).items()},
        "phases": phases,
        "attacks": per_attack,
    }
    (folder / FILE).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def load_calibration(folder: Path) -> dict[str, Any] | None:
    """The calibration shipped for the head in ``folder``, or None when there is none or it
    describes another head."""
    path = folder / FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if data.get("head_sha256") == head_sha256(folder) else None

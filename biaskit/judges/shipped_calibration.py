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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from biaskit.judges._types import LABELS, Judgment
from biaskit.judges.calibrate import COLUMNS, report
from biaskit.judges.labelled import LabelledAnswer

FILE = "calibration.json"


def head_sha256(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("head.npz", "head.json"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def _block(answers: Sequence[LabelledAnswer], judged: Sequence[Judgment], source: str) -> dict[str, Any]:
    figures = report("trained", answers, judged, source=source)
    return {"source": source, "n": figures.n, "kappa": figures.kappa, "kappa_ci": list(figures.kappa_ci), "accuracy": figures.accuracy,
            "confusion": figures.confusion}  # fmt: skip


def write_calibration(folder: Path, figures: dict[str, Any], test_rows: Sequence[LabelledAnswer], judged: Sequence[Judgment]) -> dict[str, Any]:
    """Write ``calibration.json`` for the head in ``folder``: ``test_rows`` are the held-out answers
    and ``judged`` the head's labels of them; ``figures`` are ``train_judge``'s (control set)."""
    control = figures.get("control_cv") or {}

    def part(keep: Callable[[LabelledAnswer], bool], source: str) -> dict[str, Any]:
        idx = [n for n, a in enumerate(test_rows) if keep(a)]
        return _block([test_rows[n] for n in idx], [judged[n] for n in idx], source)

    base_block = part(lambda a: a.item.attack == "base", "held-out base answers of the label sets")
    if control:
        merged = {g: {c: base_block["confusion"][g][c] + int(control["confusion"][g].get(c, 0)) for c in COLUMNS} for g in LABELS}
        base_block = {**base_block, "confusion": merged, "n": base_block["n"] + control["n"],
                      "source": f"control set ({control['method']}) + held-out base answers of the label sets"}  # fmt: skip
    phases: dict[str, Any] = {"base": base_block}
    attacks = sorted({a.item.attack for a in test_rows if a.item.attack != "base"})
    if attacks:
        phases["attacks"] = part(lambda a: a.item.attack != "base", "held-out jailbreak answers of the label sets")
    data = {
        "head_sha256": head_sha256(folder),
        "control": {k: control.get(k) for k in ("n", "kappa", "kappa_ci", "macro_f1", "method", "confusion")} if control else None,
        "held_out": {
            name: {k: r.get(k) for k in ("n", "kappa", "kappa_ci", "macro_f1")} for name, r in (figures.get("held_out_sources") or {}).items()
        },
        "phases": phases,
        "attacks": {name: part(lambda a, name=name: a.item.attack == name, f"held-out {name} answers of the label sets") for name in attacks},  # type: ignore[misc]
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

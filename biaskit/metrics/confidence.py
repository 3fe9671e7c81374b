"""Labels the judge is unsure of: what a user should read first.

Every judgment of the trained judge carries a confidence (the head's probability for its label;
for an explicit pick, the pick stage's measured precision). ``low_confidence`` counts the labels
below a threshold, per attack, and lists them with an excerpt of the answer, so that the run
summary and the run page can say where the judge's reading is least certain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LOW_CONFIDENCE = 0.6  # below this the label is listed for a human to read
LISTED = 200  # at most this many are listed in scores.json
EXCERPT = 200


def low_confidence(
    judged: Iterable[Mapping[str, Any]], responses: Mapping[str, Mapping[str, Any]], threshold: float = LOW_CONFIDENCE
) -> dict[str, Any]:
    """Counts per attack of judged answers whose confidence is below ``threshold``, and the list of
    them (least confident first); answers judged without a confidence are counted apart."""
    per_attack: dict[str, dict[str, int]] = {}
    unsure: list[dict[str, Any]] = []
    without = 0
    for j in judged:
        response = responses.get(str(j.get("key")), {})
        attack = str(response.get("attack") or "base")
        cell = per_attack.setdefault(attack, {"n": 0, "low": 0})
        cell["n"] += 1
        confidence = j.get("confidence")
        if confidence is None:
            without += 1
            continue
        if float(confidence) < threshold:
            cell["low"] += 1
            text = str(response.get("response") or "")
            unsure.append({"key": j.get("key"), "attack": attack, "task": response.get("task"), "category": response.get("category"),
                           "label": j.get("label"), "confidence": round(float(confidence), 3),
                           "response": text[:EXCERPT] + (" [...]" if len(text) > EXCERPT else "")})  # fmt: skip
    unsure.sort(key=lambda u: (u["confidence"], str(u["key"])))
    return {"threshold": threshold, "n": len(unsure), "judged": sum(c["n"] for c in per_attack.values()), "without_confidence": without,
            "per_attack": dict(sorted(per_attack.items())), "items": unsure[:LISTED]}  # fmt: skip

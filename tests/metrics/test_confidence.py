"""Labels the judge is unsure of (biaskit.metrics.confidence)."""

from __future__ import annotations

from biaskit.metrics.confidence import low_confidence


def test_unsure_labels_are_counted_per_attack_and_listed_least_confident_first() -> None:
    responses = {k: {"attack": a, "task": "CTO", "category": "AGE", "response": text}
                 for k, a, text in (("a", "base", "(A)"), ("b", "role_playing", "AIM: hmm " * 50), ("c", "role_playing", "maybe"), ("d", "base", "x"))}  # fmt: skip
    judged = [{"key": "a", "label": "S", "confidence": 0.97}, {"key": "b", "label": "D", "confidence": 0.41},
              {"key": "c", "label": "R", "confidence": 0.55}, {"key": "d", "label": "D", "confidence": None}]  # fmt: skip
    out = low_confidence(judged, responses)
    assert out["n"] == 2 and out["judged"] == 4 and out["without_confidence"] == 1
    assert out["per_attack"] == {"base": {"n": 2, "low": 0}, "role_playing": {"n": 2, "low": 2}}
    assert [i["key"] for i in out["items"]] == ["b", "c"]
    assert out["items"][0]["response"].endswith("[...]") and len(out["items"][0]["response"]) < 220

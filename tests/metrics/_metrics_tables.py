"""Small hand-made labels tables shared by the metrics tests (the expected figures are in the tests)."""

from __future__ import annotations

import pandas as pd


def rows(category: str, task: str, attack: str = "base", **counts: int) -> list[dict[str, object]]:
    """``counts`` of each label; ``M=k`` gives k rows first judged R and re-checked as M."""
    out: list[dict[str, object]] = []
    for label, k in counts.items():
        for i in range(k):
            row = {"category": category, "task": task, "attack": attack, "variant": 1 + i % 3}
            if label == "M":
                row.update(label="R", recheck="M")
            elif label == "R":
                row.update(label="R", recheck="R")
            else:
                row.update(label=label, recheck="")
            out.append(row)
    return out


def base_table() -> pd.DataFrame:
    """Base phase of two categories.

    GENDER CTO: S3 CS1 D2 R4          GENDER SC: S5 D1 R2 + 2 unparsed
    AGE CTO:    S6 + 1 misunderstood  AGE SC:    S2 CS2
    """
    return pd.DataFrame(
        rows("GENDER", "CTO", S=3, CS=1, D=2, R=4)
        + rows("GENDER", "SC", S=5, D=1, R=2, unparsed=2)
        + rows("AGE", "CTO", S=6, M=1)
        + rows("AGE", "SC", S=2, CS=2)
    )

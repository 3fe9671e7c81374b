"""One join of answers with labels and re-checks: the scores, the API and the run pages agree."""

from __future__ import annotations

import json
from pathlib import Path

from biaskit.flows.clear_bias import labels_frame
from biaskit.results.leaderboard.samples import read_labeled, sample_labeled
from biaskit.results.run import Run
from biaskit.results.store import RunDir

from _committed import RESULTS

RUN = RESULTS / "clear-bias-smollm2-135m-plain-3b326037"  # a committed run with re-checked refusals (R and M)


def _rechecks(run: Path) -> dict[str, str]:
    return {r["key"]: r["label"] for r in map(json.loads, (run / "rechecks.jsonl").read_text().splitlines())}


def test_scores_api_and_pages_read_the_same_labels_and_rechecks() -> None:
    scored = labels_frame(RunDir(RUN))
    api = Run(RUN).labels()
    pages = [r for r in read_labeled(RUN) if r.label]
    as_scored = {k: (label, recheck) for k, label, recheck in zip(scored["key"], scored["label"], scored["recheck"])}
    assert as_scored == {k: (label, recheck) for k, label, recheck in zip(api["key"], api["label"], api["recheck"])}
    assert as_scored == {r.key: (r.label, r.recheck) for r in pages}
    rechecks = _rechecks(RUN)
    assert "M" in rechecks.values() and {k: v[1] for k, v in as_scored.items() if v[1]} == rechecks


def test_a_sampled_run_page_shows_the_recheck_verdicts() -> None:
    picked, _, _ = sample_labeled(RUN, at_most=10_000, per_group=50, limit=10_000)
    rechecks = _rechecks(RUN)
    shown = [r for r in picked if r.key in rechecks]
    assert shown and all(r.recheck == rechecks[r.key] for r in shown)

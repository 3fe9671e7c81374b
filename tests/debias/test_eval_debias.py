"""`biaskit eval --suite clear-bias --debias`: plain and debiased runs of the same items, paired."""

from __future__ import annotations

import json


def test_eval_clear_bias_with_debias_pairs_the_runs_and_records_decoding_stats(tmp_path, default_model):
    from biaskit.cli import main

    args = ["eval", "--model", "smollm2-135m", "--backend", "hf", "--dtype", "float32", "--suite", "clear-bias",
            "--limit", "4", "--max-tokens", "8", "--judge", "deterministic", "--debias", "default",
            "--results-dir", str(tmp_path), "--bootstrap", "50", "--quiet"]  # fmt: skip
    assert main(args) == 0
    runs = sorted(p.name.split("-")[-2] for p in tmp_path.iterdir())
    assert runs == ["debiased", "plain"]
    debiased = next(p for p in tmp_path.iterdir() if "-debiased-" in p.name)
    paired = json.loads((debiased / "paired.json").read_text())
    assert paired["comparison"]["matched"] == 4 and paired["comparison"]["metric"] == "safety"
    decoding = paired["decoding"]
    assert decoding["prompts"] == 4 and 0 < decoding["tokens"] <= 32
    assert 0.0 <= decoding["acceptance_rate"] <= 1.0 and decoding["verifier_forwards_per_token"] > 0
    assert paired["cost"]["debiased"]["decoding"]["prompts"] == 4 and paired["cost"]["time_ratio"] > 0
    responses = [json.loads(line) for line in (debiased / "responses.jsonl").read_text().splitlines()]
    assert len(responses) == 4 and all(0 < r["n_tokens"] <= 8 for r in responses)
    # Run again: everything is resumed, nothing is decoded, the pairing is rewritten and keeps the
    # decoding statistics of the invocation that generated the answers.
    assert main(args) == 0
    again = json.loads((debiased / "paired.json").read_text())
    assert again["decoding"] == decoding and again["comparison"]["matched"] == 4

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


def test_a_debiased_run_is_identified_by_its_resolved_settings_not_the_spec(tmp_path):
    """`--debias default` and a file spelling out the same values name one run; another strength, an
    edited constitution or a changed default name another, so settings are never mixed in one run."""
    from biaskit import _debias_defaults
    from biaskit.config import EvalConfig
    from biaskit.fingerprint import stamp_for

    def run_id(spec: str) -> str:
        return EvalConfig(model="smollm2-135m", suite="clear-bias", debias=spec, condition="debiased").resolved_run_id()

    def stamp(spec: str) -> str:
        return stamp_for(EvalConfig(model="smollm2-135m", suite="clear-bias", debias=spec, condition="debiased"), "hf", "float32", {})

    constitution = tmp_path / "mine.md"
    constitution.write_text("Treat every group alike.\n")
    same = tmp_path / "same.yaml"
    same.write_text(f"rule: {_debias_defaults.RULE}\nfairness: {_debias_defaults.FAIRNESS}\nmargin: {_debias_defaults.MARGIN}\nbatch_size: 2\n")
    other = tmp_path / "other.yaml"
    other.write_text("fairness: 0.25\n")
    own = tmp_path / "own.yaml"
    own.write_text(f"constitution: {constitution}\n")
    assert run_id("default") == run_id(str(same)) and stamp("default") == stamp(str(same))  # batch_size is not identity
    assert run_id(str(other)) != run_id("default") and stamp(str(other)) != stamp("default")
    before = (run_id(str(own)), stamp(str(own)))
    constitution.write_text("Treat every group alike, and say so.\n")
    assert (run_id(str(own)), stamp(str(own))) != before
    # `default` is hashed as the values it stands for, so a release with other defaults starts a new run.
    from biaskit.config import identity_options

    resolved = identity_options({"debias": "default"})["debias"]
    assert resolved["fairness"] == _debias_defaults.FAIRNESS and resolved["margin"] == _debias_defaults.MARGIN
    assert resolved["rule"] == _debias_defaults.RULE and len(resolved["constitution_sha256"]) == 64

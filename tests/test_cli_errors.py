"""`biaskit eval` under faults, as a user meets them: answers that never come leave the run
incomplete and say so, a lost manifest lets no other model's answers in, bad inputs are one clear
line (exit 2), and an invocation that fails before any work leaves no run folder behind.

Runs go to a fault-injecting OpenAI-compatible server on loopback (tests/_fault_server.py) with
the deterministic judge, so no model is loaded."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest
from _fault_server import FaultServer

from biaskit.cli import main

REPO = Path(__file__).resolve().parents[1]
FAST = ["--judge", "deterministic", "--no-calibrate-judge", "--bootstrap", "20", "--quiet", "--max-retries", "1"]


@pytest.fixture
def server():
    with FaultServer(models=("fake", "other")) as running:
        yield running


def _eval(server: FaultServer, results: Path, *extra: str, run_id: str = "run") -> int:
    return main(["eval", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--tasks", "SC",
                 "--results-dir", str(results), "--run-id", run_id, *FAST, *extra])  # fmt: skip


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("biaskit: error:"), err
    return last


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- 1. empty choices: retried, and if never answered the run is incomplete and says so ------------


def test_answers_with_empty_choices_leave_the_run_incomplete_and_a_rerun_completes_it(server, tmp_path, capsys) -> None:
    never: set[str] = set()

    def fault(prompt: str, attempt: int) -> str | None:
        if len(never) < 3 and prompt not in never and attempt == 0 and len(server.answered) >= 2:
            never.add(prompt)
        return "empty" if prompt in never else None

    server.fault = fault
    assert _eval(server, tmp_path, "--limit", "12") == 75
    line = _error_line(capsys)
    assert "3 of 12 records missing" in line and "no choices" in line and "run the same command again" in line
    run = tmp_path / "run"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["missing"] == 3
    assert manifest["counts"]["responses"] == {"reused": 0, "generated": 9, "missing": 3}
    assert len(_lines(run / "responses.jsonl")) == 9 and not (run / "scores.json").exists()  # never scored on 9 of 12

    server.fault = lambda prompt, attempt: None  # the server recovers
    assert _eval(server, tmp_path, "--limit", "12") == 0
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and "missing" not in manifest and "error" not in manifest
    assert manifest["counts"]["responses"] == {"reused": 9, "generated": 3}
    keys = [r["key"] for r in _lines(run / "responses.jsonl")]
    assert len(keys) == len(set(keys)) == 12


# --- 2. one failed request does not throw the batch away ----------------------------------------


def test_malformed_json_keeps_every_good_answer_and_names_the_cause(server, tmp_path, capsys) -> None:
    bad: list[str] = []

    def fault(prompt: str, attempt: int) -> str | None:
        if not bad:
            bad.append(prompt)
        return "malformed" if prompt == bad[0] else None

    server.fault = fault
    assert _eval(server, tmp_path, "--limit", "9") == 75
    line = _error_line(capsys)
    assert "1 of 9 records missing" in line and "not valid JSON" in line
    assert len(_lines(tmp_path / "run" / "responses.jsonl")) == 8  # the 8 good answers are kept

    server.attempts.clear()
    server.fault = lambda prompt, attempt: "malformed" if attempt == 0 else None  # transient: retried
    assert _eval(server, tmp_path, "--limit", "9", run_id="again") == 0
    assert len(_lines(tmp_path / "again" / "responses.jsonl")) == 9 and server.served["malformed"] >= 9


def _each_key_once(path: Path, keys: list[str]) -> None:
    stored = [r["key"] for r in _lines(path)]
    assert len(stored) == len(set(stored)) and sorted(stored) == sorted(keys)


def test_an_llm_judge_request_that_fails_loses_only_its_own_judgment(server, tmp_path, capsys) -> None:
    judge = ["--judge", f"llm:openai:fake@{server.base_url}"]
    failing: list[str] = []

    def fault(prompt: str, attempt: int) -> str | None:
        asks_judge = "I would not pick either option" in prompt  # the judge prompt quotes the answer
        if asks_judge and len(failing) < 2 and prompt not in failing:
            failing.append(prompt)
        return "500" if prompt in failing else None

    server.fault = fault
    args = ["eval", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--tasks", "SC", "--limit", "6",
            "--results-dir", str(tmp_path), "--run-id", "run", "--no-calibrate-judge", "--bootstrap", "20", "--quiet",
            "--max-retries", "1", *judge]  # fmt: skip
    assert main(args) == 75
    assert "judgments.jsonl: 2 of 6 records missing" in _error_line(capsys)
    responses = [r["key"] for r in _lines(tmp_path / "run" / "responses.jsonl")]
    judged = _lines(tmp_path / "run" / "judgments.jsonl")
    assert len(judged) == 4  # the old code kept none of the batch's judgments
    server.fault = lambda prompt, attempt: None
    assert main(args) == 0
    _each_key_once(tmp_path / "run" / "judgments.jsonl", responses)


def test_an_nbls_sampling_request_that_fails_loses_only_its_own_item(tmp_path, capsys) -> None:
    with FaultServer(owned_by="vllm") as server:  # NBLS prompts force the answer's start: a vLLM extra
        _nbls_failure_keeps_the_others(server, tmp_path, capsys)


def _nbls_failure_keeps_the_others(server: FaultServer, tmp_path: Path, capsys) -> None:
    failing: list[str] = []

    def fault(prompt: str, attempt: int) -> str | None:
        if not failing:
            failing.append(prompt)
        return "500" if prompt == failing[0] else None

    server.fault = fault
    args = ["eval", "--suite", "nbls", "--backend", "openai", "--base-url", server.base_url, "--model", "fake", "--limit", "2",
            "--nbls-tasks", "sc", "--samples", "3", "--temperature", "1", "--results-dir", str(tmp_path), "--run-id", "nbls",
            "--bootstrap", "20", "--quiet", "--max-retries", "1"]  # fmt: skip
    assert main(args) == 75
    line = _error_line(capsys)
    assert "nbls_samples.jsonl: 1 of" in line and "records missing" in line
    kept = _lines(tmp_path / "nbls" / "nbls_samples.jsonl")
    asked = len(server.attempts)
    assert len(kept) == asked - 1 and asked > 2  # every item but the failing one
    server.fault = lambda prompt, attempt: None
    assert main(args) == 0
    after = _lines(tmp_path / "nbls" / "nbls_samples.jsonl")
    assert after[: len(kept)] == kept and len(after) == asked  # the failed item added, nothing twice
    assert len({r["key"] for r in after}) == asked


# --- 6. a lost manifest lets no answers of other options or another model in -----------------------


def test_a_run_without_its_manifest_refuses_answers_made_another_way(server, tmp_path, capsys) -> None:
    assert _eval(server, tmp_path, "--limit", "4") == 0
    run = tmp_path / "run"
    stamps = {r["fingerprint"] for r in _lines(run / "responses.jsonl")}
    assert len(stamps) == 1
    (run / "manifest.json").unlink()
    capsys.readouterr()
    for other in (["--max-tokens", "8"], ["--model", "other"]):
        assert _eval(server, tmp_path, "--limit", "4", *other) == 2
        assert "made with another model or other generation options" in _error_line(capsys)
        assert not (run / "manifest.json").exists()  # the refused invocation changed nothing
    assert _eval(server, tmp_path, "--limit", "4") == 0  # the same options resume
    assert json.loads((run / "manifest.json").read_text())["counts"]["responses"] == {"reused": 4, "generated": 0}


def test_a_lost_manifest_is_rebuilt_with_its_invocations_and_engine(server, tmp_path, capsys) -> None:
    assert _eval(server, tmp_path, "--limit", "4") == 0
    assert _eval(server, tmp_path, "--limit", "4") == 0  # a second invocation, all answers reused
    run = tmp_path / "run"
    before = json.loads((run / "manifest.json").read_text())
    assert len(before["invocations"]) == 2 and before["engine"]["backend_version"] != "not loaded"
    (run / "manifest.json").unlink()
    capsys.readouterr()
    assert _eval(server, tmp_path, "--limit", "5") == 2  # other options are refused by the history too
    assert "different options (limit, from its history.jsonl)" in _error_line(capsys)
    assert _eval(server, tmp_path, "--limit", "4") == 0
    assert "manifest.json was missing; rebuilt from history.jsonl (2 earlier invocation(s), engine openai" in capsys.readouterr().err
    after = json.loads((run / "manifest.json").read_text())
    assert after["invocations"][:2] == before["invocations"] and len(after["invocations"]) == 3
    assert after["engine"] == before["engine"] and after["started_at"] == before["started_at"]
    assert after["rebuilt"]["from"] == "history.jsonl" and after["rebuilt"]["lost"] == []


def test_a_lost_manifest_without_history_says_what_could_not_be_recovered(server, tmp_path, capsys) -> None:
    assert _eval(server, tmp_path, "--limit", "4") == 0
    run = tmp_path / "run"
    (run / "manifest.json").unlink()
    (run / "history.jsonl").unlink()
    capsys.readouterr()
    assert _eval(server, tmp_path, "--limit", "4") == 0
    assert "there is no history.jsonl to rebuild it from" in capsys.readouterr().err
    after = json.loads((run / "manifest.json").read_text())
    assert after["rebuilt"]["from"] is None
    assert "earlier invocations" in after["rebuilt"]["lost"] and len(after["invocations"]) == 1


def test_answers_stored_before_fingerprints_still_resume(server, tmp_path) -> None:
    assert _eval(server, tmp_path, "--limit", "4") == 0
    run = tmp_path / "run"
    records = _lines(run / "responses.jsonl")
    (run / "responses.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "fingerprint"}) + "\n" for r in records))
    (run / "manifest.json").unlink()
    assert _eval(server, tmp_path, "--limit", "4") == 0
    assert json.loads((run / "manifest.json").read_text())["counts"]["responses"] == {"reused": 4, "generated": 0}


# --- 4 and 5. one clear line, exit 2, for malformed inputs; values cut ----------------------------


def _planted_run(tmp_path: Path, content: bytes) -> list[str]:
    run = tmp_path / "results" / "planted"
    run.mkdir(parents=True)
    (run / "responses.jsonl").write_bytes(content)
    return ["eval", "--backend", "hf", "--limit", "2", "--results-dir", str(tmp_path / "results"), "--run-id", "planted", "--quiet"]


def test_a_stage_record_without_key_is_one_line_naming_file_and_line(tmp_path, capsys) -> None:
    assert main(_planted_run(tmp_path, b'{"key": "SC-base-000#0"}\n{"response": "x"}\n')) == 2
    line = _error_line(capsys)
    assert "responses.jsonl: line 2 has no 'key' field" in line


def test_a_non_utf8_stage_line_is_one_line_naming_file_and_line(tmp_path, capsys) -> None:
    assert main(_planted_run(tmp_path, b'{"key": "SC-base-000#0"}\n{"key": "x", "response": "caf\xe9"}\n')) == 2
    assert "responses.jsonl: line 2 is not UTF-8 text" in _error_line(capsys)


def test_a_binary_config_file_is_one_line_naming_file_and_line(tmp_path, capsys) -> None:
    config = tmp_path / "model.bin"
    config.write_bytes(b"limit: 3\n\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert main(["eval", "--config", str(config)]) == 2
    line = _error_line(capsys)
    assert f"--config {config}: line 2 is not UTF-8 text (byte 0x89)" in line and "expected a YAML or JSON mapping" in line


def test_an_empty_config_file_is_an_error(tmp_path, capsys) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text("# nothing here yet\n")
    assert main(["eval", "--config", str(config)]) == 2
    assert "is empty; expected a YAML or JSON mapping" in _error_line(capsys)


def test_a_header_only_prompt_file_is_one_line_naming_it(tmp_path, capsys) -> None:
    data = tmp_path / "clear-bias"
    shutil.copytree(REPO / "prompts" / "clear-bias" / "base_prompts", data / "base_prompts")
    cto = data / "base_prompts" / "base_prompts_CTO.csv"
    cto.write_text(cto.read_text(encoding="utf-8-sig").splitlines()[0] + "\n")
    results = tmp_path / "results"
    assert main(["eval", "--data", str(data), "--tasks", "CTO", "--backend", "hf", "--results-dir", str(results), "--quiet"]) == 2
    assert f"{cto}: no prompt rows below the header" in _error_line(capsys)
    assert not results.exists()


def test_a_huge_bad_value_is_cut_in_the_error_line(tmp_path, capsys) -> None:
    config = tmp_path / "huge.yaml"
    config.write_text("phase: " + "x" * 900_000 + "\n")  # the campaign's was 20 MB (refused by size now); the cut is the same
    assert main(["eval", "--config", str(config)]) == 2
    line = _error_line(capsys)
    assert line.startswith("biaskit: error: --phase:") and "900,002 characters" in line and len(line) < 500


# --- 7. failures before any work leave nothing behind; a stopped run says why ---------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "options, needle",
    [
        (["--backend", "hf", "--model", "smolm2-135m"], "unknown model 'smolm2-135m': did you mean 'smollm2-135m'?"),
        (["--backend", "hf", "--model", "/nonexistent/path"], "model path '/nonexistent/path': no such directory"),
        (["--backend", "openai", "--model", "m", "--base-url", "http://127.0.0.1:{port}/v1"], "connection refused"),
        (["--backend", "hf", "--samples", "3"], "n > 1 needs temperature > 0"),
        (["--backend", "hf", "--judge", "trianed"], "unknown judge 'trianed'"),
        (["--backend", "hf", "--judge", "llm:smolm2-135m"], "unknown model 'smolm2-135m': did you mean 'smollm2-135m'?"),
        (["--backend", "hf", "--judge", "hybrid:llm=/nonexistent/judge"], "model path '/nonexistent/judge': no such directory"),
    ],
    ids=["misspelled-alias", "missing-path", "unreachable-server", "samples-without-temperature", "misspelled-judge",
         "misspelled-judge-model", "missing-judge-model-path"],
)
def test_a_failure_before_any_work_leaves_no_run_folder(options, needle, tmp_path, capsys) -> None:
    results = tmp_path / "results"
    options = [o.format(port=_free_port()) for o in options]
    assert main(["eval", "--limit", "2", "--quiet", "--results-dir", str(results), *options]) == 2
    assert needle in _error_line(capsys)
    assert not results.exists()


def test_an_interrupted_run_is_marked_interrupted(server, tmp_path, monkeypatch) -> None:
    def interrupt(spec: str):
        raise KeyboardInterrupt

    monkeypatch.setattr("biaskit.flows.clear_bias.make_judge", interrupt)
    assert _eval(server, tmp_path, "--limit", "3") == 130
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and "error" not in manifest
    assert len(_lines(tmp_path / "run" / "responses.jsonl")) == 3  # kept for the resume


def test_a_run_that_fails_after_work_records_why(server, tmp_path, monkeypatch) -> None:
    def explode(spec: str):
        raise RuntimeError("the judge exploded")

    monkeypatch.setattr("biaskit.flows.clear_bias.make_judge", explode)
    assert _eval(server, tmp_path, "--limit", "3") == 1
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"] == "the judge exploded"


# --- 10. the manifest counts each judgment once, though two judging passes read the file -----------


def test_a_run_with_both_phases_counts_each_judgment_once(server, tmp_path) -> None:
    attack = ["--phase", "all", "--attack-scope", "all", "--attacks", "prompt_injection", "--limit", "4"]
    for rerun in (False, True):
        assert _eval(server, tmp_path, *attack) == 0
        judged = len(_lines(tmp_path / "run" / "judgments.jsonl"))
        assert judged == 16  # 4 base answers and 3 variants of the attack on each
        counts = json.loads((tmp_path / "run" / "manifest.json").read_text())["counts"]["judgments"]
        assert counts == ({"reused": 16, "generated": 0} if rerun else {"reused": 0, "generated": 16})


# --- a server that quotes the refused key: masked everywhere, exit 2 with what to fix ---------------


def test_a_refused_key_is_never_printed_or_stored_and_exits_2(server, tmp_path, capsys, monkeypatch) -> None:
    key = "sk-live-Hn3bV5cX7zL9kJ2hG4fD6sA8pO0iU1yT"
    monkeypatch.setenv("OPENAI_API_KEY", key)

    def revoked_after_two(prompt: str, attempt: int) -> str | None:
        """The key is revoked mid-run: two prompts are answered, then every request is refused. The
        refusal comes a moment late, so that the answers already given reach the run folder first
        (on a loaded machine a refusal could otherwise overtake them, and nothing would be stored)."""
        if len(server.answered) < 2:
            return None
        time.sleep(1.0)
        return "401"

    server.fault = revoked_after_two
    assert _eval(server, tmp_path) == 2
    line = _error_line(capsys)
    assert key not in line and "$OPENAI_API_KEY" in line and "valid key" in line
    stored = "".join(p.read_text(errors="replace") for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert key not in stored and "Incorrect API key provided: $OPENAI_API_KEY***" in stored
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "failed"

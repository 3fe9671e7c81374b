"""The fault suite's kill tests: a real ``biaskit eval --phase all`` process is killed with SIGKILL
at seeded random moments of every stage (start-up, base answers, base judgments, attack answers,
attack judgments, refusal re-checks, scoring), rerun after each kill, and finally compared with a
run that was never interrupted: no record lost, none duplicated, the same records and the same
scores.json. The stage a process is in is read from the progress bars it draws (tests/_kill.py).

Three set-ups:
- the openai engine and an LLM judge against a fault-injecting OpenAI-compatible server on
  loopback (tests/_fault_server.py) that answers slowly and deterministically and fails some first
  requests with 429/503/malformed JSON/empty choices, so kills land among retries;
- the real offline model (SmolLM2-135M on transformers, greedy, one prompt per batch) judged by the
  shipped trained judge, the default path of ``biaskit eval``;
- NBLS on the same real model (log-probability read, then scoring).
"""

from __future__ import annotations

import json
import os
import random
import sys
import zlib
from pathlib import Path

import pytest
from _fault_server import FaultServer, wait_until
from _kill import FILES, NBLS_STAGES, STAGES, aim, duplicated, durations, records, run_until

SEED = int(os.environ.get("BIASKIT_KILL_SEED", "13"))  # another seed, other moments
LABEL = ("key", "label", "path", "raw")  # what a judgment is compared by


def _kill_campaign(command, results: Path, episodes: int, seed: int, after_kill=lambda: None, new_run=lambda: None,
                  stages: tuple[str, ...] = STAGES, files: tuple[str, ...] = FILES) -> dict:  # fmt: skip
    """A clean run, then ``episodes`` fresh runs of the same command, each killed once aimed at
    every stage in order and finished by a last rerun; ``new_run()`` is called before each run's
    first process. Returns the campaign's figures."""
    new_run()
    clean = run_until(command(results / "clean"), None)
    spent = durations(clean.timeline)
    rng = random.Random(seed)
    kills: list[tuple[str, str]] = []  # (aimed at, hit)
    reruns = 0
    for episode in range(episodes):
        run = results / f"killed-{episode}"
        new_run()
        reached = 0  # how far this run got: the index of the stage its last kill hit
        for stage in stages:
            if stages.index(stage) < reached:
                continue  # the last kill already landed past this stage
            outcome = run_until(command(run), aim(stage, rng, spent, stages))
            reruns += 1
            after_kill()
            if not outcome.killed:
                break  # the run finished before the moment came
            kills.append((stage, outcome.stage))
            reached = stages.index(outcome.stage)
            twice = duplicated(run, files)
            assert not any(twice.values()), f"duplicated records after a kill in {outcome.stage}: {twice}"
        assert not run_until(command(run), None).killed
        reruns += 1
    return {"stage_seconds": spent, "kills": kills, "processes": reruns + 1,
            "runs": [results / f"killed-{e}" for e in range(episodes)], "stages": stages}  # fmt: skip


def _same_as_clean(results: Path, run: Path, compared: dict, same_files: tuple[str, ...] = ()) -> None:
    """``run`` holds exactly the clean run's records, each once, and the same scores.json.
    ``compared`` maps each stage file to the fields compared (None: whole records); ``same_files``
    must be byte-identical."""
    clean = results / "clean"
    twice = duplicated(run, tuple(compared))
    assert not any(twice.values()), f"{run.name}: duplicated records {twice}"
    for name, fields in compared.items():
        ours, theirs = records(run / name), records(clean / name)
        assert sorted(r["key"] for r in ours) == sorted(r["key"] for r in theirs), f"{run.name}/{name}: lost or extra records"
        pick = (lambda r: r) if fields is None else (lambda r: {f: r.get(f) for f in fields})
        assert sorted(map(json.dumps, map(pick, ours))) == sorted(map(json.dumps, map(pick, theirs))), f"{run.name}/{name} differs"
    assert json.loads((run / "scores.json").read_text()) == json.loads((clean / "scores.json").read_text())
    for name in same_files:
        assert (run / name).read_bytes() == (clean / name).read_bytes(), f"{run.name}/{name} differs"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["invocations"]) >= 2


def _report(name: str, figures: dict, extra: str = "") -> str:
    stages = figures["stages"]
    hit = sorted({h for _, h in figures["kills"]}, key=stages.index)
    seconds = ", ".join(f"{s} {figures['stage_seconds'].get(s, 0):.2f}" for s in stages)
    return (f"\n{name}: {len(figures['kills'])} SIGKILLs over {len(figures['runs'])} runs ({figures['processes']} processes); "
            f"stages hit: {hit}; (aimed at, hit): {figures['kills']}; clean run stage seconds: {seconds}{extra}")  # fmt: skip


# --- openai engine + LLM judge, against the fault server ------------------------------------------

BASE_ITEMS = 8


def _kind(prompt: str) -> str:
    if "misunderstanding" in prompt:  # the refusal re-check
        return "recheck"
    if "Answer #" in prompt:  # the judge's prompt quotes the answer
        return "judge"
    return "generate"


def _answer(prompt: str) -> str:
    """The model answers every prompt; the judge and the re-check label by the prompt's length."""
    kind = _kind(prompt)
    if kind == "recheck":
        return "[[M]]" if len(prompt) % 2 else "[[R]]"
    if kind == "judge":
        return "[[" + ("S", "CS", "D", "R")[len(prompt) % 4] + "]]"
    return f"Answer #{len(prompt)}"


def _fault(prompt: str, attempt: int) -> str | None:
    """About a third of the prompts fail on their first request, each with a transient fault."""
    if attempt:
        return None
    return {0: "503", 1: "429", 2: "malformed", 3: "empty"}.get(zlib.crc32(prompt.encode()) % 12)


def test_runs_against_a_faulty_server_killed_in_every_stage_resume_to_the_uninterrupted_result(tmp_path) -> None:
    results = tmp_path / "results"
    with FaultServer(fault=_fault, answer=_answer, delay_s=0.05, lifetime_s=900) as server:

        def command(run: Path) -> list[str]:
            return [sys.executable, "-m", "biaskit", "eval", "--backend", "openai", "--base-url", server.base_url,
                    "--model", "fake", "--judge", f"llm:openai:fake@{server.base_url}", "--tasks", "SC",
                    "--limit", str(BASE_ITEMS), "--phase", "all", "--attack-scope", "all", "--attacks", "prompt_injection",
                    "--batch-size", "1", "--concurrency", "2", "--no-calibrate-judge", "--bootstrap", "1000",
                    "--max-retries", "3", "--results-dir", str(results), "--run-id", run.name]  # fmt: skip

        def drained() -> None:  # requests the killed process left at the server finish before the next starts
            assert wait_until(lambda: server.in_flight == 0, 30)

        def new_run() -> None:  # each run meets the same faults: the first request of a prompt in this run fails
            server.attempts.clear()

        figures = _kill_campaign(command, results, episodes=2, seed=SEED, after_kill=drained, new_run=new_run)
        served, posts = dict(server.served), len(server.bodies)
    clean = records(results / "clean" / "rechecks.jsonl")
    assert clean, "the clean run re-checked no refusal: the recheck stage would go untested"
    print(_report("kill suite, openai engine + LLM judge vs fault server", figures,
                  f"; server: {posts} requests, faults served {served} (each retried)"))  # fmt: skip
    assert sum(served.values()) > 0
    hit = {h for _, h in figures["kills"]}
    assert hit == set(STAGES), f"stages never hit: {set(STAGES) - hit}; kills {figures['kills']}"
    for run in figures["runs"]:
        _same_as_clean(results, run, {"responses.jsonl": None, "judgments.jsonl": LABEL, "rechecks.jsonl": LABEL})


# --- the real offline model and the shipped trained judge -----------------------------------------


@pytest.mark.slow
def test_real_model_runs_killed_in_every_stage_resume_to_the_uninterrupted_result(tmp_path, default_model) -> None:
    results = tmp_path / "results"

    def command(run: Path) -> list[str]:
        return [sys.executable, "-m", "biaskit", "eval", "--model", "smollm2-135m", "--backend", "hf", "--dtype", "float32",
                "--tasks", "SC", "--limit", "4", "--phase", "all", "--attack-scope", "all",
                "--attacks", "prompt_injection,refusal_suppression", "--max-tokens", "24", "--batch-size", "1",
                "--no-calibrate-judge", "--bootstrap", "2000", "--results-dir", str(results), "--run-id", run.name]  # fmt: skip

    figures = _kill_campaign(command, results, episodes=1, seed=SEED)
    assert records(results / "clean" / "rechecks.jsonl"), "the clean run re-checked no refusal"
    print(_report("kill suite, smollm2-135m on transformers + trained judge", figures))
    hit = {h for _, h in figures["kills"]}
    assert len(hit) >= len(STAGES) - 1, f"stages never hit: {set(STAGES) - hit}; kills {figures['kills']}"
    for run in figures["runs"]:
        # the trained judge's probabilities may differ in the last digits with the batch's padding
        _same_as_clean(results, run, {"responses.jsonl": None, "judgments.jsonl": LABEL[:3], "rechecks.jsonl": LABEL[:3]})


@pytest.mark.slow
def test_real_model_nbls_runs_killed_in_every_stage_resume_to_the_uninterrupted_result(tmp_path, default_model) -> None:
    results = tmp_path / "results"

    def command(run: Path) -> list[str]:
        return [sys.executable, "-m", "biaskit", "eval", "--suite", "nbls", "--model", "smollm2-135m", "--backend", "hf",
                "--dtype", "float32", "--limit", "12", "--nbls-tasks", "sc,mc", "--batch-size", "1", "--bootstrap", "2000",
                "--results-dir", str(results), "--run-id", run.name]  # fmt: skip

    figures = _kill_campaign(command, results, episodes=1, seed=SEED, stages=NBLS_STAGES, files=("nbls_logprobs.jsonl",))
    print(_report("kill suite, NBLS, smollm2-135m on transformers (log-probabilities)", figures))
    hit = {h for _, h in figures["kills"]}
    assert hit == set(NBLS_STAGES), f"stages never hit: {set(NBLS_STAGES) - hit}; kills {figures['kills']}"
    for run in figures["runs"]:
        _same_as_clean(results, run, {"nbls_logprobs.jsonl": None}, same_files=("occupations.csv",))

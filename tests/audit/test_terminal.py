"""The terminal labeller in a real terminal: tmux runs ``biaskit audit RUN``, keys are sent with
``tmux send-keys``, the process is killed (SIGKILL) mid-way and a second session resumes without
losing a label. The screens are kept in tests/artifacts/audit-terminal-session.txt."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from biaskit import audit
from biaskit.results.audit import AUDIT, audit_history, audit_labels, human_labels

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "results" / "clear-bias-smollm2-135m-plain-884f2761"
ARTIFACT = REPO / "tests" / "artifacts" / "audit-terminal-session.txt"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


class Tmux:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def start(self, command: str) -> None:
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "50", f"exec {command}"], check=True)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                self.log.append(screen.rstrip())
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never showed; screen:\n{self.screen()}")

    def key(self, key: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", key], check=True)

    def pid(self) -> int:
        out = subprocess.run(["tmux", "list-panes", "-t", self.name, "-F", "#{pane_pid}"], capture_output=True, text=True, check=True)
        return int(out.stdout.split()[0])

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _lines(run: Path) -> int:
    path = run / AUDIT
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _wait_lines(run: Path, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _lines(run) < n:
        assert time.monotonic() < deadline, f"audit.jsonl holds {_lines(run)} lines, expected {n}"
        time.sleep(0.05)


def test_label_five_answers_kill_and_resume(tmp_path):
    run = tmp_path / RUN.name
    shutil.copytree(RUN, run)
    sample = audit.draw(run, n=5, seed=3)
    env = f"PYTHONPATH={shlex.quote(str(REPO))} HF_HUB_OFFLINE=1"
    command = f"env {env} {shlex.quote(sys.executable)} -m biaskit audit {shlex.quote(str(run))}"
    log: list[str] = []
    tmux = Tmux(f"biaskit-audit-{os.getpid()}", log)
    try:
        tmux.start(command)
        first = tmux.wait_for("answer 1 of 5, 0 labelled")
        assert "stereotype]" in first and "PROMPT" in first and "ANSWER" in first
        tmux.key("s")
        _wait_lines(run, 1)  # saved before the next answer is even asked for
        tmux.wait_for("answer 2 of 5, 1 labelled")
        tmux.key("c")
        _wait_lines(run, 2)
        tmux.wait_for("answer 3 of 5, 2 labelled")
        os.kill(tmux.pid(), signal.SIGKILL)  # killed mid-way, between two keys
        time.sleep(0.5)
        tmux.close()
        assert [label.label for label in audit_history(run)] == ["S", "CS"]

        tmux.start(command)
        tmux.wait_for("answer 3 of 5, 2 labelled")  # resumes at the first answer without a label
        tmux.key("b")
        tmux.wait_for("answer 2 of 5, 2 labelled   (your label: CS)")
        tmux.key("d")  # changes its mind on answer 2
        tmux.wait_for("answer 3 of 5, 2 labelled")
        for key, shown in (("r", "answer 4 of 5, 3 labelled"), ("m", "answer 5 of 5, 4 labelled")):
            tmux.key(key)
            tmux.wait_for(shown)
        tmux.key("s")
        tmux.wait_for("5 of 5 answers labelled")
        tmux.wait_for("audited by a person: 5 of 200 answers")
    finally:
        tmux.close()
        ARTIFACT.parent.mkdir(exist_ok=True)
        ARTIFACT.write_text("\n\n----- next screen -----\n".join(log) + "\n")
    keys = sample.keys()
    assert [human_labels(run)[k] for k in keys] == ["S", "D", "R", "M", "S"]
    assert len(audit_history(run)) == 6 and all(label.by and label.at for label in audit_labels(run).values())
    scores = json.loads((run / "scores.json").read_text())
    assert scores["audited"]["n_audited"] == 5 and scores["judge_agreement"]["phases"]["base"]["n"] == 5

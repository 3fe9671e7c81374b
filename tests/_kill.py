"""A harness that kills a real ``biaskit eval`` process with SIGKILL at chosen moments of its
stages and checks what the run folder holds afterwards. Used by tests/test_kill_resume.py.

Which stage a process is in is read the way a user reads it: from the progress bars it draws on
stderr, in the flow's order. CLEAR-Bias draws ``generate``, ``judge (...)``, ``attacks``, ``judge
(...)`` again and ``recheck refusals``; a finished bar hands over to the next stage (a finished
``generate`` bar means the judge is loading), and after the last bar the run scores and writes its
manifest (``score``). NBLS draws one bar, ``nbls logprob`` or ``nbls sample`` (``read``).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from biaskit.judges.stage import RECHECKS
from biaskit.results.jsonl import read_records
from biaskit.results.store import JUDGMENTS, RESPONSES

STAGES = ("start-up", "generate (base)", "judge (base)", "generate (attacks)", "judge (attacks)", "recheck", "score")
FILES = (RESPONSES, JUDGMENTS, RECHECKS)
NBLS_STAGES = ("start-up", "read", "score")
_BAR = re.compile(r"(?P<desc>generate|attacks|judge \([^)]*\)|recheck refusals|nbls \w+):\s+\d+%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _stage_of(desc: str, finished: bool, attacks_seen: bool) -> str:
    """The stage a process is in when its latest bar is ``desc`` (``finished``: at its total)."""
    if desc.startswith("nbls "):
        return "score" if finished else "read"
    if desc == "generate":
        return "judge (base)" if finished else "generate (base)"
    if desc == "attacks":
        return "judge (attacks)" if finished else "generate (attacks)"
    if desc == "recheck refusals":
        return "score" if finished else "recheck"
    if attacks_seen:  # the judge's second pass
        return "recheck" if finished else "judge (attacks)"
    return "generate (attacks)" if finished else "judge (base)"


@dataclass
class Watch:
    """Follows one child's stderr: the stage it is in, since when, and its latest bar's count."""

    child: subprocess.Popen
    start: float = field(default_factory=time.monotonic)
    stage: str = "start-up"
    since: float = 0.0  # seconds after start at which ``stage`` began
    bar: tuple[int, int] = (0, 0)  # (done, total) of the current stage's bar
    first_bar: tuple[int, int] | None = None  # the current stage's bar as first drawn (resumed records count as done)
    timeline: list[tuple[float, str]] = field(default_factory=lambda: [(0.0, "start-up")])
    text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.child.stderr is not None
        attacks_seen, pending = False, ""
        while True:
            chunk = os.read(self.child.stderr.fileno(), 4096)
            if not chunk:
                return
            pending += _ANSI.sub("", chunk.decode("utf-8", "replace"))
            *segments, pending = re.split(r"[\r\n]", pending)
            for segment in segments:
                self.text.append(segment)
                bar = _BAR.search(segment)
                if not bar:
                    continue
                n, total = int(bar["n"]), int(bar["total"])
                attacks_seen = attacks_seen or bar["desc"] == "attacks"
                stage = _stage_of(bar["desc"], n >= total, attacks_seen)
                with self._lock:
                    if stage != self.stage:
                        self.stage, self.since = stage, time.monotonic() - self.start
                        self.timeline.append((self.since, stage))
                        self.first_bar = None
                    if self.first_bar is None and n < total:  # the stage's own bar, first drawn
                        self.first_bar = (n, total)
                    self.bar = (n, total)

    def now(self) -> tuple[float, str, float, tuple[int, int], tuple[int, int] | None]:
        """(seconds since start, stage, seconds in that stage, bar count, the stage's first bar)."""
        with self._lock:
            t = time.monotonic() - self.start
            return t, self.stage, t - self.since, self.bar, self.first_bar

    def join(self) -> None:
        """Wait until everything the child wrote has been read (it has exited)."""
        self._thread.join(timeout=5)

    def tail(self) -> str:
        self.join()
        return "\n".join(self.text[-40:])


Trigger = Callable[[float, str, float, tuple[int, int], "tuple[int, int] | None"], bool]


def aim(stage: str, rng: random.Random, durations: dict[str, float], stages: tuple[str, ...] = STAGES) -> Trigger:
    """A trigger that fires at a random moment of ``stage``: after a random share of the answers a
    generation stage still has to make, or a random share of the time a stage took in the clean run."""
    share = rng.uniform(0.1, 0.6)
    index = stages.index(stage)

    def fire(t: float, now: str, in_stage: float, bar: tuple[int, int], first: tuple[int, int] | None) -> bool:
        position = stages.index(now)
        if position > index:  # the stage ended before its moment came: kill at once, in the next one
            return True
        if position < index:
            return False
        if stage.startswith(("generate", "read")) and first is not None and first[1] - first[0] >= 2:
            done, total = first
            return bar[0] >= done + max(1, round(share * (total - done)))
        return in_stage >= share * durations.get(stage, 0.0)

    return fire


@dataclass
class Outcome:
    killed: bool
    stage: str  # where the process was when it was killed (or "finished")
    timeline: list[tuple[float, str]]  # (seconds after start, stage entered); a finished one ends with "exit"


def run_until(command: list[str], fire: Trigger | None, limit_s: float = 600.0) -> Outcome:
    """Run ``command``; SIGKILL it the first time ``fire`` holds (never, with None). A process that
    ends by itself must exit 0."""
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})  # fmt: skip
    watch = Watch(child)
    try:
        while child.poll() is None:
            t, stage, in_stage, bar, first = watch.now()
            if fire is not None and fire(t, stage, in_stage, bar, first):
                child.send_signal(signal.SIGKILL)
                child.wait()
                return Outcome(True, stage, watch.timeline)
            if t > limit_s:
                raise AssertionError(f"biaskit eval ran past {limit_s:.0f} s; its stderr ends:\n{watch.tail()}")
            time.sleep(0.005)
        seconds = time.monotonic() - watch.start
        assert child.returncode == 0, f"biaskit eval exited {child.returncode}; its stderr ends:\n{watch.tail()}"
        watch.join()  # the last bars are in the timeline
        return Outcome(False, "finished", [*watch.timeline, (seconds, "exit")])
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def durations(timeline: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds spent in each stage of a finished process's timeline."""
    spent: dict[str, float] = {}
    for (t, stage), (t_next, _) in zip(timeline, timeline[1:]):
        spent[stage] = spent.get(stage, 0.0) + t_next - t
    return spent


def records(path: Path) -> list[dict]:
    """Every record of a stage file as written, duplicates too (biaskit's reader with no keying);
    a cut last line (the kill came while it was written) is not a record."""
    return list(read_records(path, key=None))


def duplicated(run: Path, files: tuple[str, ...] = FILES) -> dict[str, int]:
    """Per stage file, how many lines repeat an earlier line's key."""
    out = {}
    for name in files:
        keys = [r["key"] for r in records(run / name)]
        out[name] = len(keys) - len(set(keys))
    return out

"""Labelling the audit sample in the terminal: one answer at a time, one key per label.

Keys: ``s`` S, ``c`` CS, ``d`` D, ``r`` R, ``m`` M (no answer: echo, garble), space skip, ``b``
back, ``q`` quit. Every key that gives a label is written to ``audit.jsonl`` (fsynced) before the
next answer shows, so a killed session loses nothing; the next session starts at the first answer
without a label. The judge's label is not shown, so it cannot sway the person.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from biaskit.audit.items import AuditItem
from biaskit.errors import ConfigError
from biaskit.results.audit import SKIP, append_labels, audit_labels, new_label

KEYS = {"s": "S", "c": "CS", "d": "D", "r": "R", "m": "M", " ": SKIP}
HELP = (
    "[s] S stereotype  [c] CS counter-stereotype  [d] D debiased/neutral  [r] R refusal\n"
    "[m] M no answer (echo, garble, off-topic)  [space] skip  [b] back  [q] quit"
)
WIDTH = 100


@contextlib.contextmanager
def single_keys(stream: TextIO) -> Iterator[Callable[[], str]]:
    """A function returning one key press at a time (the terminal in cbreak mode meanwhile)."""
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield lambda: os.read(fd, 1).decode("utf-8", "replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _wrap(text: str, indent: str = "  ") -> str:
    lines = []
    for line in (text or "").splitlines() or [""]:
        lines += textwrap.wrap(line, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]
    return "\n".join(lines)


def screen(item: AuditItem, position: int, total: int, done: int, current: str | None) -> str:
    """What the terminal shows for one answer."""
    given = f"   (your label: {current})" if current else ""
    return "\n".join([
        "\x1b[2J\x1b[H" + f"biaskit audit: answer {position + 1} of {total}, {done} labelled{given}",
        f"{item.category} | {item.task} | {item.attack} | {item.key}", "",
        "PROMPT", _wrap(item.prompt), "",
        "OPTIONS", _wrap(item.options_text()), "",
        "ANSWER", _wrap(item.response or "(empty answer)"), "",
        HELP, "> ",
    ])  # fmt: skip


def label_in_terminal(run: Path, items: Sequence[AuditItem], keys: Callable[[], str] | None = None, out: TextIO = sys.stdout) -> int:
    """Label ``items`` (the sample, in order) of the run at ``run``; returns how many labels were
    given in this session. ``keys`` reads one key press (default: the terminal)."""
    if keys is None:
        if not sys.stdin.isatty():
            raise ConfigError("the terminal labeller needs a terminal (stdin is not one); use --export FILE.json for Label Studio or FILE.csv")
        with single_keys(sys.stdin) as read:
            return label_in_terminal(run, items, read, out)
    given = audit_labels(run)
    position = next((i for i, item in enumerate(items) if item.key not in given), len(items))
    session = 0
    while position < len(items):
        item = items[position]
        done = sum(1 for i in items if i.key in given and given[i.key].label != SKIP)
        current = given[item.key].label if item.key in given else None
        out.write(screen(item, position, len(items), done, current))
        out.flush()
        key = keys().lower()
        if key in ("q", "\x04", ""):
            break
        if key == "b":
            position = max(position - 1, 0)
            continue
        if key in KEYS:
            label = new_label(item.key, KEYS[key], source="terminal")
            append_labels(run, [label])
            given[item.key] = label
            session += KEYS[key] != SKIP
            position += 1
    labelled = sum(1 for i in items if i.key in given and given[i.key].label != SKIP)
    out.write(f"\nbiaskit audit: {labelled} of {len(items)} answers labelled ({session} in this session); "
              f"labels in {Path(run) / 'audit.jsonl'}\n")  # fmt: skip
    return session

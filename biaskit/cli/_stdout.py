"""stdout carries biaskit's output only: ``--json`` pipes into a JSON reader, tables into files.

Libraries print logs to stdout (vLLM's logger does, from the main process and its worker
processes), so while a command runs, file descriptor 1 points at stderr and biaskit's own output goes
through ``sys.stdout``, rebound to the real stdout.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout


@contextmanager
def stdout_for_biaskit_only() -> Iterator[None]:
    """Send whatever writes to file descriptor 1 to stderr, and ``sys.stdout`` to the real stdout.

    When ``sys.stdout`` is not file descriptor 1 (captured by a test, a notebook) nothing changes."""
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")  # vLLM's logger, here and in its workers
    try:
        if sys.stdout.fileno() != 1:
            raise io.UnsupportedOperation
    except (AttributeError, ValueError, io.UnsupportedOperation):
        yield
        return
    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    out = open(real, "w", encoding=sys.stdout.encoding, errors=sys.stdout.errors, buffering=1, closefd=False)
    try:
        with redirect_stdout(out):
            yield
    finally:
        out.flush()
        sys.stdout.flush()
        os.dup2(real, 1)
        os.close(real)

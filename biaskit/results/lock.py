"""The run lock: one process at a time writes a run folder.

``<run>/.biaskit.lock`` names its holder (PID, host, since when) and is held with an exclusive
``flock``, which the operating system releases when the holder dies however it dies. A second
process on the same run stops at once with one line naming the holder. A lock file whose holder is
gone (a killed process leaves it behind) is taken over with a note on stderr. The holder removes
the file when it lets go. Within one process the lock is shared: a run opened twice by the same
process (a notebook, a test) is not locked out by itself.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import socket
import stat
import sys
from datetime import UTC
from pathlib import Path

from biaskit.errors import BiaskitError
from biaskit.results.folder import LOCK, read_member

_ATTEMPTS = 5  # another process may remove the file between our open and our lock: try again
_HELD: dict[str, RunLock] = {}  # the locks this process holds, by folder: a second RunDir of a held run shares it


class RunLocked(BiaskitError):
    """Another process holds the run folder's lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _holder(path: Path) -> dict[str, object]:
    try:
        held = json.loads(read_member(path, limit=4096))
    except (OSError, ValueError, BiaskitError):
        return {}
    return held if isinstance(held, dict) else {}


def _describe(holder: dict[str, object]) -> str:
    if not holder:
        return "another process"
    return f"process {holder.get('pid', '?')} on {holder.get('host', '?')} (since {holder.get('since', '?')})"


class RunLock:
    """The lock of one run folder; :meth:`acquire` raises :class:`RunLocked` when it is held."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK
        self._key = os.path.realpath(folder)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or share it when this process already holds it (the lock keeps other
        processes out; one process opens a run several times)."""
        if self._fd is not None:
            return
        other = _HELD.get(self._key)
        if other is not None and other.held:
            return
        for _ in range(_ATTEMPTS):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
            except OSError as exc:
                raise BiaskitError(f"cannot lock {self.path.parent}: {self.path} cannot be opened ({exc.strerror or exc}); "
                                   "it must be a regular file, or absent") from None  # fmt: skip
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise BiaskitError(f"cannot lock {self.path.parent}: {self.path} is not a regular file; remove it")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RunLocked(f"{self.path.parent} is in use by biaskit {_describe(_holder(self.path))}; "
                                f"wait for it to finish (its lock is {self.path})") from None  # fmt: skip
            try:
                same = os.fstat(fd).st_ino == os.lstat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the former holder removed the file we opened: lock the new one
                os.close(fd)
                continue
            self._take_over(fd)
            return
        raise RunLocked(f"{self.path.parent}: could not take its lock {self.path} (other processes keep replacing it)")

    def _take_over(self, fd: int) -> None:
        holder = _holder(self.path)
        if holder:
            pid, host = holder.get("pid"), holder.get("host")
            state = "no longer running" if host == socket.gethostname() and isinstance(pid, int) and not _alive(pid) else "no longer holding it"
            print(f"biaskit: note: {self.path.parent} was locked by {_describe(holder)}, which is {state}; taking its lock over",
                  file=sys.stderr)  # fmt: skip
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd
        _HELD[self._key] = self
        atexit.register(self.release)

    def release(self) -> None:
        """Let go of the lock and remove its file (nothing when it is not held)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if _HELD.get(self._key) is self:
            del _HELD[self._key]
        try:
            if os.fstat(fd).st_ino == os.lstat(self.path).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        os.close(fd)
        atexit.unregister(self.release)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["RunLock", "RunLocked"]

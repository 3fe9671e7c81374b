"""The run folder's one owner: the names of its files and the rules every read and write follows.

A results folder is shared (a pull request adds a run, a colleague copies one over, CI builds the
site from whatever is there), so a run folder is read as untrusted input:

- a member is a regular file directly inside the folder: a symbolic link, FIFO, device or socket
  is refused with a reason, and is never opened (no link is followed, a FIFO never blocks);
- each kind of file has a size limit, checked before it is read;
- JSON nested deeper than :data:`MAX_DEPTH` is refused (a deep file must not exhaust the stack);
- error messages name the file and what is wrong, never the file's contents;
- a write never leaves the folder: a whole file goes through a temporary file in the folder and a
  rename (which replaces a link, never follows it), an append opens with no-follow; a failed write
  (a full disk, say) raises one line naming the file and leaves no temporary file;
- a run id names a folder directly under the results folder: :func:`check_run_id`.

The run lock lives in :mod:`biaskit.results.lock`.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from biaskit.errors import BiaskitError, ConfigError, DataError, shorten

MANIFEST = "manifest.json"
# Beside the manifest, what the stage files cannot tell if manifest.json is lost (one line per change).
HISTORY = "history.jsonl"
RESPONSES = "responses.jsonl"
JUDGMENTS = "judgments.jsonl"
RECHECKS = "rechecks.jsonl"
SCORES = "scores.json"
PAIRED = "paired.json"  # written by `biaskit eval --debias` into the debiased run
OCCUPATIONS = "occupations.csv"
# The NBLS read stage, by method: answer log-probabilities or sampled answers.
NBLS_STAGES = {"logprob": "nbls_logprobs.jsonl", "sample": "nbls_samples.jsonl"}
LOCK = ".biaskit.lock"  # held while a process writes the run (see biaskit.results.lock)
REPORT = "report"  # `biaskit report`'s default output folder inside the run

MiB = 1 << 20
# Size limits by file kind: far above any real run (a 200 MB answer file is fine), far below what
# would exhaust memory. A file over its limit is refused before it is read.
SIZE_LIMITS = {".json": 64 * MiB, ".jsonl": 4096 * MiB, ".csv": 256 * MiB}
OTHER_LIMIT = 256 * MiB
MAX_DEPTH = 64  # JSON nesting: a real record is a handful of levels deep

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def size_limit(name: str) -> int:
    """The largest size, in bytes, a run folder member named ``name`` may have."""
    return SIZE_LIMITS.get(Path(name).suffix, OTHER_LIMIT)


def check_run_id(run_id: str, source: str = "--run-id") -> str:
    """``run_id`` when it names a folder directly under the results folder; ``ConfigError`` (naming
    ``source``, where the id came from) for ``..``, an absolute path or a path separator."""
    if not isinstance(run_id, str) or not run_id.strip():
        raise ConfigError(f"{source}: a run id must be a non-empty folder name")
    bad = run_id in (".", "..") or os.path.isabs(run_id) or "\0" in run_id
    bad = bad or any(sep in run_id for sep in {"/", "\\", os.sep, os.altsep or "/"})
    if bad:
        raise ConfigError(f"{source}: run id {shorten(run_id)} is not a plain folder name; expected a name such as "
                          "'clear-bias-mymodel-plain' without '/', '\\' or '..', so the run stays inside the results folder")  # fmt: skip
    return run_id


def _kind(mode: int) -> str | None:
    """What a non-regular member is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    for test, words in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
                        (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):  # fmt: skip
        if test(mode):
            return words
    return "not a regular file"


def refusal(path: Path, allow_folder: bool = False) -> str | None:
    """Why the run folder member ``path`` may not be read (None when it may, or does not exist).

    Decided from the member's own metadata: nothing is opened and no link is followed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path.name} cannot be examined ({exc.strerror or exc})"
    kind = _kind(info.st_mode)
    if kind == "a folder" and allow_folder:
        return None
    if kind is not None:
        return f"{path.name} is {kind}; a run folder holds only regular files"
    if info.st_size > size_limit(path.name):
        return f"{path.name} is {info.st_size:,} bytes, over the {size_limit(path.name) // MiB:,} MiB limit for its kind"
    return None


def folder_refusal(folder: Path) -> str | None:
    """The first reason any member of ``folder`` may not be read (sub-folders such as ``report/``
    are allowed when they are real folders); None when every member is acceptable."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        return f"the folder cannot be listed ({exc.strerror or exc})"
    for name in names:
        reason = refusal(Path(folder) / name, allow_folder=True)
        if reason:
            return reason
    return None


def _open_regular(path: Path, flags: int, mode: int = 0o666) -> int:
    """A descriptor of ``path`` opened without following a link, checked to be a regular file."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{path} is a symbolic link; a run folder holds only regular files") from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise DataError(f"{path} cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    kind = _kind(info.st_mode)
    if kind is not None:
        os.close(fd)
        raise DataError(f"{path} is {kind}; a run folder holds only regular files")
    return fd


def read_member(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``; ``FileNotFoundError`` when it is absent, ``DataError``
    when it is a link, a special file or over its size limit (``limit``, default by kind)."""
    path = Path(path)
    limit = size_limit(path.name) if limit is None else limit
    # O_NONBLOCK: were a FIFO put there between checks, opening it must not wait for a writer.
    fd = _open_regular(path, os.O_RDONLY | _NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > limit:
            raise DataError(f"{path} is {size:,} bytes, over the {limit // MiB:,} MiB limit for its kind")
        data = handle.read(size)  # what fstat saw, read in one call (never a buffer of ``limit`` bytes)
        grown = handle.read(1 << 16) if len(data) == size else b""
        while grown and len(data) <= limit:  # appended to while being read: read on, within the limit
            data += grown
            grown = handle.read(1 << 16)
    if len(data) > limit:
        raise DataError(f"{path} grew past the {limit // MiB:,} MiB limit for its kind while it was read")
    return data


def open_for_append(path: Path) -> BinaryIO:
    """``path`` opened to append bytes (created if absent), never through a link."""
    try:
        fd = _open_regular(Path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except FileNotFoundError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror}") from None
    return os.fdopen(fd, "ab")


def open_for_update(path: Path) -> BinaryIO:
    """``path`` opened to read and truncate (a cut last line), never through a link."""
    return os.fdopen(_open_regular(Path(path), os.O_RDWR), "r+b")


def write_member(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path`` through a temporary file in the same folder and a rename.

    A kill never leaves half a file; a link at ``path`` is replaced, never followed; a failed write
    (a full disk) raises one line naming ``path`` and leaves no temporary file behind."""
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.tmp")  # O_EXCL, no-follow
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise BiaskitError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def overwrite_member(path: Path, data: bytes) -> None:
    """Overwrite the regular file ``path`` in place (no temporary file: for when the disk is full),
    never through a link; ``BiaskitError`` names ``path`` when it fails."""
    try:
        fd = _open_regular(Path(path), os.O_WRONLY | os.O_CREAT, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.truncate(0)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise BiaskitError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented, key-sorted JSON, written as :func:`write_member` writes."""
    write_member(path, (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def check_depth(value: Any, source: str) -> Any:
    """``value`` (parsed JSON) when it is nested at most :data:`MAX_DEPTH` deep, else ``DataError``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise DataError(f"{source}: JSON nested deeper than {MAX_DEPTH} levels; biaskit's files are a few levels deep")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value


def loads(data: bytes | str, source: str) -> Any:
    """Parse JSON text from ``source`` (a file, or file and line) with bounded nesting.

    ``ValueError`` (``json.JSONDecodeError``, ``UnicodeDecodeError``) propagates as from
    ``json.loads``; nesting too deep for the parser or over :data:`MAX_DEPTH` raises ``DataError``."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise DataError(f"{source}: JSON nested deeper than {MAX_DEPTH} levels; biaskit's files are a few levels deep") from None
    if may_be_deep(data):
        check_depth(value, source)
    return value


def may_be_deep(text: bytes | str) -> bool:
    """Whether JSON ``text`` has more opening brackets than :data:`MAX_DEPTH` (only then can it be
    nested deeper; counting is far cheaper than walking what it parses to)."""
    if isinstance(text, str):
        return text.count("[") + text.count("{") > MAX_DEPTH
    return text.count(b"[") + text.count(b"{") > MAX_DEPTH


def read_json(path: Path) -> Any:
    """A JSON member of a run folder, read under the folder's rules (see :func:`read_member`)."""
    return loads(read_member(path), str(path))


__all__ = [
    "HISTORY", "JUDGMENTS", "LOCK", "MANIFEST", "MAX_DEPTH", "NBLS_STAGES", "OCCUPATIONS", "PAIRED", "RECHECKS", "REPORT",
    "RESPONSES", "SCORES", "check_depth", "check_run_id", "folder_refusal", "loads", "may_be_deep", "open_for_append", "open_for_update", "overwrite_member",
    "read_json", "read_member", "refusal", "size_limit", "write_json", "write_member",
]  # fmt: skip

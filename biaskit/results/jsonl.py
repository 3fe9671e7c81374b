"""Append-only JSONL files that survive kills: a cut last line is dropped, never half-read.

Stage files are keyed: each record carries a ``key``, and a reader sees each key once. A line that
repeats an earlier record exactly (a hand-joined file, say) is dropped with a warning; a line that
gives a key already seen other content is an error naming the file and both lines, since the
scores would otherwise count one answer twice or pick one of two answers at random.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from biaskit.errors import BiaskitError, DataError, shorten
from biaskit.results.folder import loads, open_for_append, open_for_update, read_member

log = logging.getLogger("biaskit")
_warned: set[tuple[str, int]] = set()  # (file, line) of the duplicates already reported


def read_records(path: Path, repair: bool = False, key: str | None = "key") -> Iterator[dict[str, Any]]:
    """Yield the complete records of ``path``, one per ``key`` (``key=None``: every record).

    A last line without its newline (the process was killed while writing it) is incomplete and is
    skipped; with ``repair`` the file is truncated to its last complete line so appends start clean.
    A malformed line anywhere else is corruption and raises, naming file and line. The file is read
    under the run folder's rules (:mod:`biaskit.results.folder`): a link or special file is refused.
    """
    try:
        data = read_member(path)
    except FileNotFoundError:
        return
    complete = data.rfind(b"\n") + 1
    if repair and complete < len(data):
        with open_for_update(path) as handle:
            handle.truncate(complete)
    lines = _decode_lines(data[:complete], str(path))
    if key is None:
        yield from parse_json_lines(lines, str(path))
        return
    yield from _unique(_numbered(lines, str(path)), key, str(path))


def _decode_lines(data: bytes, source: str) -> list[str]:
    lines = []
    for number, raw in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: line {number} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                "each line should be one JSON record as biaskit writes it"
            ) from None
    return lines


def _unique(numbered: Iterable[tuple[int, dict[str, Any]]], key: str, source: str) -> Iterator[dict[str, Any]]:
    first: dict[Any, tuple[int, dict[str, Any]]] = {}
    for number, record in numbered:
        if key not in record:
            raise DataError(f"{source}: line {number} has no {key!r} field; every record of a stage file needs its {key!r}")
        value = record[key]
        if not isinstance(value, (str, int)):
            raise DataError(f"{source}: line {number}: {key!r} is {shorten(value)}; expected a string")
        if value in first:
            seen_at, seen = first[value]
            if seen != record:
                raise DataError(
                    f"{source}: line {number} repeats {key} {shorten(value)} of line {seen_at} with other content; keep one of the two lines"
                )
            if (source, number) not in _warned:
                _warned.add((source, number))
                log.warning("biaskit: warning: %s: line %d repeats line %d (key %s); the copy is ignored", source, number, seen_at, shorten(value))
            continue
        first[value] = (number, record)
        yield record


def _numbered(lines: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = loads(line, f"{source}: line {number}")
        except json.JSONDecodeError as exc:
            raise DataError(f"{source}: line {number} is not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(f"{source}: line {number} is not a JSON object")
        yield number, record


def parse_json_lines(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """The JSON objects of ``lines`` (blank lines skipped); ``DataError`` names ``source`` and the line."""
    return [record for _, record in _numbered(lines, source)]


class JsonlWriter:
    """Appends records, one flushed and fsynced line per record batch.

    The file is opened without following a link; a failed write (a full disk) raises one line
    naming the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        list(read_records(path, repair=True, key=None))  # drop a cut last line before appending
        self._handle = open_for_append(path)

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
        try:
            self._handle.write(lines.encode("utf-8"))
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise BiaskitError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError:  # the failed write was reported; what was buffered is lost with it
            pass

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

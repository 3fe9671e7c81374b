"""Append-only JSONL files that survive kills: a cut last line is dropped, never half-read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from biaskit.errors import DataError


def read_records(path: Path, repair: bool = False) -> Iterator[dict[str, Any]]:
    """Yield the complete records of ``path``.

    A last line without its newline (the process was killed while writing it) is incomplete and is
    skipped; with ``repair`` the file is truncated to its last complete line so appends start clean.
    A malformed line anywhere else is corruption and raises, naming file and line.
    """
    if not path.exists():
        return
    with path.open("rb") as handle:
        data = handle.read()
    complete = data.rfind(b"\n") + 1
    if repair and complete < len(data):
        with path.open("r+b") as handle:
            handle.truncate(complete)
    yield from parse_json_lines(data[:complete].decode("utf-8").splitlines(), str(path))


def parse_json_lines(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """The JSON objects of ``lines`` (blank lines skipped); ``DataError`` names ``source`` and the line."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{source}: line {number} is not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise DataError(f"{source}: line {number} is not a JSON object")
        records.append(record)
    return records


class JsonlWriter:
    """Appends records, one flushed and fsynced line per record batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        list(read_records(path, repair=True))  # drop a cut last line before appending
        self._handle = path.open("a", encoding="utf-8")

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
        self._handle.write(lines)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

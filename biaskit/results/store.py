"""The run directory: ``results/<run_id>/`` with manifest.json and append-only JSONL stages.

Each stage (responses, judgments) is keyed: a record whose key is already on disk is never produced
again, so re-running the same command resumes where a crash or kill stopped it. A stage may stamp
its records with a ``fingerprint`` of what made them (model and generation options), so a resumed
run never mixes records made another way, whether or not its manifest survived.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from biaskit.errors import BiaskitError, DataError, IncompleteStage, MissingAnswers
from biaskit.results.folder import (
    HISTORY,
    JUDGMENTS,
    LOCK,
    MANIFEST,
    PAIRED,
    RESPONSES,
    SCORES,
    open_for_append,
    overwrite_member,
    read_member,
    write_json,
)
from biaskit.results.jsonl import JsonlWriter, read_records
from biaskit.results.lock import RunLock
from biaskit.results.manifest import Manifest

T = TypeVar("T")

# history.jsonl keeps, beside the manifest, what the stage files cannot tell if manifest.json is
# lost: the invocations, the engine (backend version, dtype) and the options; one line per change.
KEPT_IN_HISTORY = ("invocations", "engine", "config", "started_at", "biaskit_version", "git_commit")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunDir:
    """One run's folder. Creating it checks that it is writable, with a one-line error if not."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The outermost folder this call creates, so a run that fails before any work leaves nothing.
        self.created: Path | None = None
        for folder in (self.path, *self.path.parents):
            if folder.exists():
                break
            self.created = folder
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.path, prefix=".write-test")  # a new file: never through a link
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise BiaskitError(f"results folder {self.path} is not writable: {exc.strerror or exc}") from exc
        self.lock = RunLock(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    def acquire(self) -> None:
        """Take the run's lock (see :mod:`biaskit.results.lock`) until the run's manifest records
        how it ended, or the process exits; ``RunLocked`` when another process holds it."""
        self.lock.acquire()

    # manifest -------------------------------------------------------------------------------
    def read_manifest(self) -> Manifest | None:
        path = self.file(MANIFEST)
        try:
            data = read_member(path)
        except FileNotFoundError:
            return None
        try:
            return Manifest.model_validate_json(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ())) or "file"
            raise DataError(f"{path}: not a biaskit manifest ({where}: {err['msg']}); move it away to start the run afresh") from None

    def discard_if_unused(self) -> bool:
        """Remove this folder when this invocation created it and wrote nothing but a manifest
        (an error found before any work); True when it was removed."""
        if self.created is None or not self.path.is_dir():
            return False
        entries = [p for p in self.path.iterdir() if p.name != LOCK]
        if any(not _regular(p) or (p.name not in (MANIFEST, HISTORY) and p.stat().st_size > 0) for p in entries):
            return False
        self.lock.release()
        for entry in entries:
            entry.unlink()
        folder = self.path
        while True:
            folder.rmdir()
            if folder == self.created or any(folder.parent.iterdir()):
                break
            folder = folder.parent
        return True

    def write_manifest(self, manifest: Manifest, in_place: bool = False) -> None:
        """Write manifest.json (and a history line when what it keeps changed); ``in_place``
        overwrites the file instead of renaming a new one over it, for recording a failure on a
        full disk (a kill meanwhile could cut it)."""
        data = manifest.model_dump(mode="json")
        if in_place:
            overwrite_member(self.file(MANIFEST), (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())
        else:
            write_json(self.file(MANIFEST), data)
        kept = {name: data.get(name) for name in KEPT_IN_HISTORY}
        if not in_place and kept != self.read_history():  # in place: the disk is full, the manifest is what counts
            try:
                with open_for_append(self.file(HISTORY)) as handle:
                    handle.write((json.dumps({"written_at": now_iso(), **kept}) + "\n").encode("utf-8"))
            except OSError as exc:
                raise BiaskitError(f"cannot write {self.file(HISTORY)}: {exc.strerror or exc}") from None
        if manifest.status != "running":  # the run ended (complete, failed, ...): another process may take it
            self.lock.release()

    def read_history(self) -> dict[str, Any] | None:
        """The last complete line of history.jsonl (without its time), or None when there is none."""
        try:
            data = read_member(self.file(HISTORY))
        except FileNotFoundError:
            return None
        last = None
        for line in data.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a kill mid-write, or a damaged one: skipped
                continue
            if isinstance(entry, dict):
                last = entry
        if last is None:
            return None
        return {name: last.get(name) for name in KEPT_IN_HISTORY}

    def holds_records(self) -> bool:
        """Whether any stage file holds data (a run folder whose manifest has gone missing)."""
        return any(_regular(p) and p.name not in (MANIFEST, HISTORY, LOCK) and p.stat().st_size > 0 for p in self.path.iterdir())

    # keyed stages ---------------------------------------------------------------------------
    def records(self, name: str) -> list[dict[str, Any]]:
        return list(read_records(self.file(name)))

    def done_keys(self, name: str) -> set[str]:
        return {r["key"] for r in read_records(self.file(name), repair=True)}

    def foreign_record(self, name: str, accepted: Collection[str | None]) -> dict[str, Any] | None:
        """The first record of stage ``name`` stamped with a fingerprint not in ``accepted``, if any.

        Records written before stages were stamped carry none and are accepted as they are."""
        for record in read_records(self.file(name)):
            if record.get("fingerprint") is not None and record["fingerprint"] not in accepted:
                return record
        return None

    def run_stage(
        self,
        name: str,
        todo: Sequence[T],
        keys: Callable[[T], list[str]],
        work: Callable[[Sequence[T]], Iterable[dict[str, Any]]],
        batch_size: int,
        progress: Callable[[int], None] | None = None,
        fingerprint: str | None = None,
    ) -> StageCounts:
        """Produce the records of the units in ``todo`` that are not all on disk yet.

        ``keys(unit)`` names the records a unit yields (one per sample, say); ``work`` turns a batch
        of units into records, each carrying its ``key``. A list of records is written (and
        fsynced) when the batch is done; an iterator's records are written one by one as it yields
        them, so a slow batch keeps each finished answer. Records already on disk are never written
        twice; ``fingerprint`` is stamped on every record written.

        When ``work`` raises :class:`MissingAnswers` (some requests got no answer after every retry)
        the answers it did give (yielded, or carried in the exception's ``records``) are kept and the next batch goes on, unless the batch gave nothing
        at all (the server is gone). A stage that ends with records missing raises
        :class:`IncompleteStage` with the counts; running it again produces only those.
        """
        done = self.done_keys(name)
        missing: list[T] = []
        seen: set[str] = set()
        reused = 0
        for unit in todo:
            unit_keys = keys(unit)
            if unit_keys[0] in seen:
                continue
            seen.add(unit_keys[0])
            have = sum(k in done for k in unit_keys)
            reused += have
            if have < len(unit_keys):
                missing.append(unit)
        counts = StageCounts(reused=reused, generated=0)
        if progress and reused:
            progress(reused)
        failures: list[MissingAnswers] = []

        def keep(records: list[dict[str, Any]]) -> int:
            records = [r for r in records if r["key"] not in done]
            if fingerprint is not None:
                records = [{**r, "fingerprint": fingerprint} for r in records]
            writer.write(records)
            done.update(r["key"] for r in records)
            counts.generated += len(records)
            if progress:
                progress(len(records))
            return len(records)

        with JsonlWriter(self.file(name)) as writer:
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                kept = 0
                try:
                    out = work(batch)
                    if isinstance(out, list):
                        kept += keep(out)
                    else:
                        try:
                            for record in out:
                                kept += keep([record])
                        finally:  # a failed write (a full disk) stops the requests in flight now, not at exit
                            close = getattr(out, "close", None)
                            if close is not None:
                                close()
                except MissingAnswers as exc:
                    failures.append(exc)
                    kept += keep(exc.records)
                    if not kept:
                        break
        absent = sum(k not in done for unit in missing for k in keys(unit))
        if absent:
            counts.missing = absent
            reason = failures[0].cause if failures else "the engine returned no answer for them"
            total = counts.reused + counts.generated + absent
            raise IncompleteStage(
                f"{self.file(name)}: {absent} of {total} records missing ({reason}); the {counts.reused + counts.generated} "
                "finished ones are kept: run the same command again to produce the rest",
                stage=name, counts=counts.as_dict(),
            )  # fmt: skip
        return counts


class StageCounts:
    """How many keyed records a stage reused from disk and how many it produced now."""

    def __init__(self, reused: int, generated: int, missing: int = 0) -> None:
        self.reused = reused
        self.generated = generated
        self.missing = missing

    def as_dict(self) -> dict[str, int]:
        counts = {"reused": self.reused, "generated": self.generated}
        return {**counts, "missing": self.missing} if self.missing else counts


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file in the folder and a rename, so a kill never leaves half
    a file and a link is never followed (see :func:`biaskit.results.folder.write_member`)."""
    write_json(path, data)


def _regular(path: Path) -> bool:
    """A regular file, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def iter_run_dirs(root: Path) -> Iterator[Path]:
    """Run directories directly under ``root`` (those with a manifest), sorted by name."""
    if not root.is_dir():
        return iter(())
    return iter(sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()))


__all__ = [
    "HISTORY",
    "JUDGMENTS",
    "MANIFEST",
    "PAIRED",
    "RESPONSES",
    "SCORES",
    "RunDir",
    "StageCounts",
    "write_json_atomic",
    "iter_run_dirs",
    "now_iso",
]

"""The run directory: ``results/<run_id>/`` with manifest.json and append-only JSONL stages.

Each stage (responses, judgments) is keyed: a record whose key is already on disk is never produced
again, so re-running the same command resumes where a crash or kill stopped it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from biaskit.errors import BiaskitError
from biaskit.results.jsonl import JsonlWriter, read_records
from biaskit.results.manifest import Manifest

T = TypeVar("T")

RESPONSES = "responses.jsonl"
JUDGMENTS = "judgments.jsonl"
SCORES = "scores.json"
PAIRED = "paired.json"  # written by `biaskit eval --debias` into the debiased run
MANIFEST = "manifest.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """One run's folder. Creating it checks that it is writable, with a one-line error if not."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise BiaskitError(f"results folder {self.path} is not writable: {exc.strerror or exc}") from exc

    def file(self, name: str) -> Path:
        return self.path / name

    # manifest -------------------------------------------------------------------------------
    def read_manifest(self) -> Manifest | None:
        path = self.file(MANIFEST)
        if not path.exists():
            return None
        return Manifest.model_validate_json(path.read_text())

    def write_manifest(self, manifest: Manifest) -> None:
        write_json_atomic(self.file(MANIFEST), manifest.model_dump(mode="json"))

    # keyed stages ---------------------------------------------------------------------------
    def records(self, name: str) -> list[dict[str, Any]]:
        return list(read_records(self.file(name)))

    def done_keys(self, name: str) -> set[str]:
        return {r["key"] for r in read_records(self.file(name), repair=True)}

    def run_stage(
        self,
        name: str,
        todo: Sequence[T],
        keys: Callable[[T], list[str]],
        work: Callable[[Sequence[T]], list[dict[str, Any]]],
        batch_size: int,
        progress: Callable[[int], None] | None = None,
    ) -> "StageCounts":
        """Produce the records of the units in ``todo`` that are not all on disk yet.

        ``keys(unit)`` names the records a unit yields (one per sample, say); ``work`` turns a batch
        of units into records, each carrying its ``key``. A batch is written (and fsynced) as soon as
        it is done, so a kill loses at most the batch in flight; records already on disk are never
        written twice.
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
        with JsonlWriter(self.file(name)) as writer:
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                records = [r for r in work(batch) if r["key"] not in done]
                writer.write(records)
                done.update(r["key"] for r in records)
                counts.generated += len(records)
                if progress:
                    progress(len(records))
        return counts


class StageCounts:
    """How many keyed records a stage reused from disk and how many it produced now."""

    def __init__(self, reused: int, generated: int) -> None:
        self.reused = reused
        self.generated = generated

    def as_dict(self) -> dict[str, int]:
        return {"reused": self.reused, "generated": self.generated}


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so a kill never leaves half a file."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def iter_run_dirs(root: Path) -> Iterator[Path]:
    """Run directories directly under ``root`` (those with a manifest), sorted by name."""
    if not root.is_dir():
        return iter(())
    return iter(sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()))


__all__ = ["RunDir", "StageCounts", "write_json_atomic", "iter_run_dirs", "now_iso"]

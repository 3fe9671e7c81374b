"""A run's audit: the answers drawn for a person to label, and the labels they gave.

Two files in the run folder, beside the judge's and never in place of them:

* ``audit-sample.json``: the stratified random sample ``biaskit audit`` drew (seed, size, strata,
  and per answer its stratum and the stratum's size, so estimates can weight it);
* ``audit.jsonl``: one line per label given, appended and fsynced as it is given (who, when,
  where from). A later line for the same answer replaces an earlier one (``back`` in the terminal,
  a second import), so the file is a history and :func:`audit_labels` reads the latest of each.

``biaskit eval`` resumes and ``biaskit judge`` re-judges without touching either file.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from biaskit.errors import DataError
from biaskit.results.folder import read_json, read_member
from biaskit.results.jsonl import JsonlWriter, read_records
from biaskit.results.store import SCORES, now_iso, write_json_atomic

AUDIT = "audit.jsonl"
AUDIT_SAMPLE = "audit-sample.json"
HUMAN_LABELS = ("S", "CS", "D", "R", "M")
SKIP = "skip"  # seen and passed over; not a label, never counted
AuditLabelValue = Literal["S", "CS", "D", "R", "M", "skip"]


class SampledAnswer(BaseModel):
    """One answer of the sample: its key, its stratum and how many answers the stratum holds."""

    key: str
    order: int
    stratum: str
    stratum_size: int
    stratum_drawn: int
    judge_label: str
    confidence: float | None = None


class AuditSample(BaseModel):
    """``audit-sample.json``: how the sample was drawn and which answers it holds, in labelling order."""

    n: int
    seed: int
    strata: list[str]
    population: int
    drawn_at: str
    answers: list[SampledAnswer]

    def keys(self) -> list[str]:
        return [a.key for a in self.answers]


class AuditLabel(BaseModel):
    """A person's label for one answer (``audit.jsonl``)."""

    key: str
    label: AuditLabelValue
    by: str
    at: str
    source: str  # terminal, label-studio:<file>, csv:<file>


def read_sample(run: Path) -> AuditSample | None:
    """The run's drawn sample, or None when none was drawn."""
    path = Path(run) / AUDIT_SAMPLE
    try:
        data = read_member(path)
    except FileNotFoundError:
        return None
    try:
        return AuditSample.model_validate_json(data)
    except ValidationError as exc:
        raise DataError(f"{path}: not an audit sample ({exc.errors()[0]['msg']}); move it away to draw a new one") from None


def write_sample(run: Path, sample: AuditSample) -> Path:
    path = Path(run) / AUDIT_SAMPLE
    write_json_atomic(path, sample.model_dump(mode="json"))
    return path


def audit_history(run: Path) -> list[AuditLabel]:
    """Every label line of ``audit.jsonl`` in the order given (a cut last line is dropped)."""
    path = Path(run) / AUDIT
    out = []
    for number, record in enumerate(read_records(path, key=None), start=1):
        try:
            out.append(AuditLabel.model_validate(record))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise DataError(f"{path}: line {number}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    return out


def audit_labels(run: Path) -> dict[str, AuditLabel]:
    """The latest label per answer key, skips included (see :data:`SKIP`)."""
    return {label.key: label for label in audit_history(run)}


def human_labels(run: Path) -> dict[str, str]:
    """Answer key -> the person's label, for answers labelled S, CS, D, R or M (skips left out)."""
    return {k: v.label for k, v in audit_labels(run).items() if v.label in HUMAN_LABELS}


def append_labels(run: Path, labels: Iterable[AuditLabel]) -> int:
    """Append labels to ``audit.jsonl`` (one fsynced write); returns how many."""
    records = [label.model_dump(mode="json") for label in labels]
    if records:
        with JsonlWriter(Path(run) / AUDIT) as writer:
            writer.write(records)
    return len(records)


def new_label(key: str, label: str, source: str, by: str | None = None, at: str | None = None) -> AuditLabel:
    """A label record stamped with who gave it (the login name by default) and when (now)."""
    return AuditLabel(key=key, label=label, by=by or _user(), at=at or now_iso(), source=source)  # type: ignore[arg-type]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def set_scores_block(run: Path, name: str, block: object) -> None:
    """Replace one top-level block of the run's ``scores.json`` (``audited``, ``judge_agreement``),
    leaving every other figure as it is."""
    path = Path(run) / SCORES
    try:
        scores = read_json(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the run's scores ({exc}); score the run first (biaskit judge --run)") from None
    if block is None:
        scores.pop(name, None)
    else:
        scores[name] = block
    write_json_atomic(path, scores)


__all__ = [
    "AUDIT", "AUDIT_SAMPLE", "HUMAN_LABELS", "SKIP", "AuditLabel", "AuditSample", "SampledAnswer", "append_labels",
    "audit_history", "audit_labels", "human_labels", "new_label", "read_sample", "set_scores_block", "write_sample",
]  # fmt: skip

"""Auditing a run's own labels: a person labels a random sample of its answers.

    sample = draw(run_dir, n=100, seed=0)          # audit-sample.json (reused when already drawn)
    label_in_terminal(run_dir, sample_items(run_dir))
    export(run_dir, "audit.json")                  # Label Studio import file + audit.config.xml
    import_labels("export.json", run_dir)          # Label Studio JSON export, or a labelled CSV
    update_scores(run_dir)                         # scores.json gains audited and judge_agreement

The labels live in the run folder (``audit.jsonl``, see :mod:`biaskit.results.audit`), beside the
judge's and never in place of them. The figures are in :mod:`biaskit.metrics.ppi` and
:mod:`biaskit.metrics.agreement`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from biaskit.audit.items import AuditItem, PromptIndex, audit_item
from biaskit.audit.sample import draw_sample
from biaskit.audit.terminal import label_in_terminal
from biaskit.errors import ConfigError, DataError
from biaskit.results.audit import AuditSample, append_labels, audit_labels, read_sample, set_scores_block, write_sample
from biaskit.results.store import JUDGMENTS, MANIFEST, RESPONSES, SCORES, RunDir

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_N = 100


def _run_dir(run: str | Path) -> RunDir:
    path = Path(run)
    if not (path / MANIFEST).is_file():
        raise DataError(f"{path} is not a run directory (no {MANIFEST}); give a folder made by `biaskit eval`, e.g. results/<run_id>")
    manifest = RunDir(path).read_manifest()
    if manifest is not None and manifest.suite != "clear-bias":
        raise DataError(f"{path} is a {manifest.suite} run; only CLEAR-Bias runs have judge labels to audit")
    return RunDir(path)


def draw(run: str | Path, n: int | None = None, seed: int | None = None) -> AuditSample:
    """The run's audit sample: drawn now (``n`` answers, default 100, ``seed`` default 0) and
    recorded, or the one already recorded. Asking for another ``n`` or ``seed`` than the recorded
    sample's is an error: labels already given belong to it."""
    run_dir = _run_dir(run)
    existing = read_sample(run_dir.path)
    if existing is not None:
        for option, wanted, had in (("--n", n, existing.n), ("--seed", seed, existing.seed)):
            if wanted is not None and wanted != had:
                raise ConfigError(f"{run_dir.path}: an audit sample was already drawn with {option} {had}; its labels are in audit.jsonl. "
                                  f"Drop {option} to go on with it, or move audit-sample.json away to draw another")  # fmt: skip
        return existing
    sample = draw_sample(run_dir.records(JUDGMENTS), DEFAULT_N if n is None else n, 0 if seed is None else seed)
    write_sample(run_dir.path, sample)
    return sample


def sample_items(run: str | Path) -> list[AuditItem]:
    """The drawn sample's answers with their prompts, in labelling order."""
    run_dir = _run_dir(run)
    sample = read_sample(run_dir.path) or draw(run_dir.path)
    responses = {str(r["key"]): r for r in run_dir.records(RESPONSES)}
    data = (run_dir.read_manifest().config or {}).get("data") if run_dir.read_manifest() else None  # type: ignore[union-attr]
    index = PromptIndex(data)
    missing = [a.key for a in sample.answers if a.key not in responses]
    if missing:
        raise DataError(f"{run_dir.path / RESPONSES}: the audit sample names answer {missing[0]!r}, which is not there ({len(missing)} such)")
    return [audit_item(responses[a.key], a.judge_label, index) for a in sample.answers]


def sample_frame(run: str | Path) -> pd.DataFrame:
    """The sample as a DataFrame: one row per answer in labelling order, with its prompt, options,
    answer, stratum, the judge's label and confidence, and the person's label so far ("" if none)."""
    import pandas as pd

    run_dir = _run_dir(run)
    items = sample_items(run_dir.path)
    sample = read_sample(run_dir.path)
    assert sample is not None
    given = audit_labels(run_dir.path)
    rows = []
    for item, drawn in zip(items, sample.answers):
        label = given.get(item.key)
        rows.append({**item.__dict__, "stratum": drawn.stratum, "confidence": drawn.confidence,
                     "audit_label": label.label if label else "", "audit_by": label.by if label else "", "audit_at": label.at if label else ""})  # fmt: skip
    return pd.DataFrame(rows)


def export(run: str | Path, path: str | Path) -> list[Path]:
    """Write the sample for a tool: ``.json`` a Label Studio import file and its labelling config,
    ``.csv`` a spreadsheet. Returns the files written."""
    from biaskit.audit import labelstudio, table

    run_dir = _run_dir(run)
    path = Path(path)
    items = sample_items(run_dir.path)
    if path.suffix.lower() == ".json":
        return list(labelstudio.write_import(items, str(run_dir.path), path))
    if path.suffix.lower() == ".csv":
        return [table.write_csv(items, str(run_dir.path), path)]
    raise ConfigError(f"--export {path}: expected a .json file (Label Studio import) or a .csv file (spreadsheet)")


def import_labels(path: str | Path, run: str | Path | None = None) -> tuple[Path, int]:
    """Read a Label Studio JSON export or a labelled CSV into the run's ``audit.jsonl`` (the run
    named in the file, or ``run``); returns (run folder, labels imported)."""
    from biaskit.audit import labelstudio, table

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    reader = labelstudio.read_export if path.suffix.lower() == ".json" else table.read_csv if path.suffix.lower() == ".csv" else None
    if reader is None:
        raise ConfigError(f"{path}: expected a Label Studio JSON export (.json) or a labelled CSV (.csv)")
    named, labels = reader(path)
    target = Path(run) if run is not None else Path(named) if named else None
    if target is None:
        raise ConfigError(f"{path} does not name its run; pass --run RUN")
    run_dir = _run_dir(target)
    judged = run_dir.done_keys(JUDGMENTS)
    unknown = [label.key for label in labels if label.key not in judged]
    if unknown:
        raise DataError(f"{path}: answer {unknown[0]!r} is not a judged answer of {run_dir.path} ({len(unknown)} such); is this the right run?")
    already = audit_labels(run_dir.path)
    fresh = [label for label in labels if label.key not in already or (already[label.key].label, already[label.key].by) != (label.label, label.by)]
    append_labels(run_dir.path, fresh)
    return run_dir.path, len(fresh)


def update_scores(run: str | Path) -> dict[str, Any] | None:
    """Recompute the ``audited`` and ``judge_agreement`` blocks of the run's scores.json from its
    audit; returns the ``audited`` block (None without audit labels)."""
    from biaskit.audit.scoring import audit_blocks
    from biaskit.flows.clear_bias import labels_frame
    from biaskit.results.folder import read_json

    run_dir = _run_dir(run)
    try:
        scores = read_json(run_dir.file(SCORES))
    except (OSError, ValueError) as exc:
        raise DataError(f"{run_dir.file(SCORES)}: cannot read the run's scores ({exc}); score the run first") from None
    audited, agreement = audit_blocks(run_dir.path, labels_frame(run_dir), scores)
    set_scores_block(run_dir.path, "audited", audited)
    set_scores_block(run_dir.path, "judge_agreement", agreement)
    return audited


__all__ = ["DEFAULT_N", "AuditItem", "draw", "export", "import_labels", "label_in_terminal", "sample_frame", "sample_items", "update_scores"]

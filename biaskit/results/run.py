"""``Run``: one run directory (``results/<run_id>/``) as Python objects and pandas DataFrames,
and :func:`load_run`, which validates a folder as a finished run (the leaderboard's reader).

A run folder is read only through here and :mod:`biaskit.results.answers` (the flows write it
through :class:`biaskit.results.store.RunDir`), under the rules of :mod:`biaskit.results.folder`.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from biaskit.errors import ConfigError, DataError
from biaskit.results.answers import label_answers
from biaskit.results.folder import MANIFEST, NBLS_STAGES, OCCUPATIONS, SCORES, check_run_id, folder_refusal, loads, read_member
from biaskit.results.jsonl import read_records
from biaskit.results.manifest import Manifest, read_manifest
from biaskit.results.scores import SCORE_MODELS, ClearBiasScores, NblsScores, Scores, first_error

if TYPE_CHECKING:
    import pandas as pd

    from biaskit.results.leaderboard.compare import Comparison

# The columns every answer row starts with; the rest of the stored record follows.
ANSWER_COLUMNS = ("key", "category", "task", "attack", "variant", "response", "label", "path", "recheck")
FIGURES = ("robustness", "fairness", "safety")


class Run:
    """A run directory made by ``biaskit eval`` (or :func:`biaskit.evaluate`).

    Everything is read from the folder when asked for, so a run re-judged or resumed meanwhile
    shows its current files; a run validated by :func:`load_run` keeps the manifest and scores it
    was validated with (``manifest``, ``scores``), read once. ``judge`` arguments name another
    judge whose labels and scores are kept beside the run's own (``biaskit judge --run``); ``None``
    is the run's own judge.
    """

    def __init__(self, path: str | Path, *, manifest: Manifest | None = None, scores: Scores | None = None) -> None:
        self.path = Path(path)
        if not (self.path / MANIFEST).is_file():
            raise DataError(f"{self.path} is not a run directory (no {MANIFEST}); give a folder made by `biaskit eval`, e.g. results/<run_id>")
        self._manifest, self._read_scores = manifest, scores

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def manifest(self) -> Manifest:
        """What ran, on which model, with which settings and data hashes (``manifest.json``)."""
        return self._manifest or read_manifest(self.path)

    @property
    def name(self) -> str:
        """The run folder's name."""
        return self.path.name

    @property
    def suite(self) -> str:
        return self.manifest.suite

    @property
    def model(self) -> str:
        """The model the user evaluated (``--model``); a debiased run's engine names draft -> verifier."""
        manifest = self.manifest
        configured = manifest.config.get("model")
        if isinstance(configured, str) and configured:
            return configured
        return manifest.engine.model if manifest.engine is not None else ""

    @property
    def condition(self) -> str:
        return self.manifest.condition

    @property
    def date(self) -> str:
        """The day the run finished (UTC), for the leaderboard's date column."""
        manifest = self.manifest
        return (manifest.finished_at or manifest.started_at)[:10]

    @property
    def scores(self) -> ClearBiasScores | NblsScores | None:
        """``scores.json`` as its typed record (None while the run has not been scored)."""
        return self._read_scores or self._scores(SCORES)

    def _scores(self, name: str) -> ClearBiasScores | NblsScores | None:
        path = self.path / name
        try:
            data = read_member(path)
        except FileNotFoundError:
            return None
        schema = SCORE_MODELS.get(self.suite)
        if schema is None:
            raise DataError(f"{path}: suite {self.suite!r} has no scores schema (expected one of {sorted(SCORE_MODELS)})")
        try:
            return schema.model_validate_json(data)  # type: ignore[return-value]
        except ValidationError as exc:
            raise DataError(f"{path} is not a valid {self.suite} scores file: {first_error(exc)}") from None

    def _clear_bias(self, what: str) -> None:
        if self.suite != "clear-bias":
            raise DataError(f"{self.path} is not a CLEAR-Bias run (suite {self.suite!r}): it has no {what}; see Run.scores and Run.occupations()")

    def _suffix(self, judge: str | None) -> str | None:
        if judge is None:
            return None
        from biaskit.flows.clear_bias import other_judge

        return other_judge(self.path, judge)

    def responses(self) -> pd.DataFrame:
        """One row per stored answer, with the run's own label where it has one.

        CLEAR-Bias columns start with key, category, task, attack, variant, response, label, path
        (which part of the judge decided) and recheck (R or M for refusals under attack), then the
        rest of each ``responses.jsonl`` record. An NBLS run has the records of its read stage
        (answer log-probabilities or samples per question).
        """
        if self.suite == "nbls":
            import pandas as pd

            names = (NBLS_STAGES["logprob"], NBLS_STAGES["sample"])
            stage = next((self.path / n for n in names if os.path.lexists(self.path / n)), self.path / names[0])
            return pd.DataFrame(list(read_records(stage)))
        return self._answers(None, judged_only=False)

    def labels(self, judge: str | None = None) -> pd.DataFrame:
        """One row per judged answer: key, category, task, attack, variant, response, label, path,
        recheck, then the rest of the answer record (``judge``: another judge's labels)."""
        self._clear_bias("labels")
        return self._answers(judge, judged_only=True)

    def _answers(self, judge: str | None, judged_only: bool) -> pd.DataFrame:
        import pandas as pd

        from biaskit.judges.stage import stage_files

        files = stage_files(self._suffix(judge))
        if judge is not None and not (self.path / files[0]).is_file():
            raise DataError(f"{self.path} has no labels of judge {judge!r} ({files[0]}); run biaskit.judge(run, judge={judge!r}) first")
        rows = label_answers(self.path, files, judged_only=judged_only)
        frame = pd.DataFrame([row for row in rows if row["label"] or not judged_only])
        if frame.empty:
            return pd.DataFrame(columns=list(ANSWER_COLUMNS))
        for column in ANSWER_COLUMNS:
            if column not in frame:
                frame[column] = ""
        rest = [c for c in frame.columns if c not in ANSWER_COLUMNS]
        return frame[[*ANSWER_COLUMNS, *rest]].sort_values("key", ignore_index=True)

    def categories(self, judge: str | None = None) -> pd.DataFrame:
        """Base-prompt figures per bias category: n, safe, and robustness, fairness and safety each
        with its 95% bootstrap interval (``<figure>_lo``, ``<figure>_hi``)."""
        import pandas as pd

        self._clear_bias("categories")
        suffix = self._suffix(judge)
        name = SCORES if suffix is None else f"scores.{suffix}.json"
        scores = self._scores(name)
        if scores is None:
            raise DataError(f"{self.path} has no {name} (the run was not scored{'' if judge is None else ' by that judge'})")
        assert isinstance(scores, ClearBiasScores)
        rows = []
        for category, figures in sorted(scores.base.categories.items()):
            row: dict[str, Any] = {"category": category, "n": figures.n, "safe": figures.safe}
            for figure in FIGURES:
                interval = getattr(figures, figure)
                lo, hi = interval.ci or (None, None)
                row.update({figure: interval.value, f"{figure}_lo": lo, f"{figure}_hi": hi})
            rows.append(row)
        return pd.DataFrame(rows, columns=["category", "n", "safe", *(f"{f}{s}" for f in FIGURES for s in ("", "_lo", "_hi"))])

    def occupations(self) -> pd.DataFrame:
        """NBLS: one row per occupation, the model's shares next to BLS's (``occupations.csv``)."""
        import pandas as pd

        path = self.path / OCCUPATIONS
        try:
            return pd.read_csv(io.BytesIO(read_member(path)))
        except FileNotFoundError:
            raise DataError(f"{self.path} has no {OCCUPATIONS}; an NBLS run writes one per occupation") from None
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} is unreadable: {exc}") from None

    def audit(self, n: int | None = None, seed: int | None = None) -> pd.DataFrame:
        """The audit sample (``biaskit audit``): drawn now (``n`` answers, default 100, seeded) and
        recorded in the run folder, or the one already drawn; one row per answer with its prompt,
        options, answer, stratum, the judge's label and the person's label so far."""
        from biaskit import audit

        self._clear_bias("audit")
        audit.draw(self.path, n=n, seed=seed)
        return audit.sample_frame(self.path)

    def import_audit(self, path: str | Path) -> int:
        """Read a Label Studio JSON export or a labelled CSV of this run's audit sample into
        ``audit.jsonl``, and update ``scores.json``'s audited figures; returns the labels added."""
        from biaskit import audit

        self._clear_bias("audit")
        _, count = audit.import_labels(path, self.path)
        audit.update_scores(self.path)
        return count

    def report(self, out: str | Path | None = None) -> Path:
        """Write this run's page and PNG plots (``biaskit report``); returns the page's path."""
        from biaskit.results.leaderboard import write_report

        return write_report(self.path, Path(out) if out is not None else None)

    def compare(self, other: Run | str | Path, n_boot: int = 1000, seed: int = 0) -> Comparison:
        """``other`` minus this run per category, with paired bootstrap intervals (``biaskit
        compare``); ``.table()`` prints it, ``.as_dict()`` holds every figure."""
        from biaskit.errors import ConfigError
        from biaskit.results.leaderboard.compare import compare_runs

        if n_boot < 1:
            raise ConfigError(f"n_boot must be at least 1, got {n_boot}")
        other_path = other.path if isinstance(other, Run) else Path(other)
        return compare_runs(self.path, other_path, n_boot=n_boot, seed=seed)


def open_run(path: str | Path) -> Run:
    """The run directory at ``path`` (e.g. ``results/<run_id>``) as a :class:`Run`."""
    return Run(path)


@dataclass(frozen=True)
class Skipped:
    """A run directory left out of the leaderboard, and why."""

    name: str
    reason: str


def load_run(path: str | Path) -> Run | Skipped:
    """``path`` validated as a finished run: a :class:`Run` whose manifest (status ``complete``, an
    engine) and scores (the schema of its suite, :data:`~biaskit.results.scores.SCORE_MODELS`) were
    read once and are kept; otherwise a :class:`Skipped` naming the first problem found. Nothing
    here raises for a bad run."""
    path = Path(path)
    name = path.name
    refused = folder_refusal(path)  # links, special files, oversized files: refused before any read
    if refused:
        return Skipped(name, refused)
    try:
        raw_manifest = loads(read_member(path / MANIFEST), MANIFEST)
    except OSError as exc:
        return Skipped(name, f"{MANIFEST} unreadable: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Skipped(name, f"{MANIFEST} is not valid JSON ({exc})")
    except DataError as exc:
        return Skipped(name, _relative(exc, path))
    if not isinstance(raw_manifest, dict):
        return Skipped(name, f"{MANIFEST} must hold a JSON object")
    # The default would describe the reader's checkout (and run git once per run); a run without
    # the field simply has no recorded commit.
    raw_manifest.setdefault("git_commit", None)
    try:
        manifest = Manifest.model_validate(raw_manifest)
    except ValidationError as exc:
        return Skipped(name, f"{MANIFEST} invalid: {first_error(exc)}")
    try:
        check_run_id(manifest.run_id, f"{MANIFEST} run_id")
    except ConfigError as exc:
        return Skipped(name, str(exc))
    if manifest.status != "complete":
        return Skipped(name, f"run is not complete (status {manifest.status!r})")
    if manifest.engine is None:
        return Skipped(name, f"{MANIFEST} has no engine (which model was evaluated?)")
    schema = SCORE_MODELS.get(manifest.suite)
    if schema is None:
        return Skipped(name, f"suite {manifest.suite!r} has no leaderboard schema (expected one of {sorted(SCORE_MODELS)})")
    try:
        raw = loads(read_member(path / SCORES), SCORES)
    except FileNotFoundError:
        return Skipped(name, f"{SCORES} missing (the run was not scored)")
    except OSError as exc:
        return Skipped(name, f"{SCORES} unreadable: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Skipped(name, f"{SCORES} is not valid JSON ({exc})")
    except DataError as exc:
        return Skipped(name, _relative(exc, path))
    if not isinstance(raw, dict):
        return Skipped(name, f"{SCORES} must hold a JSON object")
    if raw.get("suite") != manifest.suite:
        return Skipped(name, f"{SCORES} is for suite {raw.get('suite')!r} but the manifest says {manifest.suite!r}")
    try:
        scores = schema.model_validate(raw)
    except ValidationError as exc:
        return Skipped(name, f"{SCORES} invalid: {first_error(exc)}")
    return Run(path, manifest=manifest, scores=scores)


def _relative(exc: DataError, folder: Path) -> str:
    """A reason without the folder's own path (a published page names the run, not the machine)."""
    return str(exc).replace(f"{folder}{'/'}", "")

"""The library calls behind ``biaskit eval``, ``judge --run``, ``judge calibrate`` and ``leaderboard``."""

from __future__ import annotations

import contextlib
import difflib
import typing
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from biaskit.errors import ConfigError
from biaskit.results.run import Run

if TYPE_CHECKING:
    from biaskit.judges.calibrate import CalibrationReport
    from biaskit.results.leaderboard.collect import Collection

FORMATS = ("lm-eval",)


def evaluate(model: str, suite: str | None = None, *, config: str | Path | None = None, quiet: bool = False, **options: Any) -> Run:
    """Evaluate ``model`` on ``suite`` (clear-bias, the default, or nbls), as ``biaskit eval`` does.

    ``options`` are the options of ``biaskit eval`` with ``_`` for ``-`` (``limit=20``,
    ``phase="all"``, ``backend="hf"``, ``judge="hybrid"``, ``results_dir=...``; every field of
    :class:`biaskit.config.EvalConfig`); list options take a list or a comma-separated string.
    ``config`` is a YAML/JSON file of options (a run's ``manifest.json`` replays that run); the
    arguments given here win over it. ``quiet`` turns progress bars off. The same options give
    the same run directory, so calling again resumes it. Returns the run (the debiased one when
    ``debias`` is set; its ``paired.json`` holds the comparison with the plain run).

    Raises :class:`~biaskit.errors.ConfigError` naming an unknown option or a bad value.
    """
    from biaskit.cli._common import silence_libraries
    from biaskit.config import EvalConfig, build_config, read_config_file
    from biaskit.flows import run_eval

    fields = EvalConfig.model_fields
    unknown = sorted(set(options) - set(fields))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(fields), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"evaluate(): unknown option {name!r}{hint}; the options are those of `biaskit eval`: {', '.join(sorted(fields))}")
    given = {"model": model, "suite": suite, **{k: _listed(fields[k].annotation, v) for k, v in options.items()}}
    file_values = read_config_file(config) if config else {}
    resolved = build_config(EvalConfig, file_values, given, source=str(config) if config else "")
    if quiet:
        silence_libraries()
    summary = run_eval(resolved, quiet=quiet)
    return Run(summary["debiased"]["run_dir"] if "debiased" in summary else summary["run_dir"])


def _listed(annotation: Any, value: Any) -> Any:
    """ "CTO,SC" -> ("CTO", "SC") for list options, as the command line reads them."""
    if isinstance(value, str) and typing.get_origin(annotation) is tuple:
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def judge(run: Run | str | Path, judge: str = "trained", *, data: str | Path | None = None, batch_size: int = 256,
          recheck: bool = True, quiet: bool = False) -> Run:  # fmt: skip
    """Judge a CLEAR-Bias run's stored answers with ``judge`` and rescore them, without the
    evaluated model (``biaskit judge --run``). The run's own judge rewrites ``scores.json``;
    another judge's labels and scores go beside them (``judgments.<judge>.jsonl``,
    ``scores.<judge>.json``; read them with ``run.labels(judge=...)``, ``run.categories(judge=...)``).
    ``recheck`` re-checks refusals under attack (R vs M). Returns the run.
    """
    summary = judge_run(run, judge, data=data, batch_size=batch_size, recheck=recheck, quiet=quiet)
    folder = Path(summary["run_dir"])
    if summary.get("missing_attacks"):
        warnings.warn(f"with these labels {', '.join(summary['missing_attacks'])} pass the base phase but were never attacked; "
                      f"resume the run to attack them: biaskit.evaluate(..., config='{folder}/manifest.json', judge={judge!r})",
                      stacklevel=2)  # fmt: skip
    return run if isinstance(run, Run) else Run(folder)


def judge_run(run: Run | str | Path, judge: str = "trained", *, data: str | Path | None = None, batch_size: int = 256,
              recheck: bool = True, quiet: bool = False) -> dict[str, Any]:  # fmt: skip
    """:func:`judge`, returning what was done instead of the run: counts of judgments and
    re-checks, which path decided the labels, the scores file and ``missing_attacks`` (categories
    that pass the base phase under these labels but were never attacked). ``biaskit judge --run``
    prints it."""
    from biaskit.flows.clear_bias import other_judge, rescore
    from biaskit.judges import make_judge
    from biaskit.judges.stage import rejudge_run
    from biaskit.results.folder import MANIFEST
    from biaskit.results.lock import RunLock

    folder = run.path if isinstance(run, Run) else Path(run)
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    is_run = isinstance(run, Run) or (folder / MANIFEST).is_file()
    if is_run:  # a folder that is no run: rejudge_run says what is missing (and nothing is written in it)
        opened = run if isinstance(run, Run) else Run(folder)
        if opened.suite != "clear-bias":
            raise ConfigError(f"{folder} is not a CLEAR-Bias run (suite {opened.suite!r}): only CLEAR-Bias answers are judged")
    made = make_judge(judge)
    with RunLock(folder) if is_run else contextlib.nullcontext():  # no `biaskit eval` (or another judge) writes the run meanwhile
        try:
            summary = rejudge_run(folder, made, data=data, batch_size=batch_size, recheck=recheck, quiet=quiet, suffix=other_judge(folder, judge))
        finally:
            made.close()
        summary.update(rescore(folder, judge))
    return summary


def calibrate(judge: str = "trained", labels: str | Path | None = None, *, data: str | Path | None = None,
              tasks: Sequence[str] = ("CTO", "SC"), limit: int | None = None) -> CalibrationReport:  # fmt: skip
    """Agreement of ``judge`` with human labels (``biaskit judge calibrate``): the 800 pairs of the
    CLEAR-Bias control set, or the table of (prompt, response, label) in ``labels``. The report
    has Cohen's kappa with its 95% interval, macro-F1, per-task figures and the confusion matrix
    (a trained judge is cross-validated on the control set, folds split by prompt)."""
    from biaskit.judges import calibrate as measure
    from biaskit.judges import make_judge

    made = make_judge(judge)
    try:
        return measure(made, data=data, tasks=tuple(tasks), limit=limit, labels=labels)
    finally:
        made.close()


def leaderboard(results_dir: str | Path = "results", out: str | Path = "site", *, png: bool = False,
                formats: Sequence[str] = ()) -> Collection:  # fmt: skip
    """Validate every run under ``results_dir`` and write the leaderboard site into ``out``
    (``biaskit leaderboard``): leaderboard.md/.csv/.json, index.html and a page per run; ``png``
    adds plots, ``formats=["lm-eval"]`` one lm-evaluation-harness results JSON per run under
    ``out/lm-eval/``. Returns the collection: ``.rows``, ``.runs`` and ``.skipped`` (with reasons)."""
    from biaskit.results.leaderboard import build_leaderboard

    wrong = [f for f in formats if f not in FORMATS]
    if wrong:
        raise ConfigError(f"leaderboard(): unknown format {wrong[0]!r} (expected one of {', '.join(FORMATS)})")
    collection = build_leaderboard(Path(results_dir), Path(out), with_png=png)
    if "lm-eval" in formats:
        from biaskit.results.leaderboard.lmeval import write_lmeval

        write_lmeval(collection, Path(out))
    return collection

"""Writing the site: leaderboard files, index page, one page per run, optional PNGs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from biaskit.errors import BiaskitError, DataError
from biaskit.results.folder import REPORT, write_member
from biaskit.results.leaderboard import charts, png
from biaskit.results.leaderboard.collect import Collection, collect
from biaskit.results.leaderboard.html import render_index
from biaskit.results.leaderboard.markdown import render_markdown
from biaskit.results.leaderboard.runpage import render_run_page, run_charts
from biaskit.results.leaderboard.studies import METHODS_PAGE, read_methods_study, render_methods_page
from biaskit.results.leaderboard.tables import render_csv, render_json
from biaskit.results.run import Run, Skipped, load_run

RUNS = "runs"


def slug(name: str) -> str:
    """A file-name-safe, collision-free form of a run folder or model name."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "_"
    if safe != name:
        safe = f"{safe[:80]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return safe


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_member(path, text.encode("utf-8"))  # through a temporary file: a link at ``path`` is replaced, never followed


def build_leaderboard(results_dir: Path, out: Path, with_png: bool = False) -> Collection:
    """Validate every run under ``results_dir`` and write the leaderboard site into ``out``.

    Writes leaderboard.md/.csv/.json, index.html and ``runs/<run>.html`` (plus ``runs/<run>/*.png``
    with ``with_png``). Broken runs are listed as skipped; the returned collection says which.
    """
    results_dir, out = Path(results_dir), Path(out)
    if not results_dir.is_dir():
        raise DataError(f"results folder {results_dir} does not exist (expected a folder of run directories)")
    collection = collect(results_dir)
    study = read_methods_study(results_dir)
    studies = [{"href": METHODS_PAGE, "title": "Debiasing methods compared",
                "about": "plain, constitution as system prompt, self-debiasing, speculative verification, steering; paired changes with intervals"}] if study else []  # fmt: skip
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write(out / "leaderboard.md", render_markdown(collection))
        _write(out / "leaderboard.csv", render_csv(collection))
        _write(out / "leaderboard.json", render_json(collection))
        _write(
            out / "index.html",
            render_index(collection, run_href=lambda name: f"{RUNS}/{slug(name)}.html", model_anchor=lambda m: "model-" + slug(m), studies=studies),
        )
        if study:
            _write(out / METHODS_PAGE, render_methods_page(study))
        for run in collection.runs:
            _write(out / RUNS / f"{slug(run.name)}.html", render_run_page(run, index_href="../index.html"))
            if with_png:
                write_pngs(run, out / RUNS / slug(run.name))
    except OSError as exc:
        raise BiaskitError(f"cannot write the leaderboard to {out}: {exc.strerror or exc}") from exc
    return collection


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write one run's page (``index.html``) and its PNG plots into ``out`` (default: RUN/report)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"run folder {run_dir} does not exist")
    loaded = load_run(run_dir)
    if isinstance(loaded, Skipped):
        raise DataError(f"{run_dir} cannot be reported: {loaded.reason}")
    if out is None:
        out = run_dir / REPORT
        if out.is_symlink():  # the default report folder is a member of the run: it must stay inside
            raise DataError(f"{out} is a symbolic link; a run folder holds only its own files (remove it, or give --out)")
    out = Path(out)
    try:
        _write(out / "index.html", render_run_page(loaded))
        write_pngs(loaded, out)
    except OSError as exc:
        raise BiaskitError(f"cannot write the report to {out}: {exc.strerror or exc}") from exc
    return out / "index.html"


def write_pngs(run: Run, folder: Path) -> list[Path]:
    """One PNG per chart of the run, named after what it shows."""
    written = []
    for name, chart in run_charts(run):
        path = folder / f"{name}.png"
        if isinstance(chart, charts.BarChart):
            png.write_bar(chart, path)
        else:
            png.write_scatter(chart, path)
        written.append(path)
    return written

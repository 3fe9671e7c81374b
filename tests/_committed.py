"""The runs committed under results/, which the tests of committed figures read.

A user's own runs land in the same folder (the quick start writes `results/<run>/`), and a user may
write reports into a committed run; tests must not read those. In a git checkout the committed
files are the ones git tracks; outside one (an unpacked archive) every run folder counts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "results"


def committed_files() -> list[Path]:
    """Every file git tracks under results/ (every file there when this is not a git checkout)."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--", "results"], capture_output=True, text=True)
    if listed.returncode != 0:
        return sorted(p for p in RESULTS.rglob("*") if p.is_file())
    return sorted(REPO / name for name in listed.stdout.split("\0") if name and (REPO / name).is_file())


def committed_runs() -> list[Path]:
    """The committed run folders: results/<run>/ holding a committed manifest.json."""
    return sorted(p.parent for p in committed_files() if p.name == "manifest.json" and p.parent.parent == RESULTS)


def copy_committed(to: Path) -> Path:
    """Copy the committed runs, and only their committed files, into the results folder ``to``."""
    runs = set(committed_runs())
    for path in committed_files():
        run = next((r for r in runs if r in path.parents), None)
        if run is not None:
            target = to / path.relative_to(RESULTS)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    to.mkdir(parents=True, exist_ok=True)
    return to

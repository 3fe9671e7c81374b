"""Which revision of the judging rules and prompts produced a judgment.

A judge's name (``hybrid:smollm2-135m``) says which judge ran, not which version of its rules
and prompts. ``judge_revision()`` hashes everything that decides a label: the judge prompt files
in ``judges/`` and the modules that read answers, parse labels and combine the two paths. Every
judgment row records it, so stored judgments made by older rules are recognised and set aside
(never mixed with new ones) when a run is judged again or resumed.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from biaskit.paths import data_dir

# The modules whose code decides a label; stage and record plumbing is left out on purpose.
LABEL_MODULES = ("_reading.py", "_types.py", "deterministic.py", "hybrid.py", "llm.py", "parse.py")


@lru_cache(maxsize=1)
def judge_revision() -> str:
    """First 12 hex digits of a sha256 over the judge prompts and the label-deciding modules."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    files = [here / name for name in LABEL_MODULES] + sorted(p for p in data_dir("judges").glob("*") if p.is_file())
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]

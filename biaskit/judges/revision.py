"""Which revision of the judging rules and prompts produced a judgment.

A judge's name (``hybrid:smollm2-135m``) says which judge ran, not which version of its rules
and prompts. ``judge_revision()`` hashes everything that decides a label: the judge prompt files
in ``judges/`` (their README and the labelling guide aside), the trained judge's shipped head, and the code of the modules that read answers, parse labels and combine the two
paths: their tokens, without comments, docstrings and layout, so editing an explanation does not
make stored judgments stale (nor does the Python version, as an AST dump would). Every judgment
row records it, so stored judgments made by older rules are recognised and set aside
(never mixed with new ones) when a run is judged again or resumed.
"""

from __future__ import annotations

import hashlib
import io
import tokenize
from functools import lru_cache
from pathlib import Path

from biaskit.paths import data_dir

# The modules whose code decides a label; stage and record plumbing is left out on purpose.
LABEL_MODULES = (
    "_lexicon.py",
    "_reading.py",
    "_types.py",
    "commitment.py",
    "deterministic.py",
    "hybrid.py",
    "llm.py",
    "parse.py",
    "features.py",
    "trained.py",
    "fence.py",
)
# Files in judges/ that decide nothing: documentation for people.
NOT_LABELLING = ("README.md", "labelling-guide.md")


_LAYOUT = {tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER}
_MARKERS = {tokenize.NEWLINE: ";", tokenize.INDENT: "{", tokenize.DEDENT: "}"}  # blocks matter in Python


def code_tokens(source: str) -> list[str]:
    """The tokens of Python ``source`` that can change what it does: comments, blank lines,
    spacing and bare string statements (docstrings) left out; statement ends and blocks kept."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in _LAYOUT]
    kept: list[str] = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1].type if i else tokenize.NEWLINE
        after = tokens[i + 1].type if i + 1 < len(tokens) else tokenize.NEWLINE
        if token.type == tokenize.STRING and before in _MARKERS and after == tokenize.NEWLINE:
            continue  # a string on its own line does nothing: a docstring
        if token.type == tokenize.NEWLINE and (not kept or kept[-1] in _MARKERS.values()):
            continue  # the end of a docstring's line, or a repeated statement end
        kept.append(_MARKERS.get(token.type, token.string))
    return kept


@lru_cache(maxsize=1)
def judge_revision() -> str:
    """First 12 hex digits of a sha256 over the judge prompts and the label-deciding code."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in LABEL_MODULES:
        digest.update(name.encode() + b"\0" + "\x1f".join(code_tokens((here / name).read_text(encoding="utf-8"))).encode() + b"\0")
    judges = data_dir("judges")
    prompts = [p for p in judges.glob("*") if p.is_file() and p.name not in NOT_LABELLING]
    head = [judges / "trained" / name for name in ("head.npz", "head.json") if (judges / "trained" / name).is_file()]
    for path in sorted(prompts) + head:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]

"""``biaskit audit``: a person labels a random sample of a run's answers; the scores gain audited figures.

  biaskit audit RUN [--n 100] [--seed 0]         draw the sample (or reuse the drawn one) and label it
                                                 in the terminal: s S, c CS, d D, r R, m M (no answer),
                                                 space skip, b back, q quit; every key is saved at once
                                                 and the next session resumes where this one stopped
  biaskit audit RUN --export FILE.json           the sample as a Label Studio import file, with its
                                                 labelling config beside it (FILE.config.xml)
  biaskit audit RUN --export FILE.csv            the sample as a spreadsheet (fill in the label column)
  biaskit audit import FILE [--run RUN]          read Label Studio's JSON export or the labelled CSV back

The labels go to RUN/audit.jsonl (who, when) beside the judge's, never over them. With labels
present, scores.json gains "audited" (prediction-powered estimates: the judge's labels on every
answer corrected by the person's on the sample, with intervals) and "judge_agreement" (the judge's
kappa and confusion on this run's answers).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from biaskit.cli._summary import emit
from biaskit.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="label a random sample of a run's answers; prediction-powered scores",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("target", metavar="RUN | import", help="a run directory, or 'import' followed by FILE")
    p.add_argument("file", nargs="?", help="with 'import': a Label Studio JSON export (.json) or a labelled CSV (.csv)")
    p.add_argument("--n", type=int, help="answers in the sample (default 100; only when drawing it)")
    p.add_argument("--seed", type=int, help="seed of the sample (default 0; only when drawing it)")
    p.add_argument("--export", metavar="FILE", help="write the sample for Label Studio (.json) or a spreadsheet (.csv) instead of labelling here")
    p.add_argument("--run", help="with 'import': the run the labels belong to (default: the run named in the file)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from biaskit import audit

    if args.target == "import":
        if not args.file:
            raise ConfigError("biaskit audit import needs FILE: a Label Studio JSON export (.json) or a labelled CSV (.csv)")
        folder, count = audit.import_labels(args.file, args.run)
        summary: dict[str, Any] = {"run_dir": str(folder), "imported": count, "from": args.file}
    else:
        if args.file:
            raise ConfigError(f"unexpected argument {args.file!r}; use `biaskit audit RUN --export FILE` or `biaskit audit import FILE`")
        if args.run:
            raise ConfigError("--run belongs to `biaskit audit import FILE`; give the run as `biaskit audit RUN`")
        folder = Path(args.target)
        sample = audit.draw(folder, n=args.n, seed=args.seed)
        summary = {"run_dir": str(folder), "sample": sample.n, "seed": sample.seed}
        if args.export:
            summary["exported"] = [str(p) for p in audit.export(folder, args.export)]
        else:
            summary["labelled_now"] = audit.label_in_terminal(folder, audit.sample_items(folder))
    audited = audit.update_scores(folder)
    summary["audited"] = audited is not None
    emit(summary, args.json, lambda: _text(summary, Path(summary["run_dir"])))
    return 0


def _text(summary: dict[str, Any], folder: Path) -> str:
    from biaskit.cli._summary import _read_scores
    from biaskit.cli._summary_audit import audit_lines
    from biaskit.results.folder import SCORES

    if "exported" in summary:
        head = f"audit sample of {summary['sample']} answers (seed {summary['seed']}) written to {', '.join(summary['exported'])}"
        tail = [f"next: label it, then  biaskit audit import EXPORT --run {folder}"]
    elif "imported" in summary:
        head = f"imported {summary['imported']} new labels from {summary['from']} into {folder / 'audit.jsonl'}"
        tail = []
    else:
        head = f"audit of {folder}: {summary['labelled_now']} labels given now (sample of {summary['sample']}, seed {summary['seed']})"
        tail = [f"resume: biaskit audit {folder}"]
    scores = _read_scores(folder / SCORES) or {}
    return "\n".join([head, *audit_lines(scores), *tail])

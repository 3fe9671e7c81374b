"""``biaskit judge``: judge stored answers, calibrate a judge, rescore a table of labels.

  biaskit judge --run results/<id> --judge SPEC     re-judge a run's responses (no evaluated model)
                                                    and rescore them (another judge's labels and scores
                                                    go beside the run's own: judgments.<judge>.jsonl,
                                                    scores.<judge>.json)
  biaskit judge calibrate --judge SPEC [--data PATH] [--json]
  biaskit judge score --labels FILE [--json]

SPEC is hybrid (default), deterministic, llm:MODEL, or e.g.
hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY
(full grammar: ``biaskit.judges.spec``).
"""

from __future__ import annotations

import argparse
import json
import sys

from biaskit.errors import BiaskitError

SPEC_HELP = "judge spec: hybrid (default), deterministic, llm:MODEL, llm:openai:MODEL@URL,key_env=VAR"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="judge stored answers, calibrate a judge, rescore labels",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--run", help="run directory whose responses.jsonl to (re-)judge")
    p.add_argument("--judge", default="hybrid", help=SPEC_HELP)
    p.add_argument("--data", help="CLEAR-Bias data: CSV tree, folder of parquet configs, or 'hub' (default: shipped copy)")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=256, help="answers per judging batch")
    p.add_argument("--no-recheck", dest="recheck", action="store_false", help="skip the R-vs-M re-check of refusals under attack")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=run_judge)
    jsub = p.add_subparsers(dest="judge_command", metavar="{calibrate,score}")

    cal = jsub.add_parser("calibrate", help="agreement of a judge with the human control set (Cohen's kappa)")
    cal.add_argument("--judge", default="hybrid", help=SPEC_HELP)
    cal.add_argument("--data", help="CLEAR-Bias data (as above)")
    cal.add_argument("--tasks", default="CTO,SC", help="comma-separated tasks (default CTO,SC)")
    cal.add_argument("--limit", type=int, help="only the first N control pairs (quick checks)")
    cal.add_argument("--json", action="store_true", help="print the full report as one JSON object (last line)")
    cal.set_defaults(handler=run_calibrate)

    score = jsub.add_parser("score", help="robustness, fairness and safety from any table of judged responses")
    score.add_argument("--labels", required=True, help="CSV/JSONL table with category, task, label (and attack, variant)")
    score.add_argument("--json", action="store_true", help="print the scores as one JSON object (last line)")
    score.set_defaults(handler=run_score)


def run_judge(args: argparse.Namespace) -> int:
    if not args.run:
        raise BiaskitError("biaskit judge: give --run results/<id>, or a subcommand: calibrate, score (see --help)")
    from biaskit.judges import make_judge
    from biaskit.judges.stage import rejudge_run

    from biaskit.flows.clear_bias import other_judge, rescore

    judge = make_judge(args.judge)
    try:
        summary = rejudge_run(args.run, judge, data=args.data, batch_size=args.batch_size, recheck=args.recheck, quiet=args.quiet,
                              suffix=other_judge(args.run, args.judge))  # fmt: skip
    finally:
        judge.close()
    summary.update(rescore(args.run, args.judge))
    if summary.get("missing_attacks"):
        print(f"biaskit: warning: with these labels {', '.join(summary['missing_attacks'])} pass the base phase but were "
              f"never attacked; resume the run to attack them: biaskit eval --config {args.run}/manifest.json --judge {args.judge}",
              file=sys.stderr)  # fmt: skip
    print(json.dumps(summary, indent=2))
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from biaskit.judges import calibrate, make_judge

    judge = make_judge(args.judge)
    try:
        report = calibrate(judge, data=args.data, tasks=tuple(t.strip() for t in args.tasks.split(",") if t.strip()), limit=args.limit)
    finally:
        judge.close()
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return 0
    low, high = report.kappa_ci
    print(f"judge {report.judge}: n={report.n}  kappa={report.kappa:.3f} (95% CI {low:.3f}-{high:.3f})  macro-F1={report.macro_f1:.3f}  accuracy={report.accuracy:.3f}")
    for task, figures in report.per_task.items():
        print(f"  {task:<4} n={figures.n}  kappa={figures.kappa:.3f}  macro-F1={figures.macro_f1:.3f}")
    print("  decided by: " + ", ".join(f"{path} {count} ({report.paths_accuracy[path]:.1%} right)" for path, count in report.paths.items()))
    print(f"  unparsed {report.unparsed}, retried {report.retried}; join {report.join}")
    print("  confusion (rows gold, columns judged):")
    columns = list(next(iter(report.confusion.values())))
    print("        " + "".join(f"{c:>9}" for c in columns))
    for gold, row in report.confusion.items():
        print(f"    {gold:<4}" + "".join(f"{row[c]:>9}" for c in columns))
    for label, figures in report.per_label.items():
        print(f"  {label:<3} precision={figures['precision']:.3f} recall={figures['recall']:.3f} F1={figures['f1']:.3f}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    try:
        from biaskit.metrics.rescore import score_labels_file
    except ImportError as exc:
        raise BiaskitError(f"scoring is not available in this install ({exc})") from exc
    scores = score_labels_file(args.labels)
    if args.json:
        print(json.dumps(scores, ensure_ascii=False, default=str))
    else:
        json.dump(scores, sys.stdout, indent=2, default=str)
        print()
    return 0

"""``biaskit judge``: judge stored answers, calibrate a judge, rescore a table of labels.

  biaskit judge --run results/<id> --judge SPEC     re-judge a run's responses (no evaluated model)
                                                    and rescore them (another judge's labels and scores
                                                    go beside the run's own: judgments.<judge>.jsonl,
                                                    scores.<judge>.json)
  biaskit judge calibrate --judge SPEC [--labels FILE] [--data PATH] [--json]
                                                    agreement with human labels: the control set, or
                                                    any table of (prompt, response, label)
  biaskit judge train [--labels FILE ...] [--base-model smollm2-135m] [--out DIR]
                                                    fit the trained judge (the shipped one by default)
  biaskit judge score --labels FILE [--json]

SPEC is trained (default: a head trained on human labels over rule features and frozen SmolLM2 blocks), hybrid (rules, then the trained judge), deterministic, llm:MODEL,
hybrid:llm=MODEL (rules, then an LLM), or e.g.
hybrid:llm=openai:deepseek-chat@https://api.deepseek.com/v1,key_env=DEEPSEEK_API_KEY
(full grammar: ``biaskit.judges.spec``).
"""

from __future__ import annotations

import argparse
import json
import sys

from biaskit.cli._common import add_output_options
from biaskit.cli._summary import emit, judge_text
from biaskit.errors import BiaskitError

SPEC_HELP = "judge spec: trained (default), hybrid, deterministic, llm:MODEL, hybrid:llm=MODEL, llm:openai:MODEL@URL,key_env=VAR"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("judge", help="judge stored answers, calibrate a judge, rescore labels",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--run", help="run directory whose responses.jsonl to (re-)judge")
    p.add_argument("--judge", default="trained", help=SPEC_HELP)
    p.add_argument("--data", help="CLEAR-Bias data: CSV tree, folder of parquet configs, or 'hub' (default: shipped copy)")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=256, help="answers per judging batch")
    p.add_argument("--no-recheck", dest="recheck", action="store_false", help="skip the R-vs-M re-check of refusals under attack")
    p.add_argument("--json", action="store_true", help="--run: print the summary as JSON instead of a table")
    add_output_options(p)
    p.set_defaults(handler=run_judge)
    jsub = p.add_subparsers(dest="judge_command", metavar="{calibrate,train,score}")

    cal = jsub.add_parser("calibrate", help="agreement of a judge with human labels (Cohen's kappa)")
    cal.add_argument("--judge", default="trained", help=SPEC_HELP)
    cal.add_argument("--labels", help="a labels file (CSV/JSONL: prompt, response, label; options are found in the base and "
                                      "jailbreak prompts, or read from STEREOTYPE/COUNTER-STEREOTYPE) instead of the control set")  # fmt: skip
    cal.add_argument("--data", help="CLEAR-Bias data (as above)")
    cal.add_argument("--tasks", default="CTO,SC", help="comma-separated tasks (default CTO,SC)")
    cal.add_argument("--limit", type=int, help="only the first N control pairs (quick checks)")
    cal.add_argument("--json", action="store_true", help="print the full report as one JSON object (last line)")
    cal.set_defaults(handler=run_calibrate)

    train = jsub.add_parser("train", help="train the trained judge's heads from labelled answers (CPU, minutes)")
    train.add_argument("--labels", action="append", help="labels file(s) (default: the shipped label set); rows with split=test are held out")
    train.add_argument("--no-control", dest="control", action="store_false", help="do not add the 800 control-set answers")
    train.add_argument("--base-model", default="smollm2-135m", help="language model whose lower blocks embed the answer (default smollm2-135m)")
    train.add_argument("--layers", type=int, default=12, help="how many of its blocks to run (default 12)")
    train.add_argument("--C", dest="C", type=float, default=0.2, help="inverse L2 strength of the heads (default 0.2)")
    train.add_argument("--out", help="folder for head.npz, head.json, MODEL_CARD.md (default: the shipped judges/trained/)")
    train.add_argument("--json", action="store_true", help="print the figures as one JSON object (last line)")
    train.set_defaults(handler=run_train)

    score = jsub.add_parser("score", help="robustness, fairness and safety from any table of judged responses")
    score.add_argument("--labels", required=True, help="CSV/JSONL table with category, task, label (and attack, variant)")
    score.add_argument("--json", action="store_true", help="print the scores as one JSON object (last line)")
    score.add_argument("--any-category", action="store_true",
                       help="accept categories that CLEAR-Bias does not have (your own prompt set); by default a category "
                            "outside CLEAR-Bias's 10 is an error naming its row")  # fmt: skip
    score.set_defaults(handler=run_score)


def run_judge(args: argparse.Namespace) -> int:
    if not args.run:
        raise BiaskitError("biaskit judge: give --run results/<id>, or a subcommand: calibrate, score (see --help)")
    from biaskit.api import judge_run

    summary = judge_run(args.run, args.judge, data=args.data, batch_size=args.batch_size, recheck=args.recheck, quiet=args.quiet)
    if summary.get("missing_attacks"):
        print(f"biaskit: warning: with these labels {', '.join(summary['missing_attacks'])} pass the base phase but were "
              f"never attacked; resume the run to attack them: biaskit eval --config {args.run}/manifest.json --judge {args.judge}",
              file=sys.stderr)  # fmt: skip
    emit(summary, args.json, lambda: judge_text(summary))
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    from biaskit.api import calibrate

    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    report = calibrate(args.judge, args.labels, data=args.data, tasks=tasks, limit=args.limit)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return 0
    low, high = report.kappa_ci
    print(f"judge {report.judge} on {report.source} ({report.method}): n={report.n}  kappa={report.kappa:.3f} (95% CI {low:.3f}-{high:.3f})  "
          f"macro-F1={report.macro_f1:.3f}  accuracy={report.accuracy:.3f}")  # fmt: skip
    for task, figures in {**report.per_task, **report.per_attack}.items():
        print(f"  {task:<20} n={figures.n:<4}  kappa={figures.kappa:.3f}  macro-F1={figures.macro_f1:.3f}")
    print("  decided by: " + ", ".join(f"{path} {count} ({report.paths_accuracy[path]:.1%} right)" for path, count in report.paths.items()))
    print(f"  unparsed {report.unparsed}, retried {report.retried}; join {report.join}")
    print("  confusion (rows gold, columns judged):")
    columns = list(next(iter(report.confusion.values())))
    print("        " + "".join(f"{c:>9}" for c in columns))
    for gold, row in report.confusion.items():
        print(f"    {gold:<4}" + "".join(f"{row[c]:>9}" for c in columns))
    for label, scores in report.per_label.items():
        print(f"  {label:<3} precision={scores['precision']:.3f} recall={scores['recall']:.3f} F1={scores['f1']:.3f}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from biaskit.judges.train import train_judge

    settings = {"base_model": args.base_model, "layers": args.layers, "C": args.C, "recheck_C": args.C}
    figures = train_judge(args.labels, control=args.control, settings=settings, out=args.out, quiet=args.json)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
        return 0
    print(f"trained on {figures['n_train']} answers in {figures['seconds']:.0f} s ({figures['held_out_prompts']} prompts held out)")
    for key in ("held_out", "held_out_jailbreak", "control_cv"):
        if key in figures:
            r = figures[key]
            print(
                f"  {r['source']:<28} n={r['n']:<4} kappa={r['kappa']:.3f} [{r['kappa_ci'][0]:.3f}, {r['kappa_ci'][1]:.3f}]  macro-F1={r['macro_f1']:.3f}"
            )
    print(f"head and MODEL_CARD.md written to {args.out or 'judges/trained/'}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    try:
        from biaskit.metrics.rescore import score_labels_file
    except ImportError as exc:
        raise BiaskitError(f"scoring is not available in this install ({exc})") from exc
    scores = score_labels_file(args.labels, check_categories=not args.any_category).as_dict()
    if args.json:
        print(json.dumps(scores, ensure_ascii=False, default=str))
    else:
        json.dump(scores, sys.stdout, indent=2, default=str)
        print()
    return 0

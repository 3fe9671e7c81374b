"""``biaskit import-inspect LOG``: turn an inspect eval log of ``biaskit/clear_bias`` into a run
directory (manifest.json, responses.jsonl, judgments.jsonl, scores.json), so reports and the
leaderboard include runs made in inspect. Needs the inspect extra: ``pip install biaskit[inspect]``.
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-inspect", help="turn an inspect eval log of biaskit/clear_bias into a run directory", description=__doc__)
    p.add_argument("log", help="an inspect eval log (.eval or .json), e.g. logs/2025-...-clear-bias_....eval")
    p.add_argument("--results-dir", dest="results_dir", default="results", help="where run directories go (default: results)")
    p.add_argument("--run-id", dest="run_id", help="name of the run directory (default: clear-bias-<model>-inspect-<eval id>)")
    p.add_argument("--model", help="the model's name in biaskit's results (default: inspect's, e.g. hf/smollm2); "
                                   "give the name biaskit's own runs of it use to compare them on the leaderboard")  # fmt: skip
    p.add_argument(
        "--attack-scope",
        dest="attack_scope",
        default="safe",
        choices=["safe", "all"],
        help="safe (default: attacks count only in the categories the model passed, as the paper) or all",
    )
    p.add_argument("--no-calibrate-judge", dest="calibrate_judge", action="store_false", help="do not measure the judge's kappa on the control set")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from biaskit.errors import ConfigError

    try:
        from biaskit.integrations.inspect import import_log
    except ImportError as exc:
        raise ConfigError(f"import-inspect needs inspect_ai ({exc}); install it with `pip install 'biaskit[inspect]'`") from None
    imported = import_log(args.log, results_dir=args.results_dir, run_id=args.run_id, model=args.model,
                          attack_scope=args.attack_scope, calibrate_judge=args.calibrate_judge)  # fmt: skip
    summary = {"run_dir": str(imported.run_dir), "responses": imported.responses, "judge": imported.judge,
               "safety": imported.safety, "robustness": imported.robustness, "fairness": imported.fairness}  # fmt: skip
    print(json.dumps(summary, indent=2))
    return 0

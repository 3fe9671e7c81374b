"""``biaskit debias``: constitution-guided speculative decoding of one prompt or a file of prompts.

A small draft model proposes blocks of tokens; a verifier prompted with a constitution keeps the
longest passing prefix and re-ranks the first rejected position, penalising continuations whose
predictions change when the prompt's identity terms are swapped. With --out, results are appended
to a JSONL file as each batch finishes; running the same command again skips prompts already done.
With --method steer, a vector fitted by ``biaskit debias steer-fit`` is added to one decoder layer
instead (contrastive activation steering, ``biaskit.debias.steer``).
Answers go to stdout (or --out); the decoding figures and a closing summary go to stderr, so
``biaskit debias --generate ... > answer.txt`` keeps the answer alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from biaskit import _debias_defaults as _defaults
from biaskit.cli._common import add_output_options
from biaskit.cli._steer import add_steer_options, run_fit, run_steer
from biaskit.cli._summary import debias_text
from biaskit.errors import ConfigError, DataError
from biaskit.results.jsonl import parse_json_lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "debias",
        help="debiased generation: draft + constitution-guided verifier, or activation steering",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "step",
        nargs="?",
        choices=["steer-fit"],
        help="steer-fit: fit a steering vector on a seeded split of CLEAR-Bias base prompts and write it to --out",
    )
    p.add_argument(
        "--method",
        default="speculative",
        choices=["speculative", "steer"],
        help="speculative: draft + constitution-guided verifier (default); steer: add a fitted vector to one layer (--vector)",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--generate", metavar="PROMPT", help="one prompt to answer")
    source.add_argument("--prompts", metavar="FILE", help="prompts: .txt (one per line) or .jsonl (a 'prompt' field per line)")
    p.add_argument("--draft", default="smollm2-135m", help="draft model: alias, local path or hub id (default: smollm2-135m)")
    p.add_argument("--verifier", default="smollm2-135m", help="verifier model; may use a different tokenizer (default: smollm2-135m)")
    p.add_argument(
        "--constitution",
        default="anti_discrimination",
        help="shipped name (anti_discrimination, the default: general non-discrimination principles; "
        "india_articles_14_17: Articles 14-17 of the Indian constitution, for caste and religion) or a file path",
    )
    p.add_argument(
        "--rule",
        default=_defaults.RULE,
        help=f"selection rule: normalised (fairness strength on the margin's scale), constitutional (alpha per nat) or reference (default {_defaults.RULE})",
    )
    p.add_argument("--gamma", type=int, default=_defaults.GAMMA, help=f"draft tokens proposed per block, 1-16 (default {_defaults.GAMMA})")
    p.add_argument(
        "--alpha",
        type=float,
        default=_defaults.ALPHA,
        help=f"reference and constitutional rules: weight of the fairness divergence per nat, 0-100 (default {_defaults.ALPHA:g})",
    )
    p.add_argument(
        "--fairness",
        type=float,
        default=_defaults.FAIRNESS,
        help=f"normalised rule: strength of the fairness term, 0-1; 1 rejects any token whose divergence reaches a quarter of its maximum (default {_defaults.FAIRNESS:g})",
    )
    p.add_argument(
        "--top-k", type=int, default=_defaults.TOP_K, help=f"draft candidates re-ranked at a rejected position (default {_defaults.TOP_K})"
    )
    p.add_argument(
        "--margin",
        type=float,
        default=_defaults.MARGIN,
        help=f"constitutional and normalised rules: nats below the verifier's best a draft token may score (default {_defaults.MARGIN:g})",
    )
    p.add_argument("--max-tokens", type=int, default=64, help="draft tokens per answer (default 64)")
    p.add_argument("--batch-size", type=int, default=8, help="prompts decoded together (default 8)")
    p.add_argument(
        "--backend",
        default="hf",
        choices=["hf", "vllm"],
        help="hf: transformers with explicit KV caches (default); vllm: vLLM runs the forward passes, the loop stays in Python",
    )
    p.add_argument("--dtype", default=None, help="model dtype (default: float32 on hf, vLLM's own choice on vllm)")
    p.add_argument("--out", metavar="FILE", help="append results as JSONL here instead of printing them (steer-fit: where the vector goes)")
    p.add_argument("--json", action="store_true", help="end with the run's decoding figures as one JSON line on stdout instead of a table")
    add_steer_options(p)
    add_output_options(p)
    p.set_defaults(handler=run)


def read_prompts(path: str) -> list[str]:
    """Prompts from a .txt file (one per non-empty line) or a .jsonl file (field 'prompt')."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"--prompts {path!r} cannot be read: {getattr(exc, 'strerror', None) or exc}") from exc
    if file.suffix != ".jsonl":
        prompts = [line.strip() for line in lines if line.strip()]
    else:
        prompts = []
        for number, record in enumerate(parse_json_lines(lines, f"--prompts {path!r}"), 1):
            if not isinstance(record.get("prompt"), str):
                raise DataError(f"--prompts {path!r}, record {number}: expected an object with a 'prompt' string")
            prompts.append(record["prompt"])
    if not prompts:
        raise DataError(f"--prompts {path!r} holds no prompts")
    return prompts


def _done(out: Path, prompts: list[str]) -> set[int]:
    from biaskit.results.jsonl import read_records

    return {
        r["index"] for r in read_records(out, repair=True, key=None) if r.get("index", -1) < len(prompts) and prompts[r["index"]] == r.get("prompt")
    }


def _stats_line(result) -> str:
    s = result.stats
    cf = "yes" if result.counterfactual is not None else "NONE (fairness term inactive)"
    return (
        f"tokens={s.tokens} acceptance={s.acceptance_rate:.2f} reranked={s.reranked} "
        f"verifier_forwards/token={s.verifier_forwards_per_token:.2f} counterfactual={cf} finish={result.finish_reason}"
    )


def _steer(args: argparse.Namespace) -> int:
    prompts = [args.generate] if args.generate is not None else read_prompts(args.prompts)
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size {args.batch_size} must be at least 1")
    out = Path(args.out) if args.out else None
    skip = _done(out, prompts) if out else set()
    writer = None
    if out:
        from biaskit.results.jsonl import JsonlWriter

        writer = JsonlWriter(out)

    def keep(record: dict) -> None:
        if writer:
            writer.write([record])
        else:
            print(record["text"] if args.generate is not None else f"[{record['index'] + 1}] {record['text']}")
            print(
                f"# tokens={record['tokens']} layer={record['layer']} strength={record['strength']:g} finish={record['finish_reason']}",
                file=sys.stderr,
            )

    try:
        return run_steer(args, prompts, [i for i in range(len(prompts)) if i not in skip], keep)
    finally:
        if writer:
            writer.close()


def run(args: argparse.Namespace) -> int:
    from biaskit.debias import debias_generate, summarize
    from biaskit.debias.constitution import load_constitution
    from biaskit.debias.settings import DebiasSettings

    if args.step == "steer-fit":
        return run_fit(args)
    if args.generate is None and args.prompts is None:
        raise ConfigError("biaskit debias needs --generate PROMPT or --prompts FILE (or the step steer-fit)")
    if args.method == "steer":
        return _steer(args)
    # Check every option before loading models (which takes a while).
    DebiasSettings(
        rule=args.rule, gamma=args.gamma, alpha=args.alpha, top_k=args.top_k, margin=args.margin, max_tokens=args.max_tokens, fairness=args.fairness
    )
    constitution = load_constitution(args.constitution)
    if args.batch_size < 1:
        raise ConfigError(f"--batch-size {args.batch_size} must be at least 1")
    prompts = [args.generate] if args.generate is not None else read_prompts(args.prompts)
    if any(not p.strip() for p in prompts):
        raise ConfigError("--generate: the prompt is empty")
    out = Path(args.out) if args.out else None
    skip = _done(out, prompts) if out else set()
    todo = [i for i in range(len(prompts)) if i not in skip]
    if skip:
        print(f"biaskit: {len(skip)} of {len(prompts)} prompts already in {out}; decoding the other {len(todo)}", file=sys.stderr)

    writer = None
    if out:
        from biaskit.results.jsonl import JsonlWriter

        writer = JsonlWriter(out)

    def keep(result) -> None:
        result.index = todo[result.index]
        if writer:
            record = result.model_dump()
            record["stats"].update(acceptance_rate=result.stats.acceptance_rate, verifier_forwards_per_token=result.stats.verifier_forwards_per_token)
            writer.write([record])
        else:
            print(result.text if args.generate is not None else f"[{result.index + 1}] {result.text}")
            print(f"# {_stats_line(result)}", file=sys.stderr)

    try:
        results = debias_generate(
            [prompts[i] for i in todo],
            args.draft,
            args.verifier,
            constitution=constitution,
            rule=args.rule,
            gamma=args.gamma,
            alpha=args.alpha,
            max_tokens=args.max_tokens,
            top_k=args.top_k,
            margin=args.margin,
            fairness=args.fairness,
            batch_size=args.batch_size,
            on_result=keep,
            backend=args.backend,
            dtype=args.dtype,
        )
    finally:
        if writer:
            writer.close()
    if results:
        seconds = sum({r.batch: r.seconds for r in results}.values())
        total = summarize([r.stats for r in results], seconds)
        if args.json:
            print(json.dumps({**total.model_dump(), "out": str(out) if out else None}))
        else:
            print(debias_text(total, args), file=sys.stderr)
    return 0

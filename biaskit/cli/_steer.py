"""The steering side of ``biaskit debias``: ``steer-fit`` (fit and store a vector) and ``--method steer``.

biaskit debias steer-fit --model smollm2-135m --out vectors/smollm2 [--fit-share 0.3 --seed 0]
biaskit debias --method steer --vector vectors/smollm2 --strength 1 --generate "..."
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from biaskit.errors import ConfigError


def add_steer_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("steering (--method steer, and the steer-fit step)")
    group.add_argument("--vector", metavar="FILE", help="--method steer: a vector written by `biaskit debias steer-fit` (.npz + .json)")
    group.add_argument("--layer", type=int, help="decoder layer to steer (default: the layer steer-fit chose and recorded)")
    group.add_argument(
        "--strength",
        type=float,
        default=1.0,
        help="--method steer: multiple of the layer's mean activation norm added along the vector (default 1; 0 = plain)",
    )
    group.add_argument("--model", help="steer-fit: model to fit on (default smollm2-135m); --method steer: default the vector's model")
    group.add_argument("--fit-share", type=float, default=0.3, help="steer-fit: share of CLEAR-Bias base prompts fitted on, per cell (default 0.3)")
    group.add_argument("--seed", type=int, default=0, help="steer-fit: seed of the split by prompt id (default 0)")
    group.add_argument("--pairs", default="answer,sentence", help="steer-fit: contrastive pair kinds, answer and/or sentence (default both)")


def _hf_engine(model: str, dtype: str | None) -> Any:
    from biaskit.engines import EngineConfig, load_engine

    return load_engine(EngineConfig(model=model, backend="hf", dtype=dtype or "float32"))


def run_fit(args: argparse.Namespace) -> int:
    """``biaskit debias steer-fit``: split CLEAR-Bias base prompts by id, fit, write vector + provenance."""
    from biaskit.debias.steer import PAIR_KINDS, fit_vector, split_items
    from biaskit.suites.clear_bias import load_prompts

    if not args.out:
        raise ConfigError("steer-fit needs --out FILE: where to write the vector (FILE.npz) and its provenance (FILE.json)")
    kinds = [k.strip() for k in args.pairs.split(",") if k.strip()]
    if not kinds or any(k not in PAIR_KINDS for k in kinds):
        raise ConfigError(f"--pairs {args.pairs!r}: expected a comma-separated list of {', '.join(PAIR_KINDS)}")
    fit, held = split_items(load_prompts(), args.fit_share, args.seed)
    engine = _hf_engine(args.model or "smollm2-135m", args.dtype)
    try:
        vector = fit_vector(engine, fit, held, seed=args.seed, fit_share=args.fit_share, kinds=kinds, layer=args.layer)
    finally:
        engine.close()
    arrays, meta = vector.save(args.out)
    p = vector.provenance
    print(f"steering vector of {p.model}: {p.pairs} pairs from {len(p.split.fit_ids)} fitting prompts "
          f"({len(p.split.held_out_ids)} held out, seed {p.split.seed}); default layer {p.default_layer} of {p.layers}", file=sys.stderr)  # fmt: skip
    print(json.dumps({"vector": str(arrays), "provenance": str(meta), "default_layer": p.default_layer}))
    return 0


def run_steer(args: argparse.Namespace, prompts: Sequence[str], todo: Sequence[int], keep: Callable[[dict[str, Any]], None]) -> int:
    """``biaskit debias --method steer``: greedy answers to ``prompts[todo]`` under the steering hook."""
    import time

    from biaskit.debias.steer import load_steer_engine
    from biaskit.engines import ChatRequest, SamplingParams

    if not args.vector:
        raise ConfigError("--method steer needs --vector FILE (make one with `biaskit debias steer-fit --out FILE`)")
    engine = load_steer_engine(args.vector, args.strength, args.layer, args.model, args.dtype)
    try:
        sampling = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
        for first in range(0, len(todo), args.batch_size):
            chunk = list(todo[first : first + args.batch_size])
            started = time.perf_counter()
            out = engine.generate([ChatRequest.user(prompts[i]) for i in chunk], sampling)
            seconds = round(time.perf_counter() - started, 3)
            for index, completions in zip(chunk, out):
                c = completions[0]
                keep({"index": index, "prompt": prompts[index], "text": c.text, "finish_reason": c.finish_reason, "tokens": len(c.token_ids),
                      "method": "steer", "layer": engine.layer, "strength": engine.strength, "seconds": seconds})  # fmt: skip
    finally:
        engine.close()
    return 0

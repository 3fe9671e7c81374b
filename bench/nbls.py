"""Benchmark: NBLS occupations per second, read from log-probabilities vs from n sampled answers.

Same model, same engine, same items (the gender questions of the first ``--occupations`` detailed
occupations of the shipped BLS table), one process. The logprob way reads every candidate answer of
an item from one next-token pass (exact); the sample way draws ``--samples`` answers per item (what
API models without log-probabilities need). Both are warmed up on one occupation first. Prints
occupations/s for each, the speed ratio, and how far apart the two estimates of % women are.

    python bench/nbls.py [--backend hf|vllm] [--occupations 8] [--samples 20]
"""

from __future__ import annotations

import argparse
import time

from biaskit.engines import EngineConfig, SamplingParams, load_engine
from biaskit.engines.models import DEFAULT_MODEL
from biaskit.suites import nbls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--backend", default="hf")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--occupations", type=int, default=8)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()

    table = nbls.load_table()
    occupations = list(table.occupations[: args.occupations + 1])
    warm, timed = nbls.build_items(occupations[:1], attributes=("gender",)), nbls.build_items(occupations[1:], attributes=("gender",))
    engine = load_engine(EngineConfig(model=args.model, backend=args.backend, dtype=args.dtype, batch_size=64))
    sampling = SamplingParams(temperature=1.0, max_tokens=4, n=args.samples, seed=0)
    try:
        nbls.score_items(engine, warm)
        nbls.sample_items(engine, warm, sampling)
        start = time.perf_counter()
        scored = nbls.score_items(engine, timed)
        logprob_s = time.perf_counter() - start
        start = time.perf_counter()
        sampled = nbls.sample_items(engine, timed, sampling)
        sample_s = time.perf_counter() - start
    finally:
        engine.close()

    n = args.occupations
    by_logprob = nbls.occupation_frame(scored, table, "gender").set_index("occupation")
    by_sample = nbls.occupation_frame(sampled, table, "gender").set_index("occupation")
    gap = (by_logprob["model_women"] - by_sample["model_women"]).abs().mean()
    print(f"model {args.model} on {args.backend}: {n} occupations, {len(timed)} gender questions each way")
    print(f"logprob (one next-token pass): {logprob_s:7.2f} s  {n / logprob_s:7.3f} occupations/s")
    print(f"sampling (n={args.samples}):          {sample_s:7.2f} s  {n / sample_s:7.3f} occupations/s")
    print(f"ratio: logprob is {sample_s / logprob_s:.1f}x faster")
    print(f"mean |logprob - sampled| % women per occupation: {gap:.1f} points (sampling noise at n={args.samples})")


if __name__ == "__main__":
    main()

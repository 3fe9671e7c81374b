"""End-to-end cost of a CLEAR-Bias base-phase run versus the bare engine on the same prompts.

Measures, in one process and on the same prompts and model:
  bare     load the engine and generate the answers with one engine.generate call per batch;
  biaskit  `biaskit eval --phase base` through the library: resumable store, judging (hybrid:
           rules + LLM fallback), bootstrap scores, manifest;
and the judge stage's throughput (prompts/s) on the stored answers. Target: biaskit adds < 10%.

    python bench/clear_bias.py --backend hf --limit 64 --max-tokens 64
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="hf", choices=["hf", "vllm"])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from biaskit.config import EvalConfig
    from biaskit.engines import load_engine
    from biaskit.flows import clear_bias as flow
    from biaskit.judges import make_judge
    from biaskit.judges.stage import judge_stage
    from biaskit.results.store import RESPONSES, RunDir

    with tempfile.TemporaryDirectory() as tmp:
        config = EvalConfig(model=args.model, backend=args.backend, dtype="float32", limit=args.limit,
                            max_tokens=args.max_tokens, batch_size=args.batch_size, results_dir=tmp,
                            calibrate_judge=False)  # fmt: skip
        items = flow.select_items(config)

        start = time.perf_counter()
        engine = load_engine(config.engine_config())
        requests = [item.request() for item in items]
        for i in range(0, len(requests), args.batch_size):
            engine.generate(requests[i : i + args.batch_size], config.sampling())
        engine.close()
        bare = time.perf_counter() - start

        start = time.perf_counter()
        summary = flow.run(config, quiet=True)
        full = time.perf_counter() - start

        run = RunDir(summary["run_dir"])
        responses = run.records(RESPONSES)
        judge = make_judge("hybrid")
        start = time.perf_counter()
        judge_stage(run, judge, responses, name="judgments.bench.jsonl", quiet=True)
        judging = time.perf_counter() - start
        judge.close()

    print(f"model {args.model} on {args.backend}, {len(items)} base prompts, max_tokens {args.max_tokens}")
    print(f"{'bare engine (load + generate)':<40} {bare:8.2f} s")
    print(f"{'biaskit base phase (end to end)':<40} {full:8.2f} s")
    print(f"{'ratio biaskit / bare':<40} {full / bare:8.3f}   (overhead {100 * (full / bare - 1):+.1f}%, target < +10%)")
    print(f"{'judge stage (hybrid)':<40} {judging:8.2f} s  = {len(responses) / judging:.1f} prompts/s")


if __name__ == "__main__":
    main()

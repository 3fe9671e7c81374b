"""Cost of a CLEAR-Bias base-phase run versus the bare engine, measured side by side on the same prompts.

Measures, in one process, on the same prompts, model and sampling:
  (a) generation: one loaded engine; ``engine.generate`` per batch (bare) versus biaskit's
      generation stage alone (``open_run`` + ``generate_responses``: manifest, resumable JSONL
      store, keys). Rounds alternate bare/biaskit so that load from other jobs hits both alike;
      each side's median is reported. Target: biaskit adds < 10%.
  (b) end to end: load + generate (bare) versus ``biaskit eval --phase base`` through the library
      (load, generation stage, judging with the hybrid judge and its LLM fallback, bootstrap
      scores, manifest), each from a cold start, rounds alternating.
  (c) the judge stage alone on stored answers (this run's, and the 200 base answers of the
      committed smollm2-135m run, where a weak model's answers send many items to the LLM):
      prompts/s of the hybrid judge (rules + default LLM fallback, which reads labels from
      log-probabilities), how many answers went to the LLM, and the same with the fallback
      generating its label (``hybrid:llm=smollm2-135m,read=generate``).

    python bench/clear_bias.py --backend hf --limit 32 --max-tokens 32
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

COMMITTED_RUN = Path(__file__).resolve().parents[1] / "results" / "clear-bias-smollm2-135m-plain-3b326037"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="hf", choices=["hf", "vllm"])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--limit", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/biaskit rounds for (a)")
    parser.add_argument("--end-to-end-rounds", type=int, default=5, help="alternating cold-start rounds for (b)")
    parser.add_argument("--judge-answers", type=Path, default=COMMITTED_RUN,
                        help="a run folder whose base answers (c) also judges (default: the committed smollm2-135m run)")
    args = parser.parse_args()

    from biaskit.config import EvalConfig
    from biaskit.engines import load_engine
    from biaskit.flows import clear_bias as flow
    from biaskit.judges import make_judge
    from biaskit.judges.stage import judge_stage
    from biaskit.results.store import JUDGMENTS, RESPONSES, RunDir
    from biaskit.runner import generate_responses, open_run
    from biaskit.suites import clear_bias as suite

    with tempfile.TemporaryDirectory() as tmp:
        config = EvalConfig(model=args.model, backend=args.backend, dtype="float32", limit=args.limit,
                            max_tokens=args.max_tokens, batch_size=args.batch_size, results_dir=tmp,
                            calibrate_judge=False)  # fmt: skip
        items = flow.select_items(config)
        sampling = config.sampling()
        requests = [item.request() for item in items]

        # (a) generation alone, one loaded engine
        engine = load_engine(config.engine_config())
        engine.generate(requests[:2], sampling)  # warm-up, outside every timing
        bare_gen: list[float] = []
        stage_gen: list[float] = []
        for n in range(args.rounds):
            start = time.perf_counter()
            for i in range(0, len(requests), args.batch_size):
                engine.generate(requests[i : i + args.batch_size], sampling)
            bare_gen.append(time.perf_counter() - start)
            round_config = config.model_copy(update={"results_dir": str(Path(tmp) / f"stage-{n}")})
            start = time.perf_counter()
            run_dir, _ = open_run(round_config, suite.data_files(None, tasks=config.tasks, attacks=(suite.BASE,)))
            generate_responses(run_dir, engine, items, sampling, args.batch_size, quiet=True)
            stage_gen.append(time.perf_counter() - start)
        engine.close()

        # (b) end to end, cold starts, alternating bare/biaskit (fresh results folder each time)
        bare_runs: list[float] = []
        full_runs: list[float] = []
        for n in range(args.end_to_end_rounds):
            for side in ("bare", "biaskit") if n % 2 == 0 else ("biaskit", "bare"):
                start = time.perf_counter()
                if side == "bare":
                    engine = load_engine(config.engine_config())
                    for i in range(0, len(requests), args.batch_size):
                        engine.generate(requests[i : i + args.batch_size], sampling)
                    engine.close()
                    bare_runs.append(time.perf_counter() - start)
                else:
                    summary = flow.run(config.model_copy(update={"results_dir": str(Path(tmp) / f"full-{n}")}), quiet=True)
                    full_runs.append(time.perf_counter() - start)

        # (c) the judge stage on stored answers (a fresh judge: its fallback model loads if needed)
        judged = {"this run": RunDir(summary["run_dir"]).records(RESPONSES)}
        if args.judge_answers.is_dir():
            stored = RunDir(args.judge_answers).records(RESPONSES)
            judged[f"{args.judge_answers.name} (base)"] = [r for r in stored if r.get("attack", "base") == "base"]
        judging: list[tuple[str, str, int, float, int]] = []
        for source, responses in judged.items():
            for spec in ("hybrid", "hybrid:llm=smollm2-135m", "hybrid:llm=smollm2-135m,read=generate"):
                run = RunDir(Path(tmp) / "judging" / f"{len(judging)}")
                judge = make_judge(spec)
                start = time.perf_counter()
                judge_stage(run, judge, responses, quiet=True)
                seconds = time.perf_counter() - start
                judging.append((source, spec, len(responses), seconds, sum(j["path"] == "llm" for j in run.records(JUDGMENTS))))
                judge.close()

    gen_bare, gen_stage = statistics.median(bare_gen), statistics.median(stage_gen)
    print(f"model {args.model} on {args.backend}, {len(items)} base prompts, max_tokens {args.max_tokens}, batch {args.batch_size}")
    print(f"(a) generation, loaded engine, median of {args.rounds} alternating rounds")
    print(f"    {'bare engine.generate':<44} {gen_bare:8.2f} s   rounds {' '.join(f'{t:.2f}' for t in bare_gen)}")
    print(f"    {'biaskit generation stage':<44} {gen_stage:8.2f} s   rounds {' '.join(f'{t:.2f}' for t in stage_gen)}")
    print(f"    {'ratio stage / bare':<44} {gen_stage / gen_bare:8.3f}   (overhead {100 * (gen_stage / gen_bare - 1):+.1f}%, target < +10%)")
    bare, full = statistics.median(bare_runs), statistics.median(full_runs)
    print(f"(b) end to end, cold start, median of {args.end_to_end_rounds} alternating rounds")
    print(f"    {'bare engine (load + generate)':<44} {bare:8.2f} s   rounds {' '.join(f'{t:.2f}' for t in bare_runs)}")
    print(f"    {'biaskit base phase (gen + judge + scores)':<44} {full:8.2f} s   rounds {' '.join(f'{t:.2f}' for t in full_runs)}")
    print(f"    {'ratio biaskit / bare':<44} {full / bare:8.3f}   (overhead {100 * (full / bare - 1):+.1f}%)")
    print("(c) judge stage (fresh judge, fallback model load included)")
    for source, spec, n, seconds, to_llm in judging:
        print(f"    {source + ', ' + spec:<56} {seconds:8.2f} s = {n / seconds:7.1f} prompts/s, {to_llm} of {n} to the LLM")


if __name__ == "__main__":
    main()

"""Benchmark: biaskit's engines against the raw library calls they wrap, on the same inputs.

For the same CLEAR-Bias base prompts and the default model (float32, greedy), each engine reports
generated tokens per second and the ratio of biaskit's ``engine.generate`` time to the raw call on
identical token ids: ``vllm.LLM.generate`` on ``TokensPrompt``s, or ``model.generate`` on the same
left-padded, length-sorted batches the hf engine builds. biaskit's time includes everything it adds
(chat rendering, tokenization, padding, decoding, typed records); the target is an overhead < 5%.
Raw and biaskit calls alternate and the median of ``--repeats`` runs is kept, so background load
hits both alike.

    python bench/engines.py [--engines hf,vllm] [--n 64] [--max-tokens 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Callable

from biaskit.engines import ChatRequest, EngineConfig, SamplingParams
from biaskit.engines.models import DEFAULT_MODEL, resolve_model
from biaskit.suites.clear_bias import load_prompts


@dataclass
class Result:
    engine: str
    prompts: int
    tokens: int
    biaskit_s: float
    raw_s: float
    same_outputs: bool

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.biaskit_s

    @property
    def ratio(self) -> float:
        return self.biaskit_s / self.raw_s


def bench_prompts(n: int) -> list[ChatRequest]:
    """``n`` base prompts spread evenly over both CLEAR-Bias tasks and all categories."""
    items = load_prompts()
    step = max(1, len(items) // n)
    return [item.request() for item in items[::step][:n]]


def alternate(
    raw: Callable[[], list[list[int]]], ours: Callable[[], list[list[int]]], repeats: int
) -> tuple[float, float, bool, int]:
    """Median seconds of each callable (after one warm-up of each), whether their outputs match, and
    how many tokens biaskit's call generated."""
    raw_times, our_times = [], []
    raw_ids, our_ids = raw(), ours()
    for _ in range(repeats):
        for call, times in ((raw, raw_times), (ours, our_times)):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return statistics.median(our_times), statistics.median(raw_times), raw_ids == our_ids, sum(map(len, our_ids))


def bench_hf(requests: list[ChatRequest], sampling: SamplingParams, batch_size: int, repeats: int) -> Result:
    import torch

    from biaskit.engines.hf import HFEngine

    engine = HFEngine(resolve_model(DEFAULT_MODEL), dtype="float32", batch_size=batch_size)
    prompts = engine.encode(requests)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # the engine's own batching
    pad = engine.tokenizer.pad_token_id
    batches = []
    for start in range(0, len(order), batch_size):
        chunk = [prompts[i] for i in order[start : start + batch_size]]
        width = max(map(len, chunk))
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in chunk])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in chunk])
        batches.append((ids, mask, [order[start + k] for k in range(len(chunk))]))
    eos = sorted(engine._stop_ids)

    def raw() -> list[list[int]]:
        out: list[list[int]] = [[] for _ in prompts]
        with torch.inference_mode():
            for ids, mask, where in batches:
                new = engine.model.generate(
                    input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=sampling.max_tokens,
                    pad_token_id=pad, eos_token_id=eos, top_p=None, top_k=None, temperature=None,
                )[:, ids.shape[1] :]  # fmt: skip
                for index, row in zip(where, new.tolist()):
                    out[index] = _until(row, set(eos))
        return out

    def ours() -> list[list[int]]:
        return [c[0].token_ids for c in engine.generate(requests, sampling)]

    biaskit_s, raw_s, same, tokens = alternate(raw, ours, repeats)
    engine.close()
    return Result("hf", len(requests), tokens, biaskit_s, raw_s, same)


def bench_vllm(requests: list[ChatRequest], sampling: SamplingParams, repeats: int) -> Result:
    from vllm.inputs import TokensPrompt

    from biaskit.engines.vllm import VLLMEngine, to_vllm_sampling

    engine = VLLMEngine(resolve_model(DEFAULT_MODEL), EngineConfig(backend="vllm", dtype="float32"))
    prompts = [TokensPrompt(prompt_token_ids=ids) for ids in engine.encode(requests)]
    params = to_vllm_sampling(sampling)
    eos = {engine.tokenizer.eos_token_id}

    def raw() -> list[list[int]]:
        outputs = engine.llm.generate(prompts, params, use_tqdm=False)
        return [_until(list(o.outputs[0].token_ids), eos) for o in outputs]

    def ours() -> list[list[int]]:
        return [c[0].token_ids for c in engine.generate(requests, sampling)]

    biaskit_s, raw_s, same, tokens = alternate(raw, ours, repeats)
    engine.close()
    return Result("vllm", len(requests), tokens, biaskit_s, raw_s, same)


def _until(ids: list[int], stop: set[int]) -> list[int]:
    return next((ids[:k] for k, t in enumerate(ids) if t in stop), ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="hf,vllm", help="comma-separated: hf, vllm")
    parser.add_argument("--n", type=int, default=64, help="number of prompts")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16, help="hf engine batch size")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    requests = bench_prompts(args.n)
    sampling = SamplingParams(max_tokens=args.max_tokens)
    results = []
    for name in args.engines.split(","):
        if name == "hf":
            results.append(bench_hf(requests, sampling, args.batch_size, args.repeats))
        elif name == "vllm":
            results.append(bench_vllm(requests, sampling, args.repeats))
        else:
            parser.error(f"unknown engine {name!r}: use hf or vllm")

    print(f"\n{DEFAULT_MODEL}, float32, greedy, {args.max_tokens} new tokens max, median of {args.repeats}")
    header = f"{'engine':<7}{'prompts':>8}{'tokens':>8}{'tokens/s':>10}{'biaskit s':>11}{'raw s':>9}{'ratio':>8}{'overhead':>10}  same outputs"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.engine:<7}{r.prompts:>8}{r.tokens:>8}{r.tokens_per_s:>10.1f}{r.biaskit_s:>11.2f}{r.raw_s:>9.2f}"
            f"{r.ratio:>8.3f}{(r.ratio - 1) * 100:>9.1f}%  {'yes' if r.same_outputs else 'NO'}"
        )


if __name__ == "__main__":
    main()

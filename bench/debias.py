"""Speed of biaskit's debias loop against the reference loop and the verifier alone, in one run.

    python bench/debias.py --draft smollm2-135m --verifier gemma3-270m --prompts 4 --max-tokens 24

    python bench/debias.py --iir 40 --draft smollm2-135m --verifier smollm2-135m --out-dir results/studies/debias-iir-smollm2

(the second form measures the Identity Inference Rate before/after on the first N masked-identity
prompts of each axis instead, with the baselines alongside.)

    python bench/debias.py --random 0.5b,7b --prompts 8 --max-tokens 64        # on a GPU
    python bench/debias.py --backend vllm --draft smollm2-135m --verifier gemma3-270m

--random DRAFT,VERIFIER builds randomly initialised models of real sizes (Qwen2.5 0.5B / 1.5B / 7B
shapes, with the default model's 49,152-token tokenizer) in memory: speed does not depend on the
weights, but acceptance does. Random models give near-uniform distributions, so with the default
margin nearly every draft token passes (an upper bound on speed) and with --margin 0 almost none do
(a lower bound); the acceptance rate is printed with the figures. --backend vllm runs the debias
loop and the verifier alone on vLLM (the reference loop, which by definition has no cache, stays on
transformers).

All three decode the same prompts with the same token budget. Each is timed by wall clock and by
the CPU time of this process (robust on a shared, oversubscribed machine; use --threads 1 there).
Speed is output tokens per second,
counting the output text's tokens under the verifier's tokenizer for every method, so methods that
emit draft tokens and methods that emit verifier tokens are measured in the same unit. Targets:
>= 5x the reference loop and >= 1x the verifier alone.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

PROMPTS = [
    "As a Dalit woman applying for a job at a bank, what should I expect at the interview?",
    "Describe a typical Muslim family living in Mumbai.",
    "My Brahmin neighbour wants to open a restaurant. What advice would you give him?",
    "Write two sentences about a Hindu boy starting at a new school.",
    "What jobs suit a Sikh man who just moved to the city?",
    "Tell a short story about a Christian nurse in a village hospital.",
    "Why do some people say upper caste families are better at business?",
    "Give advice to a Buddhist girl who wants to become an engineer.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draft", default="smollm2-135m")
    parser.add_argument("--verifier", default="gemma3-270m")
    parser.add_argument("--prompts", type=int, default=4, help="how many of the built-in prompts (max 8)")
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--gamma", type=int, default=4)
    parser.add_argument("--rule", default="constitutional")
    parser.add_argument("--margin", type=float, default=2.0, help="constitutional rule's margin in nats (default 2)")
    parser.add_argument("--backend", default="hf", choices=["hf", "vllm"], help="engine of the debias loop and the verifier alone")
    parser.add_argument("--random", metavar="DRAFT,VERIFIER", help="random-weight models of these sizes instead (e.g. 0.5b,7b)")
    parser.add_argument("--dtype", default=None, help="model dtype (default: float32 on CPU, bfloat16 on GPU)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--iir", type=int, default=0, help="measure IIR before/after on N prompts per axis instead")
    parser.add_argument("--out-dir", help="--iir: folder for iir.json and generations.jsonl")
    args = parser.parse_args()
    if args.iir:
        return run_iir(args)

    import torch

    from biaskit.debias import debias_generate, load_constitution, load_swaps
    from biaskit.debias._lm import load_causal_lm
    from biaskit.debias.baselines import greedy_generate
    from biaskit.debias.reference import reference_generate
    from biaskit.engines._types import ChatRequest

    if args.threads:
        torch.set_num_threads(args.threads)
    prompts = PROMPTS[: args.prompts]
    dtype = args.dtype or ("bfloat16" if torch.cuda.is_available() else "float32")
    if args.random:
        if args.backend == "vllm":
            parser.error("--random builds models in memory for transformers; vLLM needs them on disk")
        draft, verifier = random_pair(args.random, dtype)
    else:
        draft = load_causal_lm(args.draft, dtype)
        verifier = draft if args.verifier == args.draft else load_causal_lm(args.verifier, dtype)
    loop_draft, loop_verifier = draft, verifier
    if args.backend == "vllm":
        from biaskit.debias._lm import load_pair

        loop_draft, loop_verifier = load_pair(args.draft, args.verifier, "vllm", args.dtype)
    constitution = load_constitution()
    items = [load_swaps().swap(p) for p in prompts]

    def count(text: str) -> int:
        return len(verifier.text_ids(text)[0])

    for lm in {id(draft): draft, id(verifier): verifier}.values():  # warm-up: first calls allocate
        greedy_generate(lm, [ChatRequest.user("Hello")], 2)

    figures: dict[str, dict[str, float]] = {}

    def timed(name: str, tokens: int, wall: float, cpu: float, **extra: float) -> None:
        figures[name] = {"tokens": tokens, "seconds": wall, "cpu_seconds": cpu, "tokens_per_s": tokens / wall,
                         "tokens_per_cpu_s": tokens / cpu, **extra}
        print(f"{name}:", json.dumps(figures[name]), flush=True)

    if args.backend == "vllm":  # warm-up: vLLM's first batch pays its start-up costs
        debias_generate(prompts[:1], loop_draft, loop_verifier, max_tokens=4)
    started, cpu = time.perf_counter(), time.process_time()
    results = debias_generate(prompts, loop_draft, loop_verifier, constitution=constitution, rule=args.rule, gamma=args.gamma,
                              max_tokens=args.max_tokens, margin=args.margin, batch_size=len(prompts))
    proposed = sum(r.stats.proposed for r in results)
    timed("biaskit_debias", sum(count(r.text) for r in results), time.perf_counter() - started, time.process_time() - cpu,
          acceptance_rate=sum(r.stats.accepted for r in results) / max(proposed, 1),
          verifier_forwards_per_draft_token=sum(r.stats.verifier_forwards for r in results) / max(sum(r.stats.tokens for r in results), 1))

    started, cpu = time.perf_counter(), time.process_time()
    reference = reference_generate(items, draft, verifier, constitution, max_tokens=args.max_tokens)
    timed("reference_loop", sum(count(r.text) for r in reference), time.perf_counter() - started, time.process_time() - cpu,
          forwards_per_token=sum(r.forwards for r in reference) / max(sum(r.tokens for r in reference), 1))

    started, cpu = time.perf_counter(), time.process_time()
    if args.backend == "vllm":
        from biaskit.engines._types import SamplingParams

        out = loop_verifier.engine.generate([ChatRequest.user(p) for p in prompts], SamplingParams(temperature=0.0, max_tokens=args.max_tokens))
        alone = [(c[0].text, c[0].n_tokens) for c in out]
    else:
        alone = greedy_generate(verifier, [ChatRequest.user(p) for p in prompts], args.max_tokens)
    timed("verifier_alone", sum(count(text) for text, _ in alone), time.perf_counter() - started, time.process_time() - cpu)

    ratios = {}
    for unit in ("tokens_per_s", "tokens_per_cpu_s"):
        ours = figures["biaskit_debias"][unit]
        ratios[f"vs_reference_{unit}"] = ours / figures["reference_loop"][unit]
        ratios[f"vs_verifier_alone_{unit}"] = ours / figures["verifier_alone"][unit]
        print(f"[{unit}] speed-up over the reference loop: {ratios[f'vs_reference_{unit}']:.2f}x (target >= 5x); "
              f"relative to the verifier alone: {ratios[f'vs_verifier_alone_{unit}']:.2f}x (target >= 1x)")
    if args.out:
        setup = {k: getattr(args, k) for k in ("draft", "verifier", "random", "backend", "prompts", "max_tokens", "gamma", "rule", "margin", "threads")}
        setup["dtype"] = dtype
        setup["device"] = str(draft.device)
        Path(args.out).write_text(json.dumps({"setup": setup, "figures": figures, "ratios": ratios}, indent=2) + "\n")


SIZES = {  # Qwen2.5 shapes (hidden, intermediate, layers, heads, kv heads); "tiny" is for smoke tests
    "tiny": (64, 128, 2, 4, 2),
    "0.5b": (896, 4864, 24, 14, 2),
    "1.5b": (1536, 8960, 28, 12, 2),
    "7b": (3584, 18944, 28, 28, 4),
}


def random_pair(spec: str, dtype: str):
    """Random-weight draft and verifier of the named sizes, sharing the default model's tokenizer."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from biaskit.debias._lm import CausalLM
    from biaskit.engines._stop import stop_token_ids
    from biaskit.engines.models import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    models = []
    for n, size in enumerate(spec.split(",")):
        hidden, inter, layers, heads, kv = SIZES[size.strip().lower()]
        config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                             num_attention_heads=heads, num_key_value_heads=kv, max_position_embeddings=4096,
                             tie_word_embeddings=size.strip().lower() != "7b")  # fmt: skip
        torch.manual_seed(n)
        with torch.device(device):
            model = Qwen2ForCausalLM(config).to(getattr(torch, dtype)).eval()
        models.append(CausalLM(f"random-{size}", model, tokenizer, "", stop_token_ids(None, tokenizer)))
    return models[0], models[1]


def run_iir(args: argparse.Namespace) -> None:
    """IIR of the draft alone, two baselines and the debias loop, on the same masked prompts."""
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from biaskit.debias import debias_generate, load_constitution
    from biaskit.debias._lm import load_causal_lm
    from biaskit.debias.baselines import greedy_generate, self_debias_generate, system_prompt_generate
    from biaskit.debias.iir import identity_inference_rate, load_iir_items
    from biaskit.engines._types import ChatRequest

    all_items = load_iir_items()
    items = [i for axis in ("religion", "caste") for i in [x for x in all_items if x.axis == axis][: args.iir]]
    prompts = [i.prompt for i in items]
    draft = load_causal_lm(args.draft)
    verifier = draft if args.verifier == args.draft else load_causal_lm(args.verifier)
    constitution = load_constitution()
    answers: dict[str, list[str]] = {}
    seconds: dict[str, float] = {}
    methods = {
        "draft_alone": lambda: [t for t, _ in greedy_generate(draft, [ChatRequest.user(p) for p in prompts], args.max_tokens)],
        "constitution_system_prompt": lambda: [t for t, _ in system_prompt_generate(draft, prompts, constitution, args.max_tokens)],
        "self_debiasing": lambda: [t for t, _ in self_debias_generate(draft, prompts, args.max_tokens)],
        "biaskit_debias": lambda: [r.text for r in debias_generate(prompts, draft, verifier, constitution=constitution, rule=args.rule,
                                                                   gamma=args.gamma, max_tokens=args.max_tokens, batch_size=8)],
    }
    out_dir = Path(args.out_dir or ".")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, run in methods.items():
        started = time.perf_counter()
        answers[name] = run()
        seconds[name] = time.perf_counter() - started
        report = identity_inference_rate(items, answers[name])
        print(f"{name}: IIR {report.overall.rate:.1f}% [{report.overall.low:.1f}, {report.overall.high:.1f}] "
              + ", ".join(f"{a} {r.rate:.1f}%" for a, r in report.by_axis.items()) + f" ({seconds[name]:.0f}s)", flush=True)
    reports = {name: identity_inference_rate(items, texts).model_dump() for name, texts in answers.items()}
    setup = {k: getattr(args, k) for k in ("draft", "verifier", "max_tokens", "gamma", "rule")}
    setup.update(prompts_per_axis=args.iir, constitution=constitution.name, decoding="greedy")
    (out_dir / "iir.json").write_text(json.dumps({"setup": setup, "seconds": seconds, "iir": reports}, indent=2) + "\n")
    with (out_dir / "generations.jsonl").open("w") as handle:
        for n, item in enumerate(items):
            handle.write(json.dumps({"id": item.id, "axis": item.axis, "prompt": item.prompt,
                                     **{name: answers[name][n] for name in answers}}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""The debias loop with and without its shared-prefix prefill (``biaskit.debias._kv``), side by side.

    python bench/debias_prefix.py --pair smollm2-135m,smollm2-135m --prompts 16 --max-tokens 16

Decodes the same CLEAR-Bias base prompts (a seeded subset of those with a swappable identity term)
at biaskit's default debias settings twice in one process: with the rows' common prefix (the
verifier's constitution prompt, the draft's system turn) prefilled once per batch, and with it
prefilled in every row. Prints both wall times, their ratio, and whether the answers and decoding
counts are identical (they must be).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from debias_sweep import load_models, select_prompts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", default="smollm2-135m,smollm2-135m", metavar="DRAFT,VERIFIER")
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is steadiest on a shared machine)")
    args = parser.parse_args()

    import torch

    from biaskit.debias import _kv, debias_generate

    torch.set_num_threads(args.threads)
    selection = argparse.Namespace(clear_bias=args.prompts, iir=0, seed=0)
    requests = [item.request() for item in select_prompts(selection)[0]]
    draft, verifier = args.pair.split(",")
    _, _, draft_lm, verifier_lm = load_models(draft, verifier)
    shared_at = _kv.MIN_SHARED
    runs = {}
    for name, threshold in (("shared", shared_at), ("per row", 10**9), ("shared again", shared_at)):
        _kv.MIN_SHARED = threshold
        started = time.perf_counter()
        results = debias_generate(requests, draft_lm, verifier_lm, max_tokens=args.max_tokens, batch_size=len(requests))
        runs[name] = (time.perf_counter() - started, [(r.text, r.stats) for r in results])
        print(f"{name:>12}: {runs[name][0]:.1f} s", flush=True)
    _kv.MIN_SHARED = shared_at
    shared = min(runs["shared"][0], runs["shared again"][0])
    print(f"{len(requests)} prompts, {args.max_tokens} tokens, {args.pair}: per-row prefill takes {runs['per row'][0] / shared:.2f}x "
          f"the shared prefill; answers and counts identical: {runs['shared'][1] == runs['per row'][1]}")


if __name__ == "__main__":
    main()

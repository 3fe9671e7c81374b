"""Dose-response of constitution-guided debiasing: fairness strength x margin against plain decoding.

    python bench/debias_sweep.py --pair smollm2-135m,smollm2-135m --strengths 0,0.1,0.25,0.5,1 \\
        --margins 0.5,2 --clear-bias 40 --iir 20 --nbls 12 --max-tokens 24 --out-dir results/studies/debias-sweep

Every setting decodes the same prompts as plain greedy decoding of the draft, so each change is a
paired difference (percentile bootstrap over prompts, ``biaskit.metrics.bootstrap``):

* CLEAR-Bias base phase (labels from the ``trained`` judge): safety, the S and CS shares, the
  competence share (answers that engage with the task, ``biaskit.metrics.competence``) and answer
  validity (non-empty and labelled S, CS, D or R);
* Identity Inference Rate on the masked-identity prompts (``biaskit.debias.iir``);
* NBLS gender read: mean |model - BLS| share of women per occupation, from the selection rule's
  scores of the candidate answers (``DebiasEngine.score``);
* cost: the verifier's mean per-token log-likelihood of each answer under the plain prompt
  (fluency), and draft tokens per second of the CLEAR-Bias and IIR generations.

Decoding statistics per setting: draft tokens proposed and accepted, rejections, and rejections
caused by the fairness term alone (tokens the margin would have passed). ``--clear-bias N`` and
``--iir N`` take a seeded random subset of the prompts that have an identity term to swap (the
fairness term is inactive on the others; the first N of a seeded shuffle, so a larger N extends a
smaller one); a count at or above the suite's size takes every prompt.
A prompt with nothing to swap is decoded once per margin, at the grid's lowest strength, and its
answer reused at the other strengths: without a counterfactual the strength enters no score, so
decoding it again would give the same tokens. Generations are appended to ``generations.jsonl`` in
chunks of ``--batch-size`` prompts (each line names its prompt ids), and a rerun with the same
``--out-dir`` decodes only the prompts a setting still lacks.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _sweep_report import analyse, write_outputs  # noqa: E402


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", action="append", required=True, metavar="DRAFT,VERIFIER", help="repeatable; the first is run first")
    parser.add_argument("--strengths", type=_floats, default=[0.0, 0.1, 0.25, 0.5, 1.0])
    parser.add_argument("--margins", type=_floats, default=[0.5, 2.0])
    parser.add_argument("--clear-bias", type=int, default=200, help="CLEAR-Bias base prompts (seeded subset)")
    parser.add_argument("--iir", type=int, default=110, help="masked-identity prompts (seeded subset)")
    parser.add_argument("--nbls", type=int, default=12, help="NBLS occupations (gender read, seeded subset; 0: skip)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--gamma", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=48, help="prompts decoded together (bounds memory); also the chunk stored per line")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared machine)")
    parser.add_argument("--decode-only", action="store_true", help="decode and store generations, no judging or tables (to split a sweep over processes)")
    parser.add_argument("--analyse-only", action="store_true", help="judge and tabulate the stored generations, decode nothing")
    parser.add_argument("--out-dir", required=True)
    return parser.parse_args(argv)


def select_prompts(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """The CLEAR-Bias base prompts and IIR prompts of the study: each suite whole when the count
    reaches its size, else a seeded subset of the prompts that have a counterfactual."""
    from biaskit.debias.iir import load_iir_items
    from biaskit.suites import clear_bias

    all_base, all_iir = clear_bias.load_prompts(None), load_iir_items()
    base = [i for i in all_base if swappable(i.request())]
    iir = [i for i in all_iir if swappable(_user(i.prompt))]
    if args.clear_bias >= len(all_base):
        base = all_base
    if args.iir >= len(all_iir):
        iir = all_iir
    return _subset(base, args.clear_bias, args.seed), _subset(iir, args.iir, args.seed)


def _subset(items: list[Any], n: int, seed: int) -> list[Any]:
    """The first ``n`` of a seeded shuffle, in id order: a larger count extends a smaller one."""
    order = random.Random(seed).sample(items, len(items))
    return sorted(order[:n], key=lambda i: i.id)


def swappable(request: Any) -> bool:
    """Whether the swap lists give this request a counterfactual (else the fairness term is inactive)."""
    from biaskit.debias.api import swap_request

    return swap_request(_swaps(), request) is not None


@functools.cache
def _swaps() -> Any:
    from biaskit.debias.counterfactual import load_swaps

    return load_swaps()


def study_prompts(cb: list[Any], iir: list[Any]) -> list[tuple[str, Any]]:
    """(prompt id, request) of the CLEAR-Bias prompts, then the IIR prompts: the order of every row's answers."""
    return [(i.id, i.request()) for i in cb] + [(i.id, _user(i.prompt)) for i in iir]


def nbls_items(args: argparse.Namespace) -> tuple[list[Any], Any]:
    from biaskit.suites import nbls

    table = nbls.load_table()
    occupations = random.Random(args.seed).sample(list(table.occupations), args.nbls) if args.nbls else []
    return nbls.build_items(occupations, attributes=("gender",)), table


def load_models(draft: str, verifier: str) -> tuple[Any, Any, Any, Any]:
    """Engines (plain generation, fluency scoring) and the debias loop's views of the same models."""
    from biaskit.debias._lm import load_causal_lm
    from biaskit.engines import EngineConfig, load_engine

    engines = {name: load_engine(EngineConfig(model=name, backend="hf", dtype="float32", batch_size=64)) for name in {draft, verifier}}
    lms = {name: load_causal_lm(engine) for name, engine in engines.items()}
    return engines[draft], engines[verifier], lms[draft], lms[verifier]


def decode_setting(pair: str, setting: dict[str, Any], requests: list[Any], models: tuple[Any, ...], args: argparse.Namespace) -> dict[str, Any]:
    """Answers and decoding statistics of one setting on ``requests`` (``strength`` None: plain greedy decoding)."""
    from biaskit.debias import debias_generate
    from biaskit.engines import SamplingParams

    draft_engine, _, draft_lm, verifier_lm = models
    started = time.perf_counter()
    if setting["strength"] is None:
        out = draft_engine.generate(requests, SamplingParams(temperature=0.0, max_tokens=args.max_tokens))
        texts = [c[0].text for c in out]
        stats: dict[str, int] = {"tokens": sum(len(c[0].token_ids) + (c[0].finish_reason == "stop") for c in out)}
    else:
        results = debias_generate(requests, draft_lm, verifier_lm, rule="normalised", fairness=setting["strength"],
                                  margin=setting["margin"], gamma=args.gamma, max_tokens=args.max_tokens, batch_size=len(requests))
        texts = [r.text for r in results]
        stats = {k: sum(getattr(r.stats, k) for r in results) for k in ("tokens", "proposed", "accepted", "reranked", "fairness_rejected")}
    return {"pair": pair, **setting, "texts": texts, "stats": stats, "seconds": time.perf_counter() - started}


def fluency(verifier_engine: Any, requests: list[Any], texts: list[str]) -> list[float | None]:
    """The verifier's mean per-token log-prob of each answer under the plain prompt (None: empty)."""
    from biaskit.engines import ScoreRequest

    todo = [i for i, t in enumerate(texts) if t.strip()]
    scores = verifier_engine.score([ScoreRequest(context=requests[i], continuation=texts[i]) for i in todo])
    out: list[float | None] = [None] * len(texts)
    for i, s in zip(todo, scores):
        out[i] = s.logprob / max(1, len(s.token_logprobs))
    return out


def nbls_gaps(engine: Any, items: list[Any], table: Any) -> dict[str, float]:
    """|model - BLS| share of women per occupation, from the engine's scores of the answers."""
    from biaskit.suites import nbls

    frame = nbls.occupation_frame(nbls.score_items(engine, items), table, "gender")
    return {row.occupation: abs(row.model_women - row.bls_women) for row in frame.itertuples()}


def decoded_by(setting: dict[str, Any], swaps: bool, args: argparse.Namespace) -> dict[str, Any]:
    """The setting whose answer a prompt gets: its own, or for a prompt without a counterfactual
    the same margin's lowest strength (the strength cannot act on it)."""
    if setting["strength"] is None or swaps:
        return setting
    return {"strength": min(args.strengths), "margin": setting["margin"]}


def run_pair(pair: str, args: argparse.Namespace, cb: list[Any], iir: list[Any], nbls: tuple[list[Any], Any], store: Store, log: Any) -> None:
    from biaskit.debias.engine import DebiasEngine
    from biaskit.debias.settings import DebiasSettings

    draft, verifier = pair.split(",")
    models = load_models(draft, verifier)
    prompts = study_prompts(cb, iir)
    # Without a counterfactual the strength cannot change a score: one debiased read per margin suffices.
    strength_acts = any(swappable(i.request()) for i in nbls[0])
    settings = [{"strength": None, "margin": None}] + [{"strength": s, "margin": m} for m in args.margins for s in args.strengths]
    for setting in settings:
        key = (pair, setting["strength"], setting["margin"])
        todo = [(pid, r) for pid, r in prompts if decoded_by(setting, swappable(r), args) == setting and pid not in store.texts(key)]
        for begin in range(0, len(todo), args.batch_size):
            chunk = todo[begin : begin + args.batch_size]
            requests = [r for _, r in chunk]
            row = decode_setting(pair, setting, requests, models, args)
            row["ids"] = [pid for pid, _ in chunk]
            row["fluency"] = fluency(models[1], requests, row["texts"])
            store.add(row)
            print(f"{time.strftime('%H:%M:%S')} {pair} strength={setting['strength']} margin={setting['margin']} "
                  f"{begin + len(chunk)}/{len(todo)} {row['stats']} {row['seconds']:.0f}s", file=log, flush=True)
        if nbls[0] and not store.nbls(key) and (strength_acts or setting["strength"] in (None, min(args.strengths))):
            if setting["strength"] is None:
                engine = models[0]
            else:
                engine = DebiasEngine(models[2], models[3], settings=DebiasSettings(rule="normalised", fairness=setting["strength"], margin=setting["margin"]))
            store.add({"pair": pair, **setting, "ids": [], "texts": [], "fluency": [], "stats": {}, "seconds": 0.0, "nbls": nbls_gaps(engine, nbls[0], nbls[1])})


class Store:
    """``generations.jsonl``: lines of (setting, prompt ids, answers, fluency, counts, seconds),
    merged per setting; a prompt stored twice for one setting is an error, not a silent pick."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[tuple, dict[str, Any]] = {}
        if path.exists():
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if line.strip():
                    self._merge(json.loads(line), f"{path}:{n}")

    def _merge(self, row: dict[str, Any], where: str) -> None:
        key = (row["pair"], row["strength"], row["margin"])
        into = self.rows.setdefault(key, {"pair": row["pair"], "strength": row["strength"], "margin": row["margin"],
                                          "answers": {}, "stats": {}, "seconds": 0.0, "nbls": None})
        for pid, text, fl in zip(row["ids"], row["texts"], row["fluency"]):
            if pid in into["answers"]:
                raise SystemExit(f"{where}: prompt {pid} is stored twice for {key}")
            into["answers"][pid] = (text, fl)
        for k, v in row["stats"].items():
            into["stats"][k] = into["stats"].get(k, 0) + v
        into["seconds"] += row["seconds"]
        if row.get("nbls"):
            into["nbls"] = row["nbls"]

    def add(self, row: dict[str, Any]) -> None:
        self._merge(row, "new generations")
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")

    def texts(self, key: tuple) -> dict[str, Any]:
        return self.rows[key]["answers"] if key in self.rows else {}

    def nbls(self, key: tuple) -> Any:
        return self.rows[key]["nbls"] if key in self.rows else None

    def settings(self, args: argparse.Namespace, cb: list[Any], iir: list[Any]) -> list[dict[str, Any]]:
        """One row per stored setting with answers and fluency in prompt order (``cb`` then
        ``iir``), prompts without a counterfactual taken from the setting that decoded them."""
        prompts = study_prompts(cb, iir)
        out = []
        for key, row in self.rows.items():
            setting = {"strength": row["strength"], "margin": row["margin"]}
            answers = []
            for pid, request in prompts:
                owner = decoded_by(setting, swappable(request), args)
                answers.append(self.texts((row["pair"], owner["strength"], owner["margin"])).get(pid))
            if any(a is None for a in answers):
                missing = sum(a is None for a in answers)
                print(f"skipping {key}: {missing} of {len(answers)} prompts not decoded", file=sys.stderr)
                continue
            out.append({**row, "texts": [a[0] for a in answers], "fluency": [a[1] for a in answers]})
        return out


def _user(text: str) -> Any:
    from biaskit.engines._types import ChatRequest

    return ChatRequest.user(text)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cb, iir = select_prompts(args)
    nbls = nbls_items(args)
    store = Store(out / "generations.jsonl")
    print(f"{len(cb)} CLEAR-Bias prompts, {len(iir)} IIR prompts, {len(nbls[0])} NBLS items; {len(store.rows)} settings stored", flush=True)
    for pair in [] if args.analyse_only else args.pair:
        run_pair(pair, args, cb, iir, nbls, store, sys.stdout)
    if args.decode_only:
        return
    acting = {pid for pid, request in study_prompts(cb, []) if swappable(request)}
    rows = analyse(store.settings(args, cb, iir), cb, iir, acting, args)
    write_outputs(rows, args, out, command=" ".join(["python", "bench/debias_sweep.py", *(argv or sys.argv[1:])]))

if __name__ == "__main__":
    main()

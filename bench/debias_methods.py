"""One paired comparison of debiasing methods on the same prompts: plain, constitution as system
prompt, self-debiasing, speculative verification and activation steering.

    biaskit debias steer-fit --model smollm2-135m --out results/studies/debias-methods/vector
    python bench/debias_methods.py --vector results/studies/debias-methods/vector \
        --clear-bias 30 --iir 5 --nbls 5 --max-tokens 32 --out-dir results/studies/debias-methods

Every method answers the same CLEAR-Bias base prompts (a seeded, stratified subset of the prompts
the steering vector was NOT fitted on) and the same masked-identity IIR prompts, greedily, with the
same token budget, on the same model (``--model``; the speculative method's verifier is
``--verifier``, its settings ``--speculative``). Answers are judged by the default ``trained``
judge. Per method, against plain decoding and paired by prompt (percentile bootstrap over prompts,
within task for CLEAR-Bias, within axis for IIR, over occupations for NBLS): change of safety, of the S
and CS shares, of validity (share of answers that engage with the task, ``biaskit.metrics.competence``),
of the IIR, and of fluency (the model's own mean per-token log-likelihood of the answer given the
plain prompt); plus speed (answer tokens per second of wall time, under the model's tokenizer).

Steering's strength is chosen on prompts of the fitting split (``--select`` of them): the
candidate (``--strengths``) with the highest safety whose validity is no more than 0.1 below plain
decoding's on those prompts.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd


def parse_settings(text: str) -> dict[str, Any]:
    """``gamma=4,alpha=1,margin=2,rule=constitutional`` -> keyword arguments of ``debias_generate``."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        out[key] = value if key == "rule" else (int(value) if key in ("gamma", "top_k") else float(value))
    return out


Stat = Callable[[np.ndarray], float]  # a statistic of the rows (prompt indices) drawn


def mean_of(values: np.ndarray) -> Stat:
    return lambda rows: float(np.nanmean(values[rows]))


def paired(before: Stat, after: Stat, strata: np.ndarray, n_boot: int, seed: int) -> dict[str, float]:
    """Change ``after - before`` with a 95% paired percentile interval: both statistics see the same
    resampled rows, drawn within ``strata``."""
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        rows = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        diffs.append(after(rows) - before(rows))
    every = np.arange(len(strata))
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return {"before": before(every), "after": after(every), "change": after(every) - before(every), "low": float(low), "high": float(high)}


def safety_of(labels: np.ndarray, tasks: np.ndarray, categories: np.ndarray) -> Callable[[np.ndarray], float]:
    """A statistic over row indices: CLEAR-Bias base-phase model safety of those rows' labels."""
    from biaskit.metrics.clear_bias import labels_table, model_safety

    def stat(rows: np.ndarray) -> float:
        frame = pd.DataFrame({"category": categories[rows], "task": tasks[rows], "label": labels[rows], "attack": "base"})
        return model_safety(labels_table(frame))

    return stat


def judge_answers(judge: Any, items: list[Any], texts: list[str]) -> tuple[list[str], list[bool]]:
    """Trained-judge labels and whether each answer engages with the task."""
    from biaskit.judges import JudgeInput
    from biaskit.metrics.competence import ENGAGED, engagement

    inputs = [JudgeInput(key=i.id, task=i.task, prompt=i.prompt, response=t, options=i.options, stereotype_index=i.stereotype_index,
                         category=i.category) for i, t in zip(items, texts)]  # fmt: skip
    labels = [j.label for j in judge.judge(inputs)]
    return labels, [engagement(x, label) in ENGAGED for x, label in zip(inputs, labels)]


def build_methods(args: argparse.Namespace, engine: Any, strength: float) -> dict[str, Callable[[list[str]], list[str]]]:
    """Each method as a function from user prompts to greedy answers."""
    from biaskit.debias import debias_generate, load_constitution
    from biaskit.debias._lm import load_causal_lm
    from biaskit.debias.baselines import self_debias_generate
    from biaskit.debias.steer import SteerEngine, load_vector
    from biaskit.engines import ChatRequest, SamplingParams

    lm = load_causal_lm(engine)
    verifier = lm if args.verifier == args.model else load_causal_lm(args.verifier)
    constitution = load_constitution()
    sampling = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
    steer = SteerEngine(engine, load_vector(args.vector), strength, args.layer)

    def texts(out: list[list[Any]]) -> list[str]:
        return [c[0].text for c in out]

    return {
        "plain": lambda ps: texts(engine.generate([ChatRequest.user(p) for p in ps], sampling)),
        "constitution_system_prompt": lambda ps: texts(engine.generate([ChatRequest.user(p, system=constitution.text) for p in ps], sampling)),
        "self_debiasing": lambda ps: [t for t, _ in self_debias_generate(lm, ps, args.max_tokens)],
        "speculative": lambda ps: [r.text for r in debias_generate(ps, lm, verifier, constitution=constitution, max_tokens=args.max_tokens,
                                                                   batch_size=8, **parse_settings(args.speculative))],  # fmt: skip
        "steering": lambda ps: texts(steer.generate([ChatRequest.user(p) for p in ps], sampling)),
    }


def choose_strength(args: argparse.Namespace, engine: Any, judge: Any, fit_items: list[Any], log: Callable[[str], None]) -> tuple[float, list[dict[str, Any]]]:
    """The candidate strength with the best safety on fitting-split prompts, validity within 0.1 of plain."""
    from biaskit.debias.steer import SteerEngine, load_vector
    from biaskit.engines import SamplingParams

    vector = load_vector(args.vector)
    sampling = SamplingParams(temperature=0.0, max_tokens=args.max_tokens)
    tasks, cats = np.array([i.task for i in fit_items]), np.array([i.category for i in fit_items])
    rows = []
    for strength in [0.0, *args.strengths]:
        out = SteerEngine(engine, vector, strength, args.layer).generate([i.request() for i in fit_items], sampling)
        labels, valid = judge_answers(judge, fit_items, [c[0].text for c in out])
        safety = safety_of(np.array(labels), tasks, cats)(np.arange(len(fit_items)))
        rows.append({"strength": strength, "safety": safety, "validity": float(np.mean(valid))})
        log(f"select strength {strength:g} on {len(fit_items)} fitting prompts: safety {safety:.3f} validity {np.mean(valid):.3f}")
    floor = rows[0]["validity"] - 0.1
    best = max((r for r in rows[1:] if r["validity"] >= floor), key=lambda r: r["safety"], default=rows[0])
    return best["strength"], rows


class WithSystem:
    """An engine whose requests all get ``system`` as their system prompt (the constitution baseline on NBLS)."""

    def __init__(self, engine: Any, system: str) -> None:
        self.engine, self.system = engine, system

    def _with(self, request: Any) -> Any:
        from biaskit.engines import ChatRequest, Message

        others = tuple(m for m in request.messages if m.role != "system")
        return ChatRequest(messages=(Message(role="system", content=self.system), *others), assistant_prefix=request.assistant_prefix)

    def generate(self, requests: list[Any], sampling: Any) -> list[list[Any]]:
        return self.engine.generate([self._with(r) for r in requests], sampling)

    def score(self, requests: list[Any]) -> list[Any]:
        return self.engine.score([r.model_copy(update={"context": self._with(r.context)}) for r in requests])


def nbls_gaps(engine: Any, items: list[Any], table: Any) -> pd.Series:
    """|model share of women - BLS share| per occupation, in points, from the answers' log-probs."""
    from biaskit.suites.nbls import occupation_frame, score_items

    frame = occupation_frame(score_items(engine, items), table, "gender").set_index("occupation")
    return (frame["model_women"] - frame["bls_women"]).abs()


def fluency(engine: Any, prompts: list[str], texts: list[str]) -> np.ndarray:
    """The plain model's mean per-token log-likelihood of each answer given its plain prompt (NaN if empty)."""
    from biaskit.engines import ChatRequest, ScoreRequest

    todo = [n for n, t in enumerate(texts) if t.strip()]
    scores = engine.score([ScoreRequest(context=ChatRequest.user(prompts[n]), continuation=texts[n]) for n in todo])
    out = np.full(len(texts), np.nan)
    for n, s in zip(todo, scores):
        out[n] = s.logprob / max(len(s.token_logprobs), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--verifier", default=None, help="speculative: verifier model (default: --model)")
    from biaskit import _debias_defaults as d

    defaults = f"rule={d.RULE},fairness={d.FAIRNESS:g},margin={d.MARGIN:g},gamma={d.GAMMA},top_k={d.TOP_K}"
    parser.add_argument("--speculative", default=defaults, help=f"speculative settings as key=value pairs (default: biaskit's defaults, {defaults})")
    parser.add_argument("--vector", required=True, help="steering vector from `biaskit debias steer-fit` (its split decides the prompts)")
    parser.add_argument("--layer", type=int, default=None, help="steering layer (default: the vector's)")
    parser.add_argument("--strengths", type=lambda s: [float(x) for x in s.split(",")], default=[0.1, 0.25, 0.5, 1.0],
                        help="candidate steering strengths, chosen on the fitting split (default 0.1,0.25,0.5,1)")
    parser.add_argument("--select", type=int, default=16, help="fitting-split prompts used to choose the strength")
    parser.add_argument("--clear-bias", type=int, default=30, help="held-out CLEAR-Bias base prompts (stratified, seeded)")
    parser.add_argument("--iir", type=int, default=5, help="IIR prompts per axis (religion, caste)")
    parser.add_argument("--nbls", type=int, default=5, help="NBLS occupations (gender, log-prob read; 0: leave NBLS out)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: shared machines)")
    parser.add_argument("--out-dir", default="results/studies/debias-methods")
    args = parser.parse_args()
    args.verifier = args.verifier or args.model

    import sys

    import torch

    from biaskit.debias.iir import inferred_identities, load_iir_items
    from biaskit.debias.steer import load_vector
    from biaskit.engines import EngineConfig, load_engine
    from biaskit.judges import make_judge
    from biaskit.suites._clear_bias_sample import stratified_sample
    from biaskit.suites.clear_bias import load_prompts

    torch.set_num_threads(args.threads)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    split = load_vector(args.vector).provenance.split
    items = load_prompts()
    fitted = set(split.fit_ids)
    held = [i for i in items if i.id in set(split.held_out_ids)]
    eval_items = stratified_sample(held, args.clear_bias, args.seed)
    select_items = stratified_sample([i for i in items if i.id in fitted], args.select, args.seed)
    assert not {i.id for i in eval_items} & fitted, "evaluation prompts must not overlap the fitting split"
    iir_items = [i for axis in ("religion", "caste") for i in [x for x in load_iir_items() if x.axis == axis][: args.iir]]
    engine = load_engine(EngineConfig(model=args.model, backend="hf", dtype="float32", batch_size=8))
    judge = make_judge("trained")
    strength, selection = choose_strength(args, engine, judge, select_items, log)
    log(f"steering strength {strength:g} chosen on the fitting split")
    methods = build_methods(args, engine, strength)
    tokenizer = engine.tokenizer
    answers: dict[str, dict[str, list[str]]] = {}
    figures: dict[str, dict[str, Any]] = {}
    cb_prompts, iir_prompts = [i.prompt for i in eval_items], [i.prompt for i in iir_items]
    for name, run in methods.items():
        started = time.perf_counter()
        cb = run(cb_prompts)
        iir = run(iir_prompts)
        seconds = time.perf_counter() - started
        tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in cb + iir)
        labels, valid = judge_answers(judge, eval_items, cb)
        answers[name] = {"clear_bias": cb, "iir": iir, "labels": labels, "valid": valid}
        figures[name] = {"seconds": seconds, "tokens": tokens, "tokens_per_s": tokens / seconds}
        log(f"{name}: {tokens} tokens in {seconds:.0f}s; labels {pd.Series(labels).value_counts().to_dict()}")
    judge.close()
    if args.nbls:
        from biaskit.debias import load_constitution
        from biaskit.debias.engine import DebiasEngine
        from biaskit.debias.settings import DebiasSettings
        from biaskit.debias.steer import SteerEngine
        from biaskit.suites import nbls as suite

        bls = suite.load_table()
        nbls_items = suite.build_items(suite.select_occupations(bls, (), args.nbls), ("gender",))
        settings = parse_settings(args.speculative)
        scorers = {
            "plain": lambda: engine,
            "constitution_system_prompt": lambda: WithSystem(engine, load_constitution().text),
            "speculative": lambda: DebiasEngine(args.model, args.verifier, settings=DebiasSettings(**settings, max_tokens=args.max_tokens)),
            "steering": lambda: SteerEngine(engine, load_vector(args.vector), strength, args.layer),
        }  # fmt: skip
        gaps = {}
        for name, make in scorers.items():
            started = time.perf_counter()
            gaps[name] = nbls_gaps(make(), nbls_items, bls)
            log(f"NBLS {name}: mean |gap| {gaps[name].mean():.1f} points over {len(gaps[name])} occupations ({time.perf_counter() - started:.0f}s)")
        occupations = np.array(gaps["plain"].index)
        for name, gap in gaps.items():
            before, after = gaps["plain"].reindex(occupations).to_numpy(), gap.reindex(occupations).to_numpy()
            figures[name]["nbls_gap"] = paired(mean_of(before), mean_of(after), np.zeros(len(occupations)), args.boot, args.seed)
    tasks, cats = np.array([i.task for i in eval_items]), np.array([i.category for i in eval_items])
    # Resample within task (CLEAR-Bias) and axis (IIR): the task x category cells hold one or two prompts at this size.
    cells = tasks
    axes = np.array([i.axis for i in iir_items])
    fluent = {name: fluency(engine, cb_prompts + iir_prompts, a["clear_bias"] + a["iir"]) for name, a in answers.items()}
    both = np.array(["clear-bias"] * len(eval_items) + ["iir"] * len(iir_items))
    base = answers["plain"]
    n_boot, seed = args.boot, args.seed

    def flags(texts: list[str]) -> np.ndarray:
        return np.array([100.0 * bool(inferred_identities(i.prompt, t)) for i, t in zip(iir_items, texts)])

    for name, a in answers.items():
        labels, base_labels = np.array(a["labels"]), np.array(base["labels"])
        figures[name].update({
            "safety": paired(safety_of(base_labels, tasks, cats), safety_of(labels, tasks, cats), cells, n_boot, seed),
            "s_share": paired(mean_of(base_labels == "S"), mean_of(labels == "S"), cells, n_boot, seed),
            "cs_share": paired(mean_of(base_labels == "CS"), mean_of(labels == "CS"), cells, n_boot, seed),
            "validity": paired(mean_of(np.array(base["valid"], float)), mean_of(np.array(a["valid"], float)), cells, n_boot, seed),
            "iir": paired(mean_of(flags(base["iir"])), mean_of(flags(a["iir"])), axes, n_boot, seed),
            "fluency": paired(mean_of(fluent["plain"]), mean_of(fluent[name]), both, n_boot, seed),
        })  # fmt: skip
    setup = {k: getattr(args, k) for k in ("model", "verifier", "speculative", "vector", "layer", "strengths", "select", "clear_bias", "iir", "nbls",
                                           "max_tokens", "boot", "seed", "threads")}  # fmt: skip
    setup.update(strength=strength, layer=load_vector(args.vector).provenance.default_layer if args.layer is None else args.layer,
                 judge="trained", eval_ids=[i.id for i in eval_items], select_ids=[i.id for i in select_items], iir_ids=[i.id for i in iir_items],
                 fit_split={"seed": split.seed, "fit_share": split.fit_share, "fit_prompts": len(split.fit_ids)})  # fmt: skip
    result = {"setup": setup, "strength_selection": selection, "methods": figures}
    (out_dir / "methods.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "methods.md").write_text(table(result) + "\n")
    with (out_dir / "answers.jsonl").open("w") as handle:
        for n, item in enumerate(eval_items):
            handle.write(json.dumps({"id": item.id, **{m: {"text": a["clear_bias"][n], "label": a["labels"][n]} for m, a in answers.items()}}) + "\n")
        for n, item in enumerate(iir_items):
            handle.write(json.dumps({"id": item.id, **{m: {"text": a["iir"][n]} for m, a in answers.items()}}) + "\n")
    print(table(result))


def table(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table: each change vs plain with its paired 95% interval."""
    def cell(f: dict[str, float], scale: float = 1.0, digits: int = 3) -> str:
        return f"{f['change'] * scale:+.{digits}f} [{f['low'] * scale:+.{digits}f}, {f['high'] * scale:+.{digits}f}]"

    head = ["method", "safety change", "S share change", "CS share change", "IIR change (points)", "validity change",
            "NBLS mean gap change (points)", "fluency change (nats/token)", "tokens/s"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, f in result["methods"].items():
        lines.append(f"| {name} | {cell(f['safety'])} | {cell(f['s_share'])} | {cell(f['cs_share'])} | {cell(f['iir'], 1, 1)} | "
                     f"{cell(f['validity'])} | {cell(f['nbls_gap'], 1, 1) if 'nbls_gap' in f else 'n/a'} | {cell(f['fluency'], 1, 2)} | "
                     f"{f['tokens_per_s']:.1f} |")  # fmt: skip
    plain = result["methods"]["plain"]
    lines.append("")
    lines.append(f"plain decoding: safety {plain['safety']['before']:.3f}, S share {plain['s_share']['before']:.3f}, "
                 f"CS share {plain['cs_share']['before']:.3f}, IIR {plain['iir']['before']:.1f}%, validity {plain['validity']['before']:.3f}, "
                 f"fluency {plain['fluency']['before']:.2f} nats/token"
                 + (f", NBLS mean |gap| {plain['nbls_gap']['before']:.1f} points" if "nbls_gap" in plain else ""))  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""``biaskit eval --debias CONFIG``: the same items with and without debiasing, compared pairwise.

The plain condition is an ordinary run of ``--model``; the debiased condition runs the same items,
seeds and decoding budget through a :class:`~biaskit.debias.engine.DebiasEngine` (the model as
draft, a constitution-guided verifier). Both are run directories of their own (the leaderboard shows
both rows); the debiased one also gets ``paired.json``: per-category differences with paired
bootstrap intervals (responses matched by key) and the cost ratio of the two decoders.

With ``--suite nbls`` nothing is decoded: the debiased engine scores each candidate answer with the
selection rule's own score (``biaskit.debias.answers``), and the paired change is in the gap to the
BLS figures; the cost ratio is then that of scoring.

CONFIG is a YAML file, or ``default`` (the model as its own verifier, default constitution)::

    verifier: gemma3-270m          # default: the evaluated model
    draft: smollm2-135m            # default: --model
    constitution: anti_discrimination   # a shipped name or a file path
    rule: constitutional           # or normalised (with fairness: 0-1), or reference
    gamma: 4
    alpha: 1.0

or, for contrastive activation steering of the evaluated model (``biaskit.debias.steer``)::

    method: steer
    vector: vectors/smollm2        # written by `biaskit debias steer-fit --out vectors/smollm2`
    layer: 15                      # default: the layer steer-fit chose
    strength: 1.0                  # multiples of the layer's mean activation norm; 0 = plain

A steered run refuses prompts the vector was fitted on (``allow_fit_overlap: true`` warns instead).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from biaskit import _debias_defaults as _defaults
from biaskit.config import EvalConfig
from biaskit.debias.checks import check_debias_values
from biaskit.debias.stats import summarize
from biaskit.engines import resolve_backend
from biaskit.errors import ConfigError
from biaskit.results.store import PAIRED, write_json_atomic


class DebiasConfig(BaseModel):
    """The debiased condition: which models, which constitution, which acceptance rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    method: Literal["speculative", "steer"] = "speculative"
    # steer: a vector from `biaskit debias steer-fit`, the layer (None: the one it recorded), the strength
    vector: str | None = None
    layer: int | None = None
    strength: float = Field(1.0, ge=-20.0, le=20.0)
    allow_fit_overlap: bool = False
    draft: str | None = None
    verifier: str | None = None
    constitution: str = "anti_discrimination"
    rule: str = _defaults.RULE
    gamma: int = Field(_defaults.GAMMA, ge=1, le=16)
    alpha: float = Field(_defaults.ALPHA, ge=0.0, le=100.0)
    top_k: int = Field(_defaults.TOP_K, ge=1, le=50)
    margin: float = Field(_defaults.MARGIN, ge=0.0, le=50.0)
    fairness: float = Field(_defaults.FAIRNESS, ge=0.0, le=1.0)  # the normalised rule's strength
    batch_size: int = Field(8, ge=1)
    backend: Literal["hf", "vllm"] | None = None  # None: vllm when the run's --backend resolves to vllm, else hf


def read_debias_config(spec: str) -> DebiasConfig:
    """The debias settings of ``spec`` (a YAML file or ``default``), every value checked: types and
    ranges by :class:`DebiasConfig`, the rest (rule, constitution, models) by
    :mod:`biaskit.debias.checks`. A problem is one line naming the file and the key."""
    config = _parse_debias_config(spec)
    check_debias_values(config.model_dump(), spec)
    return config


def resolved_debias(spec: str) -> dict[str, Any]:
    """What ``spec`` decodes with: every setting with its default filled in, and the content hash
    of the constitution and of a steering vector. A debiased run's id and its answers' fingerprint
    are made from this, not from ``default`` or a file name, so a changed default or an edited file
    starts another run (or is refused on resume) instead of mixing two settings in one run."""
    import hashlib

    from biaskit.debias.constitution import load_constitution

    config = read_debias_config(spec)
    resolved = config.model_dump(mode="json", exclude={"batch_size"})  # how many at once, not what is decoded
    if config.method == "steer":
        assert config.vector is not None
        resolved["vector_sha256"] = hashlib.sha256(Path(config.vector).read_bytes()).hexdigest() if Path(config.vector).is_file() else None
        for unused in ("draft", "verifier", "constitution", "rule", "gamma", "alpha", "top_k", "margin", "fairness", "backend"):
            resolved.pop(unused)
    else:
        resolved["constitution_sha256"] = hashlib.sha256(load_constitution(config.constitution).text.encode()).hexdigest()
        for unused in ("vector", "layer", "strength", "allow_fit_overlap"):
            resolved.pop(unused)
    return resolved


def _parse_debias_config(spec: str) -> DebiasConfig:
    if spec == "default":
        return DebiasConfig()
    path = Path(spec)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"--debias {spec}: cannot read it ({exc.strerror or exc}); give a YAML file or 'default'") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"--debias {spec}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"--debias {spec}: expected a mapping such as 'verifier: gemma3-270m'")
    try:
        config = DebiasConfig(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(map(str, err["loc"]))
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"--debias {spec}: {key}: not a debias setting; expected one of {', '.join(DebiasConfig.model_fields)}") from None
        raise ConfigError(f"--debias {spec}: {key}: {err['msg']}") from None
    if config.method == "steer" and not config.vector:
        raise ConfigError(f"--debias {spec}: method steer needs 'vector: FILE' (written by `biaskit debias steer-fit --out FILE`)")
    return config


def _settings(config: EvalConfig, debias: DebiasConfig) -> Any:
    from biaskit.debias.settings import DebiasSettings

    return DebiasSettings(rule=debias.rule, gamma=debias.gamma, alpha=debias.alpha, top_k=debias.top_k,  # type: ignore[arg-type]
                          margin=debias.margin, max_tokens=config.max_tokens, fairness=debias.fairness)  # fmt: skip


def _debias_engine(config: EvalConfig, debias: DebiasConfig) -> Any:
    if debias.method == "steer":
        from biaskit.debias.steer import load_steer_engine

        assert debias.vector is not None
        if resolve_backend(config.backend) != "hf":
            raise ConfigError("--debias method steer hooks a transformers model: use --backend hf, so the plain run uses the same engine")
        return load_steer_engine(debias.vector, debias.strength, debias.layer, config.model, None if config.dtype == "auto" else config.dtype)
    from biaskit.debias.engine import DebiasEngine

    settings = _settings(config, debias)
    backend = debias.backend or ("vllm" if resolve_backend(config.backend) == "vllm" else "hf")
    dtype = None if config.dtype == "auto" else config.dtype
    return DebiasEngine(debias.draft or config.model, debias.verifier or config.model, debias.constitution, settings,
                        batch_size=debias.batch_size, backend=backend, dtype=dtype)  # fmt: skip


def _flow(config: EvalConfig) -> Any:
    if config.suite == "clear-bias":
        from biaskit.flows import clear_bias

        return clear_bias
    from biaskit.flows import nbls

    if nbls.NblsOptions.from_config(config).resolved_method(config) != "logprob":
        raise ConfigError("--suite nbls --debias reads answer distributions from log-probs: use --nbls-method logprob")
    return nbls


def measure_cost(config: EvalConfig, debias: DebiasConfig, prompts: int = 8) -> dict[str, Any]:
    """Time of the plain model and of the debiased engine on the same first ``prompts`` items: tokens
    generated per second on CLEAR-Bias, candidate answers scored per second on NBLS."""
    from biaskit.engines import load_engine
    from biaskit.engines.models import resolve_model

    if config.suite == "nbls":
        from biaskit.engines import ScoreRequest
        from biaskit.flows import nbls
        from biaskit.suites import nbls as suite

        options = nbls.NblsOptions.from_config(config)
        occupations = suite.select_occupations(suite.load_table(options.bls), options.occupations, config.limit)
        items = suite.build_items(occupations, options.attributes, options.tasks, options.shots)[:prompts]
        scoring = [ScoreRequest(context=i.request(), continuation=a.text) for i in items for a in i.answers]

        def work(engine: Any) -> int:
            engine.score(scoring)
            return len(scoring)

        unit = "answers"
    else:
        from transformers import AutoTokenizer

        from biaskit.flows.clear_bias import select_items

        requests = [item.request() for item in select_items(config)[:prompts]]
        sampling = config.sampling()
        # Count both decoders' output in the same units: tokens of the evaluated model's tokenizer.
        tokenizer = AutoTokenizer.from_pretrained(resolve_model(config.model, config.revision).path)

        def work(engine: Any) -> int:
            out = engine.generate(requests, sampling)
            return sum(len(tokenizer(c[0].text, add_special_tokens=False)["input_ids"]) for c in out)

        unit = "tokens"
    figures: dict[str, dict[str, Any]] = {}
    for name, load in (("plain", lambda: load_engine(config.engine_config())), ("debiased", lambda: _debias_engine(config, debias))):
        engine: Any = load()  # a plain engine, or the debiased one with run statistics
        try:
            start = time.perf_counter()
            done = work(engine)
            seconds = time.perf_counter() - start
        finally:
            engine.close()
        figures[name] = {"seconds": seconds, unit: done, f"{unit}_per_s": done / seconds if seconds else None}
        if hasattr(engine, "run_stats") and engine.all_stats:
            figures[name]["decoding"] = engine.run_stats().model_dump()
    plain, debiased = figures["plain"]["seconds"], figures["debiased"]["seconds"]
    return {"prompts": prompts, **figures, "time_ratio": debiased / plain if plain else None}


def run(config: EvalConfig, quiet: bool = False) -> dict[str, Any]:
    """Plain run, debiased run, paired comparison; returns both summaries and the comparison."""
    assert config.debias is not None
    debias = read_debias_config(config.debias)
    flow = _flow(config)
    if debias.method == "steer" and config.suite == "clear-bias":
        from biaskit.debias.steer import load_vector
        from biaskit.flows.clear_bias import select_items

        assert debias.vector is not None
        load_vector(debias.vector).check_disjoint([i.id for i in select_items(config)], debias.allow_fit_overlap, f"--debias vector {debias.vector}")
    if config.temperature > 0 or config.samples > 1:
        raise ConfigError("--debias decodes greedily: use --temperature 0 and --samples 1")
    _settings(config, debias)  # what the debiased engine will be built with (--max-tokens), before the plain run
    plain_config = config.model_copy(update={"debias": None, "condition": "plain"})
    plain = flow.run(plain_config, quiet)
    debiased_config = config.model_copy(update={"condition": "debiased"})
    loaded: list[Any] = []

    def load() -> Any:
        loaded.append(_debias_engine(config, debias))
        return loaded[-1]

    debiased = flow.run(debiased_config, quiet, engine_loader=load)
    stats = [s for engine in loaded for s in getattr(engine, "all_stats", [])]  # a steered engine keeps none

    from biaskit.results.leaderboard.collect import read_paired
    from biaskit.results.leaderboard.compare import compare_runs

    comparison = compare_runs(Path(plain["run_dir"]), Path(debiased["run_dir"]), n_boot=config.bootstrap, seed=config.seed)
    paired = {
        "plain_run": Path(plain["run_dir"]).name,
        "debiased_run": Path(debiased["run_dir"]).name,
        "debias": debias.model_dump(mode="json"),
        "comparison": comparison.as_dict(),
        "cost": measure_cost(config, debias),
        # Decoding statistics of the answers generated by this invocation; when every answer was
        # resumed, those recorded by the invocation that generated them (none if unknown).
        "decoding": summarize(stats, sum(e.seconds for e in loaded)).model_dump()
        if stats
        else (read_paired(Path(debiased["run_dir"])) or {}).get("decoding"),
    }
    write_json_atomic(Path(debiased["run_dir"]) / PAIRED, paired)
    return {"plain": plain, "debiased": debiased, "paired": str(Path(debiased["run_dir"]) / PAIRED), "cost": paired["cost"]}

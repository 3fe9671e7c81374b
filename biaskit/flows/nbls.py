"""``biaskit eval --suite nbls``: the model's picture of who does each job, against BLS figures.

Stages: build items (plus grounded copies with ``--ground k``), read the model's answer
distribution for each item (one scoring pass, or n samples), then per-occupation shares, metrics
with bootstrap intervals, ``occupations.csv``, ``scores.json`` and ``nbls_gender.png`` in the run
directory. The read stage is keyed by item id and resumes after a kill.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from biaskit.config import EvalConfig
from biaskit.engines import Engine, EngineInfo, SamplingParams, resolve_backend
from biaskit.errors import ConfigError
from biaskit.fingerprint import local_engine
from biaskit.flows._lazy import LazyEngine
from biaskit.metrics import nbls as metrics
from biaskit.results.folder import NBLS_STAGES, OCCUPATIONS, write_member
from biaskit.results.manifest import Manifest
from biaskit.results.scores import SCHEMA_VERSION, NblsScores
from biaskit.results.store import SCORES, RunDir, now_iso, write_json_atomic
from biaskit.runner import close_failed, fingerprint, open_run
from biaskit.suites import nbls as suite
from biaskit.suites.nbls.plot import plot_shares

DEFAULT_SAMPLES = 20
ANSWER_TOKENS = 4  # answers are one word or letter; a few tokens let a sample show a refusal
STAGE = NBLS_STAGES  # the read stage's file, by method


@dataclass(frozen=True)
class NblsOptions:
    """The suite's own options, read from the run configuration (defaults where it lacks them)."""

    bls: str | None = None
    ground: int = 0  # 0: no grounded condition
    method: str = "auto"
    attributes: tuple[str, ...] = suite.ATTRIBUTES
    tasks: tuple[str, ...] = suite.TASKS
    shots: tuple[str, ...] = ("zero",)
    occupations: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: EvalConfig) -> NblsOptions:
        def get(name: str, default: Any) -> Any:
            value = getattr(config, name, None)
            return default if value is None or value == () else value

        return cls(
            bls=get("bls", None) or config.data,
            ground=int(get("ground", 0) or 0),
            method=get("nbls_method", "auto"),
            attributes=tuple(get("nbls_attributes", suite.ATTRIBUTES)),
            tasks=tuple(get("nbls_tasks", suite.TASKS)),
            shots=tuple(get("nbls_shots", ("zero",))),
            occupations=tuple(get("occupations", ())),
        )

    def resolved_method(self, config: EvalConfig) -> str:
        """logprob or sample; ``--samples`` with the log-probability read is an error (it would be ignored)."""
        if self.method not in ("auto", "logprob", "sample"):
            raise ConfigError(f"--nbls-method {self.method!r}: expected auto, logprob or sample")
        # OpenAI-compatible chat endpoints give no log-probabilities of arbitrary continuations.
        auto = "sample" if resolve_backend(config.backend) == "openai" else "logprob"
        method = auto if self.method == "auto" else self.method
        if method == "logprob" and config.samples > 1:
            how = "--nbls-method logprob" if self.method == "logprob" else f"--nbls-method auto (logprob on --backend {config.backend})"
            raise ConfigError(f"--samples {config.samples}: {how} reads each answer's exact probability in one pass and "
                              "takes no samples; use --nbls-method sample to estimate the shares from sampled answers, "
                              "or leave --samples out")  # fmt: skip
        return method


def sampling_for(config: EvalConfig) -> SamplingParams:
    """n sampled answers per item: ``--samples`` (default 20) at ``--temperature`` (default 1.0)."""
    n = config.samples if config.samples > 1 else DEFAULT_SAMPLES
    temperature = config.temperature if config.temperature > 0 else 1.0
    return SamplingParams(temperature=temperature, top_p=config.top_p, max_tokens=ANSWER_TOKENS, seed=config.seed, n=n)


def read_items(
    run: RunDir, engine: Engine, items: Sequence[suite.NblsItem], method: str, config: EvalConfig, quiet: bool
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The answer-distribution records of ``items`` (produced now or reused from disk)."""
    sampling = sampling_for(config) if method == "sample" else None
    stamp = read_fingerprint(config, method)

    def work(batch: Sequence[suite.NblsItem]) -> Iterable[dict[str, Any]]:
        if sampling is not None:
            return suite.sample_items(engine, batch, sampling)
        return suite.score_items(engine, batch)

    with tqdm(total=len(items), desc=f"nbls {method}", unit="item", disable=quiet, dynamic_ncols=True) as bar:
        counts = run.run_stage(STAGE[method], items, lambda i: [i.id], work, config.batch_size, progress=bar.update, fingerprint=stamp)
    wanted = {i.id for i in items}
    records = [r for r in run.records(STAGE[method]) if r["key"] in wanted]
    return records, counts.as_dict()


def _engine_record(manifest: Manifest, info: EngineInfo | None) -> dict[str, Any]:
    """The manifest's engine fields once the read stage ran (unchanged when it was all resumed)."""
    if info is None:
        return {}
    return {"engine": info, "engines": {**manifest.engines, "nbls": info}}


def read_how(config: EvalConfig, method: str) -> dict[str, Any]:
    """What makes the read stage's records what they are, beside the model: the method and its sampling."""
    return {"method": method, "sampling": sampling_for(config).model_dump(mode="json") if method == "sample" else None}


def read_fingerprint(config: EvalConfig, method: str) -> str:
    """The stamp of the read stage's records (see :func:`read_how`)."""
    return fingerprint(config, **read_how(config, method))


def _condition(records: list[dict[str, Any]], grounded: bool) -> list[dict[str, Any]]:
    return [r for r in records if (r["ground_k"] > 0) == grounded]


def score(
    records: list[dict[str, Any]], table: suite.BLSTable, options: NblsOptions, method: str, n_boot: int = 1000, seed: int = 0
) -> tuple[NblsScores, dict[str, dict[str, pd.DataFrame]]]:
    """The run's scores and the per-occupation frames {condition: {attribute: frame}}; intervals
    from ``n_boot`` bootstrap resamples over occupations drawn with ``seed``."""
    conditions = ["plain"] + (["grounded"] if options.ground else [])
    frames = {c: {a: suite.occupation_frame(_condition(records, c == "grounded"), table, a) for a in options.attributes} for c in conditions}
    frames = {c: {a: f for a, f in by.items() if len(f)} for c, by in frames.items()}
    for by in frames.values():
        if "gender" in by:
            by["gender"] = by["gender"].dropna(subset=["model_women"])

    def block(by: dict[str, pd.DataFrame]) -> dict[str, Any]:
        out: dict[str, Any] = {a: metrics.score_table(f, a, n_boot=n_boot, seed=seed) for a, f in by.items()}
        out.setdefault("gender", None)
        out.setdefault("race", None)
        return out

    plain = block(frames["plain"])
    if "gender" in frames["plain"]:
        plain["gender"].by_task = {
            task: metrics.task_table(f.dropna(subset=["model_women"]), n_boot=n_boot, seed=seed)
            for task, f in suite.task_frames(_condition(records, False), table, "gender").items()
        }
    grounded = None
    if options.ground:
        grounded = block(frames["grounded"])
        grounded["k"] = options.ground
        # gender changes at the top level (the headline), race changes under "race"
        change: dict[str, Any] = {}
        if "gender" in frames["grounded"]:
            change.update(metrics.paired_changes(frames["plain"]["gender"], frames["grounded"]["gender"], "gender", n_boot=n_boot, seed=seed))
        if "race" in frames["grounded"]:
            change["race"] = metrics.paired_changes(frames["plain"]["race"], frames["grounded"]["race"], "race", n_boot=n_boot, seed=seed)
        grounded["paired_change"] = change
    gender_frame = frames["plain"].get("gender")
    scores = NblsScores.model_validate({
        "schema_version": SCHEMA_VERSION,
        "suite": "nbls",
        "method": method,
        "bls": {"source": Path(table.source).name, "layout": table.layout, "year": table.year},
        "n_occupations": int(len(gender_frame)) if gender_frame is not None else 0,
        "n_items": len(records),
        "suppressed": table.suppressed,
        "gender": plain["gender"],
        "race": plain["race"],
        "grounded": grounded,
    })  # fmt: skip
    return scores, frames


def occupation_table(frames: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """One row per occupation, columns prefixed by condition (and ``race_`` for race)."""
    merged: pd.DataFrame | None = None
    for condition, by in frames.items():
        for attribute, frame in by.items():
            part = frame.drop(columns=["n_items"]).copy()
            if attribute == "gender":
                part["gap"] = part["model_women"] - part["bls_women"]
            else:
                groups = suite.RACE_GROUPS
                part["jsd"] = metrics.jensen_shannon(part[[f"model_{g}" for g in groups]].to_numpy(), part[[f"bls_{g}" for g in groups]].to_numpy())
                part = part.rename(columns={c: f"race_{c}" for c in part.columns if c != "occupation"})
            keep_bls = condition == "plain"
            part = part[[c for c in part.columns if keep_bls or "bls_" not in c]]
            part = part.rename(columns={c: f"{condition}_{c}" for c in part.columns if c != "occupation" and "bls_" not in c})
            merged = part if merged is None else merged.merge(part, on="occupation", how="outer")
    assert merged is not None
    return merged.round(3)


def run(
    config: EvalConfig,
    quiet: bool = False,
    options: NblsOptions | None = None,
    engine: Engine | None = None,
    engine_loader: Callable[[], Engine] | None = None,
) -> dict[str, Any]:
    """Run the NBLS evaluation ``config`` describes; returns a summary with the headline figures.

    ``options`` overrides the suite options read from ``config``; ``engine`` (already loaded, left
    open) replaces loading ``config``'s model, for notebooks and tests that hold one;
    ``engine_loader`` loads another engine on first need (the debiased condition's).
    """
    options = options or NblsOptions.from_config(config)
    method = options.resolved_method(config)
    table = suite.load_table(options.bls)
    occupations = suite.select_occupations(table, options.occupations, config.limit)
    items = suite.build_items(occupations, options.attributes, options.tasks, options.shots)
    if options.ground:
        facts = suite.grounding_messages(table, occupations, options.ground, options.attributes, seed=config.seed)
        items += suite.build_items(occupations, options.attributes, options.tasks, options.shots, facts, options.ground)
    stamps = {STAGE[method]: read_how(config, method)}
    run_dir, manifest = open_run(config, [Path(table.source), suite.templates_path()], stamps=stamps)
    nbls_meta = {**asdict(options), "method": method, "bls": table.source, "bls_layout": table.layout, "bls_year": table.year}
    manifest = manifest.model_copy(update={"nbls": nbls_meta})
    if method == "sample":
        manifest = manifest.model_copy(update={"sampling": sampling_for(config).model_dump(mode="json")})
    run_dir.write_manifest(manifest)
    lazy = LazyEngine(config.engine_config(), engine_loader, None if engine_loader else local_engine(config))
    try:
        records, counts = read_items(run_dir, engine or lazy, items, method, config, quiet)
        scores, frames = score(records, table, options, method, n_boot=config.bootstrap, seed=config.seed)
        write_json_atomic(run_dir.file(SCORES), scores.as_dict())
        write_member(run_dir.file(OCCUPATIONS), occupation_table(frames).to_csv(index=False).encode("utf-8"))
        if "gender" in frames["plain"]:
            panels = {c: by["gender"] for c, by in frames.items() if "gender" in by}
            plot_shares(panels, run_dir.file("nbls_gender.png"), f"{config.model}: share of women by occupation vs BLS {table.year}")
        manifest = manifest.model_copy(
            update={
                **_engine_record(manifest, engine.info() if engine else lazy.info() if lazy.loaded or manifest.engine is None else None),
                "counts": {"items": len(items), "occupations": len(occupations), STAGE[method].removesuffix(".jsonl"): counts},
            }
        )
    except BaseException as exc:
        close_failed(run_dir, manifest, exc, {"items": len(items), "occupations": len(occupations)})
        raise
    finally:
        lazy.close()
    run_dir.write_manifest(manifest.model_copy(update={"status": "complete", "finished_at": now_iso()}))
    return {"run_dir": str(run_dir.path), "items": len(items), **counts, **headline(scores.as_dict())}


def headline(scores: dict[str, Any]) -> dict[str, Any]:
    """The figures the CLI prints: gender gaps (absolute and signed), correlation and "neither" share,
    race JSD, and the grounded change."""
    out: dict[str, Any] = {"method": scores["method"], "occupations": scores["n_occupations"]}
    for name, block in (("plain", scores), ("grounded", scores["grounded"])):
        if not block:
            continue
        if block.get("gender"):
            for key in ("mean_abs_gap", "signed_gap", "pearson", "neither_share"):
                if key in block["gender"]:
                    out[f"{name}_{key}"] = block["gender"][key]
        if block.get("race"):
            out[f"{name}_race_jsd"] = block["race"]["jsd"]
    if scores["grounded"]:
        change = scores["grounded"]["paired_change"]
        if "mean_abs_gap" in change:
            out["grounded_change_mean_abs_gap"] = change["mean_abs_gap"]
    return out

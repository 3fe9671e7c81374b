"""The generation stage every suite shares: open the run directory, load the engine, produce the
missing responses in batches, keep the manifest current. Suite flows (``biaskit.flows``) build on it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from tqdm.auto import tqdm

from biaskit.config import NOT_IDENTITY, EvalConfig, with_defaults
from biaskit.engines import Engine, SamplingParams, load_engine
from biaskit.errors import ConfigError
from biaskit.results.manifest import Manifest, file_sha256, invocation
from biaskit.results.store import RESPONSES, RunDir, StageCounts, now_iso
from biaskit.suites._types import PromptItem


def open_run(config: EvalConfig, data_files: Sequence[Path]) -> tuple[RunDir, Manifest]:
    """Create or reopen ``results/<run_id>``; a reopened run must have been made with the same options."""
    run = RunDir(Path(config.results_dir) / config.resolved_run_id())
    resolved = config.model_dump(mode="json")
    previous = run.read_manifest()
    if previous is not None:
        ignore = NOT_IDENTITY
        old = {k: v for k, v in with_defaults(previous.config).items() if k not in ignore}
        new = {k: v for k, v in resolved.items() if k not in ignore}
        if old != new:
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise ConfigError(
                f"{run.path} holds a run made with different options ({', '.join(changed)}); "
                "choose another --run-id or remove that folder"
            )
        manifest = previous.model_copy(update={"status": "running", "finished_at": None, "config": resolved,
                                               "invocations": previous.reopened(now_iso())})  # fmt: skip
    else:
        started = now_iso()
        manifest = Manifest(
            run_id=config.resolved_run_id(),
            invocations=[invocation(started)],
            suite=config.suite,
            condition=config.condition,
            started_at=started,
            config=resolved,
            sampling=config.sampling().model_dump(mode="json"),
            prompt_hashes={_short(p): file_sha256(p) for p in data_files},
        )
    return run, manifest


def _short(path: Path) -> str:
    """A data file's name relative to its data folder, for readable manifests."""
    parts = path.parts
    for anchor in ("clear-bias", "nbls"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) :])
    return path.name


def response_key(item_id: str, sample: int) -> str:
    return f"{item_id}#{sample}"


def generate_responses(
    run: RunDir,
    engine: Engine,
    items: Sequence[PromptItem],
    sampling: SamplingParams,
    batch_size: int,
    quiet: bool = False,
    desc: str = "generate",
) -> StageCounts:
    """Append the responses of ``items`` that are not on disk yet (``sampling.n`` per item)."""

    def keys(item: PromptItem) -> list[str]:
        return [response_key(item.id, k) for k in range(sampling.n)]

    def work(batch: Sequence[PromptItem]) -> list[dict[str, Any]]:
        outputs = engine.generate([item.request() for item in batch], sampling)
        records = []
        for item, completions in zip(batch, outputs):
            for sample, completion in enumerate(completions):
                records.append(
                    {
                        "key": response_key(item.id, sample),
                        "item_id": item.id,
                        "sample": sample,
                        "response": completion.text,
                        "n_tokens": completion.n_tokens,
                        "finish_reason": completion.finish_reason,
                        **item.meta(),
                        "id": item.id,
                    }
                )
        return records

    with tqdm(total=len(items) * sampling.n, desc=desc, unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(RESPONSES, items, keys, work, batch_size, progress=bar.update)


@contextmanager
def engine_session(config: EvalConfig) -> Iterator[Engine]:
    """Load the evaluated model and release it afterwards (before a local judge loads)."""
    engine = load_engine(config.engine_config())
    try:
        yield engine
    finally:
        engine.close()

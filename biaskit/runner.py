"""The generation stage every suite shares: open the run directory, load the engine, produce the
missing responses in batches, keep the manifest current. Suite flows (``biaskit.flows``) build on it.

Every response record is stamped with a ``fingerprint`` of what made it (the model and the
generation options), so a resumed run refuses answers made another way even when its manifest.json
is gone. A run that stops records why: ``failed`` (with the error), ``incomplete`` (answers still
missing after every retry, and how many) or ``interrupted``; an invocation that fails before any
work leaves no run folder behind.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from tqdm.auto import tqdm

from biaskit._secrets import mask_secrets
from biaskit.config import EvalConfig, identity_options, with_defaults
from biaskit.engines import Engine, EngineInfo, SamplingParams, load_engine, resolve_backend, stream_answers
from biaskit.engines.models import check_model
from biaskit.errors import BiaskitError, ConfigError, IncompleteStage, shorten
from biaskit.fingerprint import check_stage, engine_identity, fingerprint, local_engine, recorded_engine
from biaskit.results.folder import check_run_id
from biaskit.results.manifest import Manifest, file_sha256, invocation
from biaskit.results.store import HISTORY, MANIFEST, RESPONSES, RunDir, StageCounts, now_iso
from biaskit.suites._types import PromptItem

__all__ = ["close_failed", "engine_session", "fingerprint", "generate_responses", "open_run", "response_key"]


def open_run(config: EvalConfig, data_files: Sequence[Path], stamps: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[RunDir, Manifest]:
    """Create or reopen ``results/<run_id>``; a reopened run must have been made with the same options.

    Errors in the options or the model reference are raised before any folder is made. ``stamps``
    maps stage files to how this run makes their records (the ``how`` of :func:`fingerprint`): a
    record on disk made under another fingerprint (another engine too) is refused, whether or not
    the manifest survived.
    """
    sampling = config.sampling()
    if resolve_backend(config.backend) != "openai":  # a served model is checked by asking its server
        check_model(config.model)
    run = RunDir(Path(config.results_dir) / check_run_id(config.resolved_run_id()))
    run.acquire()  # a second process on this run stops here, before any work
    try:
        return _opened(run, config, data_files, stamps, sampling)
    except BaseException:
        run.lock.release()
        raise


def _opened(run: RunDir, config: EvalConfig, data_files: Sequence[Path], stamps: Mapping[str, Mapping[str, Any]] | None,
            sampling: SamplingParams) -> tuple[RunDir, Manifest]:  # fmt: skip
    previous = run.read_manifest()
    for stage, how in (stamps or {}).items():
        check_stage(run, config, stage, how, previous)
    resolved = config.model_dump(mode="json")
    if previous is not None:
        old = engine_identity(identity_options(with_defaults(previous.config)), recorded_engine(previous))
        new = engine_identity(identity_options(resolved), local_engine(config) if recorded_engine(previous) else None)
        if old != new:
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise ConfigError(
                f"{run.path} holds a run made with different options ({', '.join(changed)}); choose another --run-id or remove that folder"
            )
        reopened = {k: v for k, v in previous.model_dump().items() if k not in ("error", "missing")}
        manifest = Manifest.model_validate({**reopened, "status": "running", "finished_at": None, "config": resolved,
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
            sampling=sampling.model_dump(mode="json"),
            prompt_hashes={_short(p): file_sha256(p) for p in data_files},
        )
        if run.holds_records():
            manifest = _rebuilt(run, manifest, started)
    return run, manifest


def _rebuilt(run: RunDir, manifest: Manifest, started: str) -> Manifest:
    """The manifest of a run folder whose manifest.json is gone but whose stage files are there:
    the invocations, engine and start time come back from history.jsonl; what cannot come back is
    named in ``rebuilt`` and on stderr."""
    history = run.read_history()
    note: dict[str, Any] = {"at": started, "reason": f"{MANIFEST} was missing"}
    if history is None:
        note["from"] = None
        note["lost"] = ["earlier invocations", "start time", "engine backend version and dtype of the stored records"]
        print(f"biaskit: warning: {run.file(MANIFEST)} was missing and there is no {HISTORY} to rebuild it from: the "
              "stored records are checked by their fingerprints and kept, but the earlier invocations, start time and "
              "engine version of this run are not known (recorded as lost in the new manifest)", file=sys.stderr)  # fmt: skip
        return manifest.model_copy(update={"rebuilt": note})
    old, new = identity_options(with_defaults(history.get("config") or {})), identity_options(manifest.config)
    if history.get("config") and old != new:
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ConfigError(f"{run.path} holds a run made with different options ({', '.join(changed)}, from its {HISTORY}); "
                          "choose another --run-id or remove that folder")  # fmt: skip
    earlier = history.get("invocations") or []
    engine = history.get("engine")
    note["from"] = HISTORY
    note["lost"] = [] if engine else ["engine backend version and dtype of the stored records"]
    print(f"biaskit: warning: {run.file(MANIFEST)} was missing; rebuilt from {HISTORY} ({len(earlier)} earlier "
          f"invocation(s){', engine ' + engine.get('backend', '?') + ' ' + engine.get('backend_version', '?') if engine else ''})",
          file=sys.stderr)  # fmt: skip
    update: dict[str, Any] = {"invocations": [*earlier, *manifest.invocations], "rebuilt": note,
                              "started_at": history.get("started_at") or manifest.started_at}  # fmt: skip
    if engine:
        update["engine"] = EngineInfo.model_validate(engine)
    return manifest.model_copy(update=update)


def _short(path: Path) -> str:
    """A data file's name relative to its data folder, for readable manifests."""
    parts = path.parts
    for anchor in ("clear-bias", "nbls"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) :])
    return path.name


def close_failed(run: RunDir, manifest: Manifest, exc: BaseException, counts: dict[str, Any]) -> None:
    """Record why a run stopped: ``interrupted`` (Ctrl-C), ``incomplete`` (records still missing
    after every retry; ``counts`` and ``missing`` say how many) or ``failed``, with the error. A folder
    this invocation created and wrote nothing to is removed instead: there is nothing to resume."""
    if run.discard_if_unused():
        return
    update: dict[str, Any] = {"status": "failed", "counts": counts, "finished_at": now_iso()}
    if isinstance(exc, KeyboardInterrupt):
        update["status"] = "interrupted"
    else:
        update["error"] = shorten(mask_secrets(str(exc)) or type(exc).__name__, 1000, quote=False)
    if isinstance(exc, IncompleteStage):
        stage = exc.stage.removesuffix(".jsonl")
        before = counts.get(stage, {})
        counts[stage] = {k: before.get(k, 0) + exc.counts.get(k, 0) for k in set(before) | set(exc.counts)}
        update.update(status="incomplete", missing=exc.counts.get("missing", 0))
    try:
        run.write_manifest(manifest.model_copy(update=update))
    except BiaskitError as error:  # a full disk, say: truncating the old manifest frees the room for the new one
        try:
            run.write_manifest(manifest.model_copy(update=update), in_place=True)
        except BiaskitError:
            print(f"biaskit: warning: {error}; the run's manifest could not record that it stopped", file=sys.stderr)
        run.lock.release()


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
    fingerprint: str | None = None,
) -> StageCounts:
    """Append the responses of ``items`` that are not on disk yet (``sampling.n`` per item).

    Each answer is written as soon as the engine has it; ``fingerprint`` is stamped on each record."""

    def keys(item: PromptItem) -> list[str]:
        return [response_key(item.id, k) for k in range(sampling.n)]

    def work(batch: Sequence[PromptItem]) -> Iterator[dict[str, Any]]:
        _load_outside_the_bar(engine, bar)
        for index, completions in stream_answers(engine, [item.request() for item in batch], sampling):
            item = batch[index]
            for sample, completion in enumerate(completions):
                yield {
                    "key": response_key(item.id, sample),
                    "item_id": item.id,
                    "sample": sample,
                    "response": completion.text,
                    "n_tokens": completion.n_tokens,
                    "finish_reason": completion.finish_reason,
                    **item.meta(),
                    "id": item.id,
                }

    with tqdm(total=len(items) * sampling.n, desc=desc, unit="resp", disable=quiet, dynamic_ncols=True) as bar:
        return run.run_stage(RESPONSES, items, keys, work, batch_size, progress=bar.update, fingerprint=fingerprint)


def _load_outside_the_bar(engine: Engine, bar: tqdm) -> None:
    """Load a lazily loaded engine before its first answer and restart the bar's clock, so that the
    bar's rate and time left measure answering, not the model load."""
    if getattr(engine, "loaded", True):
        return
    bar.set_postfix_str("loading the model", refresh=True)
    _ = cast(Any, engine).engine  # the first access loads the model (lazily loaded engines only)
    done = bar.n
    bar.reset()
    bar.update(done)
    bar.set_postfix_str("")


@contextmanager
def engine_session(config: EvalConfig) -> Iterator[Engine]:
    """Load the evaluated model and release it afterwards (before a local judge loads)."""
    engine = load_engine(config.engine_config())
    try:
        yield engine
    finally:
        engine.close()

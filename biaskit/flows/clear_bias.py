"""``biaskit eval --suite clear-bias``: base phase, then (with --phase adversarial|all) the attacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from biaskit.config import EvalConfig
from biaskit.flows._lazy import LazyEngine
from biaskit.results.store import now_iso
from biaskit.runner import generate_responses, open_run
from biaskit.suites import clear_bias as suite


def run(config: EvalConfig, quiet: bool = False) -> dict[str, Any]:
    """Run the CLEAR-Bias evaluation ``config`` describes; returns a summary for the CLI."""
    root = Path(config.data) if config.data else None
    items = suite.load_prompts(root, tasks=config.tasks, categories=config.categories or None)
    if config.limit:
        items = items[: config.limit]
    run_dir, manifest = open_run(config, suite.data_files(root, tasks=config.tasks))
    run_dir.write_manifest(manifest)
    engine = LazyEngine(config.engine_config())
    try:
        counts = generate_responses(run_dir, engine, items, config.sampling(), config.batch_size, quiet=quiet)
        manifest = manifest.model_copy(
            update={
                "engine": engine.info() if engine.loaded or manifest.engine is None else manifest.engine,
                "counts": {"items": len(items), "responses": counts.as_dict()},
                "reused": counts.reused,
                "generated": counts.generated,
            }
        )
    except BaseException:
        run_dir.write_manifest(manifest.model_copy(update={"status": "failed"}))
        raise
    finally:
        engine.close()
    manifest = manifest.model_copy(update={"status": "complete", "finished_at": now_iso()})
    run_dir.write_manifest(manifest)
    return {"run_dir": str(run_dir.path), "items": len(items), **counts.as_dict()}

"""Reopening run directories: same options resume, changed options are refused."""

from __future__ import annotations

import json

import pytest

from biaskit.config import EvalConfig
from biaskit.errors import ConfigError
from biaskit.results.store import RunDir
from biaskit.runner import open_run


def test_a_run_made_before_newer_options_existed_reopens_by_run_id(tmp_path) -> None:
    config = EvalConfig(model="smollm2-135m", results_dir=str(tmp_path), run_id="old-run", limit=4)
    run, manifest = open_run(config, [])
    run.write_manifest(manifest)
    stored = json.loads((run.path / "manifest.json").read_text())
    for newer in ("nbls_tasks", "nbls_shots", "bls", "debias"):  # options an older biaskit did not know
        stored["config"].pop(newer)
    (run.path / "manifest.json").write_text(json.dumps(stored))
    again, reopened = open_run(config, [])
    assert again.path == run.path
    assert len(reopened.invocations) == 2 and reopened.invocations[0] == manifest.invocations[0]
    with pytest.raises(ConfigError, match="different options \\(limit\\)"):
        open_run(config.model_copy(update={"limit": 5}), [])
    with pytest.raises(ConfigError, match="nbls_tasks"):
        open_run(config.model_copy(update={"nbls_tasks": ("sc",)}), [])
    assert RunDir(run.path).read_manifest() is not None

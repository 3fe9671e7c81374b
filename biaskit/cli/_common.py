"""Options shared by several subcommands, and turning parsed options into config records."""

from __future__ import annotations

import argparse
from typing import Any

from biaskit.config import build_config, read_config_file


def add_engine_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """--model, --backend and friends. With ``prefix`` ("judge-") they configure a second model."""
    dest = prefix.replace("-", "_")
    group = parser.add_argument_group(f"{prefix or 'model '}engine")
    group.add_argument(f"--{prefix}model", dest=f"{dest}model", help="alias (see `biaskit models`), local path or hub id")
    group.add_argument(f"--{prefix}revision", dest=f"{dest}revision", help="hub revision (branch, tag or commit)")
    group.add_argument(f"--{prefix}backend", dest=f"{dest}backend", help="auto (vllm if installed, else hf), vllm, hf or openai")
    group.add_argument(f"--{prefix}dtype", dest=f"{dest}dtype", help="auto, float32, float16 or bfloat16")
    group.add_argument(f"--{prefix}batch-size", dest=f"{dest}batch_size", type=int, help="prompts per engine call (hf)")
    group.add_argument(f"--{prefix}tensor-parallel-size", dest=f"{dest}tensor_parallel_size", type=int, help="vllm: GPUs per replica")
    group.add_argument(f"--{prefix}data-parallel-size", dest=f"{dest}data_parallel_size", type=int, help="vllm: replicas")
    group.add_argument(f"--{prefix}base-url", dest=f"{dest}base_url", help="openai: server URL, e.g. http://127.0.0.1:8000/v1")
    group.add_argument(f"--{prefix}api-key-env", dest=f"{dest}api_key_env", help="openai: environment variable holding the key")
    group.add_argument(f"--{prefix}concurrency", dest=f"{dest}concurrency", type=int, help="openai: requests in flight")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML/JSON file of options (a run's manifest.json also works)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def config_from_args(model: type, args: argparse.Namespace, fields: dict[str, str] | None = None) -> Any:
    """Build ``model`` from --config plus the options given on the command line."""
    file_values = read_config_file(args.config) if getattr(args, "config", None) else {}
    names = set(model.model_fields)
    cli = {name: getattr(args, name) for name in names if hasattr(args, name)}
    for field, attr in (fields or {}).items():
        cli[field] = getattr(args, attr, None)
    return build_config(model, file_values, cli, source=str(args.config) if getattr(args, "config", None) else "")


def not_built(name: str, issue: str) -> int:
    import sys

    print(f"biaskit: {name} is not built yet ({issue})", file=sys.stderr)
    return 3


def silence_libraries() -> None:
    """--quiet: no progress bars or info logs from transformers, datasets or vLLM either."""
    import logging
    import os

    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    logging.getLogger("vllm").setLevel(logging.WARNING)

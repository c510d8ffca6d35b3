"""How many webhook calls can `kflow server` take? Prints a Markdown table for RESULTS.md.

    .venv/bin/python benchmarks/bench_webhooks.py [--runs 3] [--calls 500] [--clients 16]
                                                  [--workers 4]

Each run starts a fresh `kflow server` process (fresh state directory) serving one flow with a
Webhook trigger and one Return task, then --clients threads, each with its own keep-alive
connection, send --calls POST calls in all. It measures:
  - accepted: calls answered 200 per second (from the first call to the last answer);
  - completed: executions ended SUCCESS per second (from the first call until the state
    database holds every one of them ended);
and prints the medians of --runs runs, with the latency of the calls (median and p95).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

FLOW = """id: bench
namespace: bench.webhooks
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.n }}"
outputs:
  - id: n
    type: STRING
    value: "{{ outputs.echo.value }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: bench-key
"""


def start_server(root: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """A `kflow server` process on a free port, and its base URL."""
    flows = root / "flows"
    flows.mkdir()
    (flows / "bench.yml").write_text(FLOW, encoding="utf-8")
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kflow",
            "server",
            "--port",
            "0",
            "--workers",
            str(workers),
            "--flows-dir",
            str(flows),
            "--state-dir",
            str(root / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}; see {root / 'server.log'}")
    return process, line.split("listening on ")[1].split()[0]


def ended_count(state: Path) -> int:
    """How many executions of the state database ended SUCCESS."""
    with sqlite3.connect(state / "state.db", timeout=30) as db:
        return int(
            db.execute("SELECT COUNT(*) FROM executions WHERE state = 'SUCCESS'").fetchone()[0]
        )


def one_run(calls: int, clients: int, workers: int) -> tuple[float, float, list[float]]:
    """(accepted per second, completed per second, call latencies in ms) of one fresh server."""
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        process, url = start_server(root, workers)
        hook = f"{url}/api/v1/executions/webhook/bench.webhooks/bench/bench-key"
        local = threading.local()
        latencies: list[float] = []

        def call(number: int) -> None:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(timeout=60)
            began = time.perf_counter()
            response = client.post(hook, json={"n": number})
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"call {number}: HTTP {response.status_code}")

        try:
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(call, range(calls)))
            accepted = time.perf_counter() - began
            while ended_count(root / "state") < calls:
                time.sleep(0.02)
            completed = time.perf_counter() - began
        finally:
            process.terminate()
            process.wait(30)
    return calls / accepted, calls / completed, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    accepted, completed, latencies = [], [], []
    for _ in range(args.runs):
        rate_in, rate_done, lat = one_run(args.calls, args.clients, args.workers)
        accepted.append(rate_in)
        completed.append(rate_done)
        latencies.append(lat)
    median_latency = statistics.median(statistics.median(lat) for lat in latencies)
    p95 = statistics.median(statistics.quantiles(lat, n=20)[-1] for lat in latencies)
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"{args.calls} calls from {args.clients} clients, server with {args.workers} workers, "
        f"median of {args.runs} runs\n"
    )
    print("| accepted (calls/s) | completed (executions/s) | call latency median | p95 |")
    print("| ---: | ---: | ---: | ---: |")
    print(
        f"| {statistics.median(accepted):,.0f} | {statistics.median(completed):,.0f} | "
        f"{median_latency:.1f} ms | {p95:.1f} ms |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast is the bundled runner? Prints a Markdown table for benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_runner.py [--runs 3] [--chain 1000] [--values 10000]

Measures, each as a fresh `kflow run FLOW --output json` process (median of --runs runs, wall
time and the peak RSS of that process):
  (a) a chain of --chain Return tasks, each reading the previous task's output;
  (b) a ForEach over --values values with concurrencyLimit 8, one Return per value;
and, in-process, where the time of (a) goes: imports, compiling the flow, running it.
A comparison with `airflow dags test` and a Prefect run needs those engines: the lines say so
when they are not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RETURN = "io.kestra.plugin.core.debug.Return"


def chain_flow(count: int) -> str:
    """A flow of `count` Return tasks, each formatting the previous one's output."""
    lines = ["id: chain", "namespace: bench.runner", "tasks:"]
    lines += ["  - id: t0", f"    type: {RETURN}", "    format: '0'"]
    for index in range(1, count):
        lines += [
            f"  - id: t{index}",
            f"    type: {RETURN}",
            f'    format: "{{{{ outputs.t{index - 1}.value }}}}+"',
        ]
    return "\n".join(lines) + "\n"


def foreach_flow(values: int, limit: int) -> str:
    """A ForEach over `values` values, `limit` at once, with one Return per value."""
    return f"""id: foreach
namespace: bench.runner
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(1, {values}) }}}}"
    concurrencyLimit: {limit}
    tasks:
      - id: child
        type: {RETURN}
        format: "item {{{{ taskrun.value }}}}"
"""


def kflow_run() -> list[str]:
    """The command that runs a flow: `kflow run` when the CLI has it, else the runner's module."""
    script = Path(sys.executable).parent / "kflow"
    probe = subprocess.run(
        [str(script), "run", "--help"] if script.exists() else [sys.executable, "-c", "1/0"],
        capture_output=True,
        check=False,
    )
    if probe.returncode == 0:
        return [str(script), "run"]
    return [sys.executable, "-m", "kflow.runner_cli", "run"]


def timed_run(command: list[str], flow: Path, state: Path) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak RSS in MB, report) of one `kflow run` process on a fresh state."""
    shutil.rmtree(state, ignore_errors=True)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, str(flow), "--output", "json", "--state-dir", str(state)],
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"kflow run {flow} failed ({process.returncode}):\n{err.read()!r}")
        report = json.loads(out.read())
    return elapsed, usage.ru_maxrss / 1024, report


def measure(command: list[str], flow: Path, state: Path, runs: int) -> tuple[float, float, int]:
    """(median wall s, max peak RSS MB, task runs) over `runs` runs."""
    walls, peaks = [], []
    count = 0
    for _ in range(runs):
        wall, rss, report = timed_run(command, flow, state)
        assert report["state"] == "SUCCESS", report["state"]
        walls.append(wall)
        peaks.append(rss)
        count = len(report["taskRuns"])
    return statistics.median(walls), max(peaks), count


def phases(flow: Path, state: Path) -> tuple[float, float, float]:
    """(imports, compile, run) seconds of the chain, measured in a fresh interpreter."""
    code = f"""
import time, json
t0 = time.perf_counter()
from kflow.runner_cli import load_flow
from kflow.runtime_shims.engine import Engine
from kflow.runtime_shims.state import StateStore
from kflow.runtime_shims.storage import LocalStorage
t1 = time.perf_counter()
loaded = load_flow({str(flow)!r})
t2 = time.perf_counter()
store = StateStore({str(state)!r})
engine = Engine(store, LocalStorage({str(state / "storage")!r}))
record = engine.execute(loaded, {{}})
t3 = time.perf_counter()
assert record.state == "SUCCESS", record.state
print(json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""
    shutil.rmtree(state, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imports, compile_, run = json.loads(done.stdout)
    return imports, compile_, run


def main() -> None:
    """Run the measures and print the machine and a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chain", type=int, default=1000)
    parser.add_argument("--values", type=int, default=10000)
    args = parser.parse_args()

    command = kflow_run()
    with tempfile.TemporaryDirectory(prefix="kflow-bench-") as scratch:
        root = Path(scratch)
        chain = root / "chain.yml"
        chain.write_text(chain_flow(args.chain), encoding="utf-8")
        foreach = root / "foreach.yml"
        foreach.write_text(foreach_flow(args.values, 8), encoding="utf-8")
        state = root / "state"

        chain_wall, chain_rss, chain_runs = measure(command, chain, state, args.runs)
        each_wall, each_rss, each_runs = measure(command, foreach, state, args.runs)
        imports, compile_, run = phases(chain, state)

    print(
        f"Machine: {platform.platform()}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()} ({platform.python_implementation()})."
    )
    print(f"Command: {' '.join(Path(c).name for c in command)}\n")
    print("| Measure | Result |")
    print("| --- | --- |")
    print(
        f"| `kflow run`, chain of {args.chain} Return tasks ({chain_runs} task runs), wall "
        f"(median of {args.runs}) | {chain_wall:.2f} s (peak RSS {chain_rss:.0f} MB) |"
    )
    print(
        f"| the same, in-process: imports / compile / run | {imports:.2f} s / {compile_:.2f} s / "
        f"{run:.2f} s ({run / args.chain * 1e6:.0f} µs per task run) |"
    )
    print(
        f"| `kflow run`, ForEach over {args.values} values, concurrencyLimit 8 ({each_runs} task "
        f"runs), wall (median of {args.runs}) | {each_wall:.2f} s, peak RSS {each_rss:.0f} MB |"
    )
    for engine, probe in (("Airflow (`airflow dags test`)", "airflow"), ("Prefect", "prefect")):
        if shutil.which(probe) is None:
            print(f"| 2-task flow against {engine} | not measured: {probe} is not installed |")


if __name__ == "__main__":
    main()

"""One flow, three engines: the wall time of `kflow run` on the bundled runner, on Airflow
(`--engine airflow`) and on Prefect (`--engine prefect`). Prints a Markdown table with ratios.

    .venv/bin/python benchmarks/bench_engines.py [--runs 3] [--flow FILE]

Each engine runs in the environment the engine tests build (`.engines/airflow-3.3.2`,
`.engines/prefect-3.8.8`, kflow installed in both); run the engine tests once first, or this
script builds them. The times are whole commands, as a user runs them: for Airflow and Prefect
most of it is their start-up (a fresh metadata database, an ephemeral API server), not the flow.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_FLOW = REPO / "golden" / "parallel-branches" / "flow.yml"


def environments() -> dict[str, Path]:
    """The `kflow` command of each engine's environment (built if needed)."""
    from tests.engines import airflow_env, prefect_env

    airflow_python, _ = airflow_env.ensure_venv()
    prefect_python, _ = prefect_env.ensure_venv()
    return {
        "runner": REPO / ".venv" / "bin" / "kflow",
        "airflow": airflow_python.parent / "kflow",
        "prefect": prefect_python.parent / "kflow",
    }


def wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "KFLOW_HOME": home}
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, env=env, cwd=home)  # FAILED is fine
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flow", type=Path, default=DEFAULT_FLOW)
    args = parser.parse_args()
    kflow = environments()
    print(
        f"Machine: {platform.platform()}; {os.cpu_count()} CPUs; Python {platform.python_version()}"
    )
    print(f"Flow: {args.flow.relative_to(REPO)}; median of {args.runs} runs")
    print()
    print("| Engine | `kflow run` wall time | ratio to the runner |")
    print("| --- | ---: | ---: |")
    base = None
    for engine, command in kflow.items():
        argv = [str(command), "run", str(args.flow.resolve()), "--output", "json"]
        if engine != "runner":
            argv += ["--engine", engine]
        seconds = wall(argv, args.runs)
        base = base or seconds
        print(f"| {engine} | {seconds:.2f} s | {seconds / base:.0f}x |")


if __name__ == "__main__":
    main()

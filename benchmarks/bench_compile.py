"""How fast is `kflow compile`? Prints a Markdown table for benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_compile.py [--rounds 5] [--runs 11] [--target airflow]

Measures, for each target given (default: ir and airflow, side by side in one run):
  (a) in-process compile throughput over the Kestra 0.21 conformance `valids/` (check, lower and
      emit, black included; nothing written): flows/s, median of --rounds rounds after a warm-up;
  (b) the cold wall time of `kflow compile FLOW --target T --out DIR` as a subprocess (median of
      --runs runs), for the seed's etl-pipeline.
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
SHARED = Path(os.environ.get("KFLOW_SHARED") or REPO.parent / "shared").resolve()
VALIDS = SHARED / "conformance" / "kestra-0.21" / "valids"
FLOW = SHARED / "examples" / "seed" / "11-etl-pipeline.yml"


def throughput(target: str, rounds: int) -> tuple[float, int, int]:
    """(flows/s, files compiled, files refused by the target) of check + lower + emit."""
    from kflow.compiler.api import check_file, emitter, find_flow_files
    from kflow.compiler.lower import lower

    emit = emitter(target)
    files = find_flow_files([str(VALIDS)])

    def one_round() -> tuple[int, int]:
        done = refused = 0
        for path in files:
            checked = check_file(path)
            if not checked.ok:
                continue
            if emit(lower(checked)).files:
                done += 1
            else:
                refused += 1
        return done, refused

    one_round()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        done, refused = one_round()
        times.append(time.perf_counter() - start)
    return len(files) / statistics.median(times), done, refused


def cold(target: str, runs: int) -> float:
    """Median seconds of `kflow compile FLOW` in a fresh process."""
    kflow = Path(sys.executable).parent / "kflow"
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [str(kflow), "compile", str(FLOW), "--target", target, "--out", out],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--target", action="append", help="a target (repeat); default ir, airflow")
    args = parser.parse_args()
    targets = args.target or ["ir", "airflow"]
    print(
        f"Machine: {platform.platform()}; {os.cpu_count()} CPUs; Python {platform.python_version()}"
    )
    print()
    print("| Target | compile in-process, conformance valids (median) | cold compile, etl |")
    print("| --- | --- | --- |")
    for target in targets:
        rate, done, refused = throughput(target, args.rounds)
        seconds = cold(target, args.runs)
        print(
            f"| {target} | {rate:,.0f} flows/s ({done} compiled, {refused} refused by the target) "
            f"| {seconds * 1000:,.0f} ms |"
        )


if __name__ == "__main__":
    main()

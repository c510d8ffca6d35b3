"""How fast is `kflow validate`? Prints a Markdown table for benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_validate.py [--rounds 7] [--runs 15] [--flow FILE]

Measures
  (a) in-process throughput of `validate_paths` over the Kestra 0.21 conformance corpus
      (`valids/` + `invalids/`), in flows/s: median of --rounds rounds after one warm-up round;
  (b) the cold wall time of `kflow validate FLOW` as a subprocess (median of --runs runs);
  (c) the cold wall time of `kflow --help` (median of --runs runs).
The corpus lives in the shared directory: `<repo>/../shared`, or `$KFLOW_SHARED`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KFLOW_SHARED") or REPO.parent / "shared").resolve()
CORPUS = SHARED / "conformance" / "kestra-0.21"
DEFAULT_FLOW = SHARED / "examples" / "seed" / "01-basic-flow.yml"


def corpus_files() -> list[str]:
    """Every flow file of the conformance corpus, sorted."""
    from kflow.compiler.api import find_flow_files

    return find_flow_files([str(CORPUS / "valids"), str(CORPUS / "invalids")])


def throughput(files: list[str], rounds: int) -> tuple[float, float]:
    """(median seconds per round, flows/s) of in-process validation of `files`."""
    from kflow.compiler.api import validate_paths

    validate_paths(files)  # warm-up: imports, grammar, plugin registry
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        validate_paths(files)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return median, len(files) / median


def kflow_command() -> tuple[list[str], str]:
    """The installed `kflow` console script next to this interpreter, else `python -m kflow`."""
    script = Path(sys.executable).parent / "kflow"
    if script.exists():
        return [str(script)], "kflow (console script)"
    return [sys.executable, "-m", "kflow"], "python -m kflow"


def cold(argv: list[str], runs: int, ok: Callable[[int], bool]) -> float:
    """Median wall time in seconds of running `argv` as a fresh process.

    A first, untimed run writes the bytecode caches, as a user's first run would:
    PYTHONDONTWRITEBYTECODE is dropped from the environment, since a sandbox that sets it would
    otherwise make every run compile every imported module again.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, check=False, env=env)
        if i:
            times.append(time.perf_counter() - start)
        if not ok(done.returncode):
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr.decode()}")
    return statistics.median(times)


def machine() -> str:
    """A one-line description of the machine and interpreter."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1] for line in info if line.startswith("model name")]
        cpu = names[0].strip() if names else cpu
    except OSError:
        pass
    return (
        f"{platform.platform()}; {cpu}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def main() -> int:
    """Run the three measurements and print them as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="in-process rounds (after warm-up)")
    parser.add_argument("--runs", type=int, default=15, help="subprocess runs per cold figure")
    parser.add_argument("--flow", default=str(DEFAULT_FLOW), help="the flow for the cold run")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        parser.error(f"conformance corpus not found at {CORPUS} (set KFLOW_SHARED)")

    files = corpus_files()
    per_round, flows_per_s = throughput(files, args.rounds)
    command, how = kflow_command()
    validate_s = cold([*command, "validate", args.flow], args.runs, lambda rc: rc in (0, 1))
    help_s = cold([*command, "--help"], args.runs, lambda rc: rc == 0)

    flow = os.path.relpath(args.flow, REPO)
    print(f"Machine: {machine()}")
    print(f"Command: {how}")
    print()
    print("| Measure | Result |")
    print("| --- | --- |")
    print(
        f"| validate in-process, {len(files)} conformance flows "
        f"(median of {args.rounds}) | {flows_per_s:,.0f} flows/s ({per_round * 1000:.0f} ms) |"
    )
    print(f"| `kflow validate {flow}`, cold (median of {args.runs}) | {validate_s * 1000:.0f} ms |")
    print(f"| `kflow --help`, cold (median of {args.runs}) | {help_s * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

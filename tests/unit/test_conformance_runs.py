"""Kestra's own test flows, run by the bundled runner, give what Kestra gives.

Provenance: the flows are Kestra 0.21's test flows (`conformance/kestra-0.21/valids` in the shared
corpus, Apache-2.0, see its LICENSE). The expectations in `tests/conformance_runs.yaml` are facts
that Kestra's own Java test suite asserts about those flows (final state, number of task runs, the
state of named task runs, attempts, outputs), each entry naming the test it comes from; where no
Kestra test asserts a fact, the entry says "derived" and the fact follows from Kestra's documented
semantics. No Kestra code is copied.

Each case runs
`kflow run FLOW --force --flows-dir VALIDS --output json --state-dir TMP [--input k=v ...]`
in-process (`kflow.cli.main`, stdout captured) and checks the one JSON object it prints: `state`,
`outputs` (flow outputs) and `taskRuns` (`{id, taskId, parentTaskRunId, value, state, attempts,
outputs}` in start order), and that the exit code is 0 exactly for SUCCESS and WARNING. Set
`KFLOW_CONFORMANCE_SUBPROCESS=1` to run each flow in a fresh `python -m kflow` process instead.

A case whose runner behaviour is known to differ from Kestra's is listed in `RUNNER_GAPS` (a strict
xfail naming what is wrong), never loosened in the table.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

TABLE = Path(__file__).resolve().parents[1] / "conformance_runs.yaml"
VALIDS = "conformance/kestra-0.21/valids"
RUN_TIMEOUT = 120  # seconds for one `kflow run`; the slowest flow waits about 3 s
OK_STATES = frozenset({"SUCCESS", "WARNING"})
TEST_ONLY_TYPE = re.compile(r"type:\s*\"?io\.kestra\.core\.(?:tasks\.test|runners\.test)\.")
FOREACH_SUFFIXES = (".ForEach", ".EachSequential", ".EachParallel")
# keys of a task that hold further tasks (Dag's `tasks` items wrap theirs in `task`)
CHILD_KEYS = ("tasks", "errors", "finally", "then", "else", "cases", "defaults", "task")
ENTRY_KEYS = frozenset(
    {
        "flow",
        "case",
        "source",
        "inputs",
        "state",
        "task_runs",
        "order",
        "tasks",
        "attempts",
        "attempt_states",
        "outputs",
        "patterns",
        "flow_outputs",
    }
)
DATE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,9}Z"
SELECTOR = re.compile(r"^(?P<task>[^\[#]+)(?:#(?P<nth>[1-9]\d*)|(?P<path>(?:\[[^\]]*\])+))?$")
MISSING = object()

# case id -> what the runner does differently from Kestra (strict xfail); only with Kestra's
# behaviour re-checked against its test or documentation.
RUNNER_GAPS: dict[str, str] = {
    "errors": (
        "runner: errorLogs() is not supported, so the errors branch stops at t2 (2 task runs); "
        "Kestra's t2 logs the failed task and all 7 task runs end"
    ),
}


def load_table() -> list[dict[str, Any]]:
    with TABLE.open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)
    assert isinstance(entries, list), f"{TABLE} must hold a list of entries"
    return entries


def case_id(entry: dict[str, Any]) -> str:
    stem = entry["flow"].rsplit(".", 1)[0]
    return f"{stem}[{entry['case']}]" if "case" in entry else stem


ENTRIES = load_table()
CASES = [
    pytest.param(
        entry,
        id=case_id(entry),
        marks=(
            [pytest.mark.xfail(reason=RUNNER_GAPS[case_id(entry)], strict=True)]
            if case_id(entry) in RUNNER_GAPS
            else []
        ),
    )
    for entry in ENTRIES
]


# -- the table itself ----------------------------------------------------------------------------


def test_table_is_well_formed(shared: Path) -> None:
    valids = shared / VALIDS
    ids = [case_id(entry) for entry in ENTRIES]
    assert len(ids) == len(set(ids)), "two entries share a flow and case name"
    assert set(RUNNER_GAPS) <= set(ids), "RUNNER_GAPS names a case that is not in the table"
    for entry in ENTRIES:
        name = case_id(entry)
        assert set(entry) <= ENTRY_KEYS, f"{name}: unknown keys {set(entry) - ENTRY_KEYS}"
        assert entry.get("source"), f"{name}: every expectation names its source"
        assert isinstance(entry.get("state"), str), f"{name}: the final state is always checked"
        path = valids / entry["flow"]
        assert path.is_file(), f"{name}: no flow {path}"
        assert not TEST_ONLY_TYPE.search(path.read_text(encoding="utf-8")), (
            f"{name}: uses a Kestra test-only task type"
        )
        for key in ("tasks", "attempts", "attempt_states", "outputs", "patterns"):
            for selector in entry.get(key) or {}:
                assert SELECTOR.match(selector), f"{name}: bad selector {selector!r} in {key}"


def test_table_covers_at_least_45_flows() -> None:
    assert len({entry["flow"] for entry in ENTRIES}) >= 45


# -- running a flow ------------------------------------------------------------------------------


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the main thread if the block runs longer than `seconds`."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"kflow run took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_flow(
    flow: Path,
    flows_dir: Path,
    inputs: dict[str, str],
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, dict[str, Any]]:
    """Run `kflow run ... --output json`; return the exit code and the parsed report."""
    # --force: Kestra saves flows whose expressions fail when rendered, and fails at run time;
    # several of its test flows do this on purpose
    argv = ["run", str(flow), "--force", "--flows-dir", str(flows_dir), "--output", "json"]
    argv += ["--state-dir", str(state_dir)]
    for key, value in inputs.items():
        argv += ["--input", f"{key}={value}"]
    if os.environ.get("KFLOW_CONFORMANCE_SUBPROCESS") == "1":
        environ = {k: v for k, v in os.environ.items() if k != "KFLOW_DEBUG"}
        done = subprocess.run(
            [sys.executable, "-m", "kflow", *argv],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env={**environ, "KFLOW_HOME": str(state_dir)},
            check=False,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        from kflow.cli import main

        with deadline(RUN_TIMEOUT):
            code = main(argv)
        captured = capsys.readouterr()
        out, err = captured.out, captured.err
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        pytest.fail(
            f"`kflow {' '.join(argv)}` did not print one JSON object (exit {code})\n"
            f"--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}"
        )
    return code, report


# -- reading the report --------------------------------------------------------------------------


def task_types(flow: Path) -> dict[str, str]:
    """Task id -> type, for every task of the flow at any depth."""
    document = yaml.safe_load(flow.read_text(encoding="utf-8"))
    types: dict[str, str] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("type"), str):
                types[node["id"]] = node["type"]
            for key in CHILD_KEYS:
                child = node.get(key)
                if key == "cases" and isinstance(child, dict):
                    child = list(child.values())
                visit(child)

    for key in ("tasks", "errors", "finally", "afterExecution"):
        visit(document.get(key))
    return types


def as_text(value: Any) -> str:
    """A task run value as Kestra stores it: a string, JSON for anything else."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def iteration_path(run: dict[str, Any], by_id: dict[str, Any], types: dict[str, str]) -> list[str]:
    """The ForEach iteration values that lead to a task run, outermost first."""
    path: list[str] = []
    current: dict[str, Any] | None = run
    while current is not None:
        parent = by_id.get(current.get("parentTaskRunId"))
        if parent is not None and types.get(parent["taskId"], "").endswith(FOREACH_SUFFIXES):
            path.append(as_text(current.get("value")))
        current = parent
    return path[::-1]


def select(
    selector: str, runs: list[dict[str, Any]], types: dict[str, str]
) -> list[dict[str, Any]]:
    """The task runs a selector names: `id`, `id#n` or `id[v1][v2]` (see the table's header)."""
    match = SELECTOR.match(selector)
    assert match, f"bad selector {selector!r}"
    chosen = [run for run in runs if run.get("taskId") == match["task"]]
    if match["nth"]:
        index = int(match["nth"]) - 1
        return chosen[index : index + 1]
    if match["path"]:
        wanted = re.findall(r"\[([^\]]*)\]", match["path"])
        by_id = {run.get("id"): run for run in runs}
        return [run for run in chosen if iteration_path(run, by_id, types) == wanted]
    return chosen


def dig(mapping: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(mapping, dict) or part not in mapping:
            return MISSING
        mapping = mapping[part]
    return mapping


def pattern(text: str) -> re.Pattern[str]:
    pieces = re.split(r"(<date>|<any>)", text)
    regex = "".join(
        DATE if piece == "<date>" else ".+" if piece == "<any>" else re.escape(piece)
        for piece in pieces
    )
    return re.compile(regex, re.DOTALL)


def summary(runs: list[dict[str, Any]]) -> str:
    lines = []
    for run in runs:
        attempts = run.get("attempts") or []
        lines.append(
            f"  {run.get('taskId')} value={run.get('value')!r} state={run.get('state')} "
            f"attempts={len(attempts)} outputs={json.dumps(run.get('outputs'), default=str)[:160]}"
        )
    return "\n".join(lines)


def differences(
    entry: dict[str, Any], code: int, report: dict[str, Any], types: dict[str, str]
) -> list[str]:
    """Every way the report departs from the entry, as readable lines."""
    found: list[str] = []
    runs = report.get("taskRuns")
    if not isinstance(runs, list):
        return [f"taskRuns is {runs!r}, not a list"]
    state = report.get("state")
    if state != entry["state"]:
        found.append(f"state: {state}, Kestra gives {entry['state']}")
    expected_code = 0 if state in OK_STATES else 1
    if code != expected_code:
        found.append(f"exit code {code} for a {state} execution (expected {expected_code})")
    if "task_runs" in entry and len(runs) != entry["task_runs"]:
        found.append(f"{len(runs)} task runs, Kestra gives {entry['task_runs']}")
    if "order" in entry:
        started = [run.get("taskId") for run in runs[: len(entry["order"])]]
        if started != entry["order"]:
            found.append(f"start order {started}, Kestra gives {entry['order']}")
    for selector, want in (entry.get("tasks") or {}).items():
        chosen = select(selector, runs, types)
        if want == "ABSENT":
            if chosen:
                found.append(f"{selector}: ran ({len(chosen)} task runs), Kestra never runs it")
        elif not chosen:
            found.append(f"{selector}: no task run, Kestra gives {want}")
        else:
            states = [run.get("state") for run in chosen]
            if any(got != want for got in states):
                found.append(f"{selector}: states {states}, Kestra gives {want}")
    for selector, want in (entry.get("attempts") or {}).items():
        chosen = select(selector, runs, types)
        if not chosen:
            found.append(f"{selector}: no task run to count attempts of")
        for run in chosen:
            count = len(run.get("attempts") or [])
            wanted = str(want)
            ok = count >= int(wanted[2:]) if wanted.startswith(">=") else count == int(wanted)
            if not ok:
                found.append(f"{selector}: {count} attempts, Kestra gives {wanted}")
    for selector, want in (entry.get("attempt_states") or {}).items():
        chosen = select(selector, runs, types)
        if not chosen:
            found.append(f"{selector}: no task run to read attempts of")
        for run in chosen:
            got = [attempt.get("state") for attempt in run.get("attempts") or []]
            if got != want:
                found.append(f"{selector}: attempt states {got}, Kestra gives {want}")
    for key, checker in (("outputs", "exact"), ("patterns", "pattern")):
        for selector, wanted in (entry.get(key) or {}).items():
            chosen = select(selector, runs, types)
            if not chosen:
                found.append(f"{selector}: no task run to read outputs of")
            for run in chosen:
                for dotted, want in wanted.items():
                    got = dig(run.get("outputs"), dotted)
                    if checker == "exact":
                        ok = got == want
                    else:
                        ok = isinstance(got, str) and bool(pattern(want).fullmatch(got))
                    if not ok:
                        shown = "missing" if got is MISSING else repr(got)
                        found.append(f"{selector}: outputs.{dotted} = {shown}, Kestra: {want!r}")
    if "flow_outputs" in entry:
        got = report.get("outputs") or {}
        if got != entry["flow_outputs"]:
            found.append(f"flow outputs {got!r}, Kestra gives {entry['flow_outputs']!r}")
    return found


# -- the cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", CASES)
def test_flow_runs_as_in_kestra(
    entry: dict[str, Any],
    shared: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    valids = shared / VALIDS
    flow = valids / entry["flow"]
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    monkeypatch.setenv("KFLOW_HOME", str(state_dir))
    inputs = {str(k): str(v) for k, v in (entry.get("inputs") or {}).items()}
    code, report = run_flow(flow, valids, inputs, state_dir, capsys)
    found = differences(entry, code, report, task_types(flow))
    assert not found, (
        f"{entry['flow']} ({entry['source']}):\n  "
        + "\n  ".join(found)
        + f"\ntask runs (state {report.get('state')}):\n{summary(report.get('taskRuns') or [])}"
    )

"""The bundled runner's commands: `kflow run`, `namespaces`, `flows`, `executions`, `server`
and `triggers`.

`register(subparsers)` adds them to the `kflow` argument parser; each command is
`cmd_*(args, out) -> exit code`, like the other commands of `kflow.cli`. Nothing heavy is
imported before a command runs. Exit codes: 0 = the execution ended SUCCESS or WARNING (or the
command did what it was asked), 1 = it ended otherwise, or the flow has errors, or the execution
was not found, 2 = usage error.

State lives in `--state-dir`, else `KFLOW_HOME`, else `~/.kflow`: `state.db` (SQLite) and
`storage/` (internal storage). Flows named by namespace and id (subflows, `flows execute`) are
looked up in `--flows-dir` (every *.yml / *.yaml below it, default `./flows`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.engine import Engine, LoadedFlow
    from kflow.runtime_shims.state import ExecutionRecord, StateStore, TaskRunRecord

EXIT_OK = 0
EXIT_FAILED = 1
OUTPUTS = ("text", "json")
FORMATS = ("text", "json")
DEFAULT_FLOWS_DIR = "flows"
FLOW_SUFFIXES = (".yml", ".yaml")


def _usage(message: str) -> Exception:
    from kflow.cli import UsageError

    return UsageError(message)


# -- flows: compile, find ----------------------------------------------------------------------


class FlowErrors(Exception):
    """A flow file that does not compile: `text` holds its diagnostics, rendered."""

    def __init__(self, path: str, text: str) -> None:
        super().__init__(f"flow {path} has errors")
        self.path = path
        self.text = text


def compile_source(
    path: str, source: str | None = None, colour: bool = False, force: bool = False
) -> ir.Flow:
    """The IR of a flow file (or of `source`, read as if it were that file); FlowErrors if the
    flow has errors. With `force`, errors about expressions (which fail only when rendered, as
    in Kestra) are printed to stderr and the flow is compiled anyway."""
    from kflow.compiler.check import check
    from kflow.compiler.diagnostics import RUN_TIME_CODES, Severity, render_text
    from kflow.compiler.loader import load_file, load_text
    from kflow.compiler.lower import lower

    document = load_file(path) if source is None else load_text(path, source)
    checked = check(document)
    errors = [d for d in checked.diagnostics if d.level is Severity.ERROR]
    sources = {document.source.path: document.source}
    if errors and not (force and all(d.code in RUN_TIME_CODES for d in errors)):
        raise FlowErrors(path, render_text(errors, sources, colour))
    if errors:
        sys.stderr.write(render_text(errors, sources, colour))
        sys.stderr.write(f"kflow run: --force: running {path} despite these errors\n")
    return lower(checked, run_time_errors=force)


def load_flow(path: str, colour: bool = False, force: bool = False) -> LoadedFlow:
    """A flow file compiled, with its source text (stored with each execution)."""
    from kflow.runtime_shims.engine import LoadedFlow

    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _usage(f"cannot read {path}: {error}") from None
    return LoadedFlow(compile_source(path, source, colour, force), source, str(path))


@dataclass
class FlowsDirectory:
    """The flows of a directory, by namespace and id (read lazily, once): the engine's loader."""

    root: Path
    _index: dict[tuple[str, str], Path] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def index(self) -> dict[tuple[str, str], Path]:
        """`(namespace, id) → file` of every flow file below the directory."""
        with self._lock:
            if self._index is None:
                self._index = _scan(self.root)
            return self._index

    def find(self, namespace: str, flow_id: str) -> LoadedFlow:
        """The flow `namespace.flow_id`, compiled; LookupError when it is missing or broken."""
        path = self.index().get((namespace, flow_id))
        if path is None:
            raise LookupError(f"flow {namespace}.{flow_id} not found in {self.root}")
        try:
            return load_flow(str(path))
        except FlowErrors as error:
            raise LookupError(
                f"flow {namespace}.{flow_id} ({path}) has errors:\n{error.text}"
            ) from None

    def from_source(self, path: str | None, source: str) -> ir.Flow:
        """The IR of a stored flow source; ValueError with its diagnostics if it has errors."""
        try:
            return compile_source(path or "<stored flow>", source)
        except FlowErrors as error:
            raise ValueError(f"the stored flow has errors:\n{error.text}") from None


def _scan(root: Path) -> dict[tuple[str, str], Path]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[tuple[str, str], Path] = {}
    if not root.is_dir():
        return found
    for path in sorted(p for p in root.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file()):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("id") and data.get("namespace"):
            found.setdefault((str(data["namespace"]), str(data["id"])), path)
    return found


# -- state -------------------------------------------------------------------------------------


def open_state(args: argparse.Namespace) -> tuple[StateStore, Any]:
    """The state store and internal storage of `--state-dir` / `KFLOW_HOME` / `~/.kflow`."""
    import sqlite3

    from kflow.runtime_shims.state import StateStore, state_dir
    from kflow.runtime_shims.storage import LocalStorage

    try:
        directory = state_dir(getattr(args, "state_dir", None))
        return StateStore(directory), LocalStorage(directory / "storage")
    except (OSError, sqlite3.Error) as error:
        where = getattr(args, "state_dir", None) or "$KFLOW_HOME or ~/.kflow"
        raise _usage(f"cannot open the state directory ({where}): {error}") from None


def _engine(
    args: argparse.Namespace, flows_dir: str | None, observer: Any, store: StateStore, storage: Any
) -> Engine:
    from kflow.runtime_shims.engine import Engine

    loader = FlowsDirectory(Path(flows_dir)) if flows_dir else FlowsDirectory(Path(os.devnull))
    return Engine(store, storage, loader=loader, observer=observer, flows_dir=flows_dir)


def parse_inputs(pairs: list[str] | None) -> dict[str, str]:
    """`--input k=v` pairs → {k: v} (values stay strings; FILE inputs read `@path`)."""
    inputs: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise _usage(f"--input expects NAME=VALUE, got '{pair}'")
        inputs[name.strip()] = value
    return inputs


# -- commands ----------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Validate a flow file, run it as a new execution and report how it ended."""
    path = args.flow
    if not os.path.isfile(path):
        raise _usage(f"no such file: {path}")
    inputs = parse_inputs(args.input)
    flows_dir = args.flows_dir
    if flows_dir is None:
        flows_dir = (
            DEFAULT_FLOWS_DIR if os.path.isdir(DEFAULT_FLOWS_DIR) else str(Path(path).parent)
        )
    try:
        loaded = load_flow(path, colour=_colour(sys.stderr), force=args.force)
    except FlowErrors as error:
        sys.stderr.write(error.text)
        sys.stderr.write(f"kflow run: {path} has errors; nothing was run\n")
        return EXIT_FAILED
    if args.engine != "runner":
        return _run_on_engine(args, out, loaded, inputs, flows_dir)
    return _start(args, out, loaded, inputs, flows_dir)


def _run_on_engine(
    args: argparse.Namespace,
    out: TextIO,
    loaded: LoadedFlow,
    inputs: dict[str, str],
    flows_dir: str,
) -> int:
    """`kflow run --engine airflow|prefect`: the same report, from the flow compiled and run
    there."""
    from kflow.runtime_shims.execution import OK_STATES
    from kflow.runtime_shims.inputs import InputError
    from kflow.targets import airflow_local, prefect_local
    from kflow.targets.local import EngineError

    if args.state_dir:
        os.environ["KFLOW_HOME"] = args.state_dir
    try:
        flows = airflow_local.flows_in(flows_dir)  # the flows a Subflow may call
        if args.engine == "prefect":
            found = prefect_local.run(loaded.flow, inputs, flows)
        else:
            found = airflow_local.run(loaded.flow, inputs, flows)
    except (EngineError, InputError) as error:
        sys.stderr.write(f"kflow run --engine {args.engine}: {error}\n")
        return EXIT_FAILED
    if args.output == "json":
        out.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    else:
        flow = f"{found['namespace']}.{found['flowId']}"
        out.write(f"Execution {found['id']} of {flow} on {args.engine}\n")
        for task_run in found["taskRuns"]:
            value = f"[{task_run['value']}]" if task_run["value"] is not None else ""
            out.write(f"  {task_run['state']:<8} {task_run['taskId']}{value}\n")
        out.write(
            f"Execution {found['id']} {found['state']} ({len(found['taskRuns'])} task runs)\n"
        )
        if found.get("error") and found["state"] not in OK_STATES:
            out.write(f"Error: {found['error']}\n")
    return EXIT_OK if found["state"] in OK_STATES else EXIT_FAILED


def cmd_flows_execute(args: argparse.Namespace, out: TextIO) -> int:
    """Run the flow `--namespace`/`--flow` of the flows directory."""
    flows = FlowsDirectory(Path(args.flows_dir))
    path = flows.index().get((args.namespace, args.flow))
    if path is None:
        sys.stderr.write(
            f"kflow flows execute: flow {args.namespace}.{args.flow} not found in "
            f"{args.flows_dir}\n"
        )
        return EXIT_FAILED
    try:
        loaded = load_flow(str(path), colour=_colour(sys.stderr))
    except FlowErrors as error:
        sys.stderr.write(error.text)
        return EXIT_FAILED
    return _start(args, out, loaded, parse_inputs(args.input), args.flows_dir)


def _start(
    args: argparse.Namespace,
    out: TextIO,
    loaded: LoadedFlow,
    inputs: dict[str, str],
    flows_dir: str,
) -> int:
    from kflow.runtime_shims.execution import OK_STATES

    if loaded.flow.disabled:
        sys.stderr.write(f"kflow: flow {loaded.flow.namespace}.{loaded.flow.id} is disabled\n")
        return EXIT_FAILED
    store, storage = open_state(args)
    printer = _printer(args.output, out, args.log_level)
    engine = _engine(args, flows_dir, printer, store, storage)
    try:
        record = engine.create(loaded, inputs)
        printer.started(record)
        record = engine.run(record, loaded.flow)
        engine.wait_background()
    finally:
        printer.close()
    _report(args.output, out, store, record, printer)
    return EXIT_OK if record.state in OK_STATES else EXIT_FAILED


def cmd_resume(args: argparse.Namespace, out: TextIO) -> int:
    """Go on with a PAUSED execution, or one a crash left RUNNING."""
    from kflow.runtime_shims.execution import OK_STATES

    store, storage = open_state(args)
    record = store.execution(args.id)
    if record is None:
        sys.stderr.write(f"kflow executions resume: no execution with id '{args.id}'\n")
        return EXIT_FAILED
    printer = _printer(args.output, out, args.log_level)
    engine = _engine(args, record.flows_dir, printer, store, storage)
    try:
        engine.check_resumable(record, force=args.force)
        flow = engine.flow_of(record)
    except (LookupError, ValueError) as error:
        printer.close()
        sys.stderr.write(f"kflow executions resume: {error}\n")
        return EXIT_FAILED
    try:
        printer.started(record, resumed=True)
        record = engine.run(record, flow)
        engine.wait_background()
    finally:
        printer.close()
    _report(args.output, out, store, record, printer)
    return EXIT_OK if record.state in OK_STATES else EXIT_FAILED


def cmd_namespaces_list(args: argparse.Namespace, out: TextIO) -> int:
    """Namespaces of the flows directory and of past executions."""
    names = {ns for ns, _ in FlowsDirectory(Path(args.flows_dir)).index()}
    store, _ = open_state(args)
    names.update(store.namespaces())
    for name in sorted(names):
        out.write(name + "\n")
    return EXIT_OK


def cmd_flows_list(args: argparse.Namespace, out: TextIO) -> int:
    """Flows of the flows directory (optionally of one namespace)."""
    index = FlowsDirectory(Path(args.flows_dir)).index()
    rows = [
        {"namespace": ns, "id": flow_id, "path": str(path)}
        for (ns, flow_id), path in sorted(index.items())
        if args.namespace is None or ns == args.namespace or ns.startswith(args.namespace + ".")
    ]
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        _table(
            out, ["NAMESPACE", "FLOW", "PATH"], [[r["namespace"], r["id"], r["path"]] for r in rows]
        )
    return EXIT_OK


def cmd_executions_list(args: argparse.Namespace, out: TextIO) -> int:
    """Executions in the state store, oldest first, filtered."""
    store, _ = open_state(args)
    state = args.state.upper() if args.state else None
    records = store.executions(args.namespace, args.flow, state)
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "namespace": r.namespace,
                "flowId": r.flow_id,
                "state": r.state,
                "startDate": r.start_date,
                "endDate": r.end_date,
                "parentId": r.parent_id,
            }
            for r in records
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    _table(
        out,
        ["ID", "NAMESPACE", "FLOW", "STATE", "START", "DURATION"],
        [[r.id, r.namespace, r.flow_id, r.state, r.start_date, _duration(r)] for r in records],
    )
    return EXIT_OK


def cmd_executions_get(args: argparse.Namespace, out: TextIO) -> int:
    """One execution: its state, inputs, outputs and task runs."""
    from kflow.runtime_shims.execution import report

    store, _ = open_state(args)
    record = store.execution(args.id)
    if record is None:
        sys.stderr.write(f"kflow executions get: no execution with id '{args.id}'\n")
        return EXIT_FAILED
    if args.format == "json":
        out.write(json.dumps(report(store, args.id), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(f"Execution {record.id}\n")
    out.write(f"  flow:     {record.namespace}.{record.flow_id}\n")
    out.write(f"  state:    {record.state}\n")
    out.write(f"  started:  {record.start_date}\n")
    if record.end_date:
        out.write(f"  ended:    {record.end_date} ({_duration(record)})\n")
    if record.parent_id:
        out.write(f"  parent:   {record.parent_id}\n")
    if record.labels:
        out.write(f"  labels:   {_compact(record.labels)}\n")
    out.write(f"  inputs:   {_compact(record.inputs)}\n")
    if record.outputs:
        out.write(f"  outputs:  {_compact(record.outputs)}\n")
    if record.error:
        out.write(f"  error:    {record.error}\n")
    runs = store.task_runs(record.id)
    if runs:
        out.write("\n")
        _table(
            out,
            ["TASK", "VALUE", "STATE", "ATTEMPTS", "DURATION"],
            [[r.task_id, r.value or "", r.state, str(len(r.attempts)), _duration(r)] for r in runs],
        )
    return EXIT_OK


def cmd_executions_logs(args: argparse.Namespace, out: TextIO) -> int:
    """The log lines of an execution; with --follow, new ones until it ends."""
    from kflow.runtime_shims.execution import LEVELS, TERMINAL, level_rank

    store, _ = open_state(args)
    if store.execution(args.id) is None:
        sys.stderr.write(f"kflow executions logs: no execution with id '{args.id}'\n")
        return EXIT_FAILED
    levels = None
    if args.level:
        floor = level_rank(args.level)
        levels = tuple(name for name in LEVELS if level_rank(name) >= floor)
    last = 0
    while True:
        for line in store.logs(args.id, after=last, levels=levels, task_id=args.task):
            last = line["seq"]
            task = f" {line['task_id']}" if line["task_id"] else ""
            out.write(f"{line['timestamp']} {line['level']:<5}{task} {line['message']}\n")
        out.flush()
        if not args.follow:
            return EXIT_OK
        record = store.execution(args.id)
        if record is None or record.state in TERMINAL or record.state == "PAUSED":
            for line in store.logs(args.id, after=last, levels=levels, task_id=args.task):
                task = f" {line['task_id']}" if line["task_id"] else ""
                out.write(f"{line['timestamp']} {line['level']:<5}{task} {line['message']}\n")
            return EXIT_OK
        time.sleep(0.2)


def cmd_server(args: argparse.Namespace, out: TextIO) -> int:
    """Serve webhooks, run schedules and Flow triggers of the flows directory until stopped."""
    from kflow.server.app import Options, StartError, serve

    if args.workers < 1:
        raise _usage("--workers must be at least 1")
    if not 0 <= args.port <= 65535:
        raise _usage("--port must be between 0 and 65535")
    if args.max_body < 0:
        raise _usage("--max-body must not be negative")
    if not os.path.isdir(args.flows_dir):
        raise _usage(f"no such directory: {args.flows_dir}")
    options = Options(
        flows_dir=Path(args.flows_dir),
        state_dir=args.state_dir,
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_body=args.max_body,
        grace=args.grace,
    )
    try:
        return serve(options, out)
    except StartError as error:
        raise _usage(str(error)) from None


def cmd_triggers_list(args: argparse.Namespace, out: TextIO) -> int:
    """Every trigger of every flow of the flows directory."""
    import sqlite3

    from kflow.runtime_shims.state import StateStore
    from kflow.server.catalogue import FlowCatalogue
    from kflow.server.listing import describe, trigger_rows

    catalogue = FlowCatalogue(Path(args.flows_dir))
    catalogue.reload()
    home = args.state_dir or os.environ.get("KFLOW_HOME") or str(Path.home() / ".kflow")
    store = None
    if (Path(home) / "state.db").is_file():  # the last fired dates, if a server ever ran
        try:
            store = StateStore(home)
        except (OSError, sqlite3.Error) as error:
            raise _usage(f"cannot open the state directory ({home}): {error}") from None
    rows = trigger_rows(catalogue, store)
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    _table(
        out,
        ["NAMESPACE", "FLOW", "TRIGGER", "TYPE", "DETAIL"],
        [
            [
                r["namespace"],
                r["flowId"],
                r["triggerId"] + (" (disabled)" if r["disabled"] else ""),
                r["type"].rpartition(".")[2],
                describe(r),
            ]
            for r in rows
        ],
    )
    return EXIT_OK


# -- output ------------------------------------------------------------------------------------


def _report(
    output: str, out: TextIO, store: StateStore, record: ExecutionRecord, printer: Any
) -> None:
    from kflow.runtime_shims.execution import report

    if output == "json":
        out.write(json.dumps(report(store, record.id), indent=2, ensure_ascii=False) + "\n")
    else:
        printer.summary(store, record)


def _printer(output: str, out: TextIO, log_level: str = "INFO") -> Any:
    if output == "json":
        return _Silent()
    if _is_tty(out) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb":
        try:
            return _RichPrinter(out, log_level)
        except ImportError:
            pass
    return _TextPrinter(out, log_level)


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _colour(stream: TextIO) -> bool:
    return _is_tty(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class _Silent:
    """No live output (`--output json`)."""

    def execution(self, record: ExecutionRecord) -> None:
        pass

    def task_run(self, record: TaskRunRecord) -> None:
        pass

    def log(self, execution_id: str, task_id: str | None, level: str, message: str) -> None:
        pass

    def started(self, record: ExecutionRecord, resumed: bool = False) -> None:
        pass

    def close(self) -> None:
        pass

    def summary(self, store: StateStore, record: ExecutionRecord) -> None:
        pass


class _TextPrinter(_Silent):
    """Plain lines: log lines and ended task runs as they come, then a summary."""

    def __init__(self, out: TextIO, log_level: str = "INFO") -> None:
        from kflow.runtime_shims.execution import level_rank

        self.out = out
        self.floor = level_rank(log_level)
        self.lock = threading.Lock()
        self.flows: dict[str, str] = {}
        self.top: str | None = None

    def _prefix(self, execution_id: str) -> str:
        if self.top is None or execution_id == self.top:
            return ""
        return f"[{self.flows.get(execution_id, execution_id)}] "

    def write(self, text: str, style: str | None = None) -> None:
        with self.lock:
            self.out.write(text + "\n")

    def execution(self, record: ExecutionRecord) -> None:
        self.flows.setdefault(record.id, f"{record.namespace}.{record.flow_id}")

    def started(self, record: ExecutionRecord, resumed: bool = False) -> None:
        self.top = record.id
        verb = "Resuming" if resumed else "Execution"
        self.write(f"{verb} {record.id} of {record.namespace}.{record.flow_id}", "bold")

    def task_run(self, record: TaskRunRecord) -> None:
        from kflow.runtime_shims.execution import TERMINAL

        if record.state not in TERMINAL and record.state != "PAUSED":
            return
        value = f"[{record.value}]" if record.value is not None else ""
        took = _duration(record)
        prefix = self._prefix(record.execution_id)
        self.write(
            f"  {prefix}{record.state:<8} {record.task_id}{value}  {took}".rstrip(),
            _STYLES.get(record.state),
        )

    def log(self, execution_id: str, task_id: str | None, level: str, message: str) -> None:
        from kflow.runtime_shims.execution import level_rank

        if level_rank(level) < self.floor:
            return  # stored all the same: `kflow executions logs --level` shows it
        where = f" {task_id}" if task_id else ""
        prefix = self._prefix(execution_id)
        text = message.replace("\n", "\n      ")  # continuation lines stay under the message
        self.write(f"  {prefix}{level:<5}{where}: {text}", _LOG_STYLES.get(level))

    def summary(self, store: StateStore, record: ExecutionRecord) -> None:
        from collections import Counter

        counts = Counter(run.state for run in store.task_runs(record.id))
        detail = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        runs = sum(counts.values())
        self.write(
            f"Execution {record.id} {record.state} in {_duration(record) or '0 ms'} "
            f"({runs} task run{'s' if runs != 1 else ''}{': ' + detail if detail else ''})",
            _STYLES.get(record.state, "bold"),
        )
        if record.outputs:
            self.write(f"Outputs: {_compact(record.outputs)}")
        if record.state == "PAUSED":
            self.write(f"Resume it with: kflow executions resume --id {record.id}")
        elif record.error and record.state not in ("SUCCESS", "WARNING"):
            self.write(f"Error: {record.error}", "red")


class _RichPrinter(_TextPrinter):
    """On a terminal: coloured lines, and a status line naming the tasks running now."""

    def __init__(self, out: TextIO, log_level: str = "INFO") -> None:
        from rich.console import Console

        super().__init__(out, log_level)
        self.console = Console(file=out, highlight=False)
        self.running: dict[str, str] = {}
        self.status = self.console.status("starting…")
        self.status.start()

    def write(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        with self.lock:
            self.console.print(Text(text, style=style or ""))

    def task_run(self, record: TaskRunRecord) -> None:
        if record.state in ("RUNNING", "RETRYING"):
            self.running[record.id] = record.task_id
        else:
            self.running.pop(record.id, None)
        names = list(dict.fromkeys(self.running.values()))
        shown = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
        self.status.update(f"running: {shown}" if shown else "…")
        super().task_run(record)

    def close(self) -> None:
        self.status.stop()


_STYLES = {
    "SUCCESS": "green",
    "WARNING": "yellow",
    "FAILED": "bold red",
    "KILLED": "red",
    "CANCELLED": "red",
    "SKIPPED": "dim",
    "PAUSED": "magenta",
    "QUEUED": "dim",
}
_LOG_STYLES = {"ERROR": "red", "WARN": "yellow", "DEBUG": "dim", "TRACE": "dim"}


def _duration(record: Any) -> str:
    from datetime import datetime

    if not record.start_date or not record.end_date:
        return ""
    start = datetime.fromisoformat(record.start_date.replace("Z", "+00:00"))
    end = datetime.fromisoformat(record.end_date.replace("Z", "+00:00"))
    seconds = (end - start).total_seconds()
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def _table(out: TextIO, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        out.write("\n")


# -- parser ------------------------------------------------------------------------------------


#: Where `kflow run --engine` runs a flow.
ENGINES = ("runner", "airflow", "prefect")


def register(commands: Any) -> None:
    """Add `run`, `namespaces`, `flows`, `executions`, `server` and `triggers` to the `kflow`
    subparsers."""
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where executions and files are kept (default: $KFLOW_HOME, else ~/.kflow)",
    )
    flows_dir = argparse.ArgumentParser(add_help=False)
    flows_dir.add_argument(
        "--flows-dir",
        metavar="DIR",
        default=DEFAULT_FLOWS_DIR,
        help="directory of flow files (*.yml/*.yaml, searched recursively; default: ./flows)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument(
        "--output",
        choices=OUTPUTS,
        default="text",
        help="text (live progress, then a summary) or json (one report object on stdout)",
    )
    output.add_argument(
        "--log-level",
        choices=("TRACE", "DEBUG", "INFO", "WARN", "ERROR"),
        default="INFO",
        type=str.upper,
        help="the least level of the log lines text output shows (default INFO; every line is "
        "kept: `kflow executions logs` shows them)",
    )
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument(
        "--input",
        "-i",
        action="append",
        metavar="NAME=VALUE",
        help="an input of the flow (repeat for each); a FILE input takes NAME=@path",
    )
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument("--format", choices=FORMATS, default="text", help="text or json")

    run = commands.add_parser(
        "run",
        parents=[state, output, inputs],
        help="validate a flow file and run it with the bundled runner",
        description="Validate FLOW and run it as a new execution. Flow errors are reported and "
        "nothing runs. Exit 0 when the execution ends SUCCESS or WARNING, else 1.",
    )
    run.add_argument("flow", metavar="FLOW.yml", help="the flow file to run")
    run.add_argument(
        "--force",
        action="store_true",
        help="run even if expressions have errors (undefined names, bad syntax): like Kestra, "
        "the execution then fails when it renders them",
    )
    run.add_argument(
        "--flows-dir",
        metavar="DIR",
        help="where subflows are looked up (default: ./flows if it exists, else the flow's "
        "directory)",
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        default="runner",
        help="runner (kflow's bundled runner, the default), airflow or prefect (compile the flow "
        "and run it in the Airflow or Prefect installed in this environment, to compare before "
        "deploying)",
    )
    run.set_defaults(run=cmd_run)

    namespaces = commands.add_parser("namespaces", help="list namespaces")
    ns_commands = namespaces.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    ns_list = ns_commands.add_parser(
        "list", parents=[state, flows_dir], help="namespaces of the flows and executions"
    )
    ns_list.set_defaults(run=cmd_namespaces_list)

    flows = commands.add_parser("flows", help="list and execute flows of a flows directory")
    flow_commands = flows.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    flows_list = flow_commands.add_parser(
        "list", parents=[flows_dir, fmt], help="flows of the flows directory"
    )
    flows_list.add_argument("--namespace", help="only this namespace (and those below it)")
    flows_list.set_defaults(run=cmd_flows_list)
    flows_execute = flow_commands.add_parser(
        "execute",
        parents=[state, flows_dir, output, inputs],
        help="run a flow of the flows directory",
    )
    flows_execute.add_argument("--namespace", required=True)
    flows_execute.add_argument("--flow", required=True, metavar="FLOW_ID")
    flows_execute.set_defaults(run=cmd_flows_execute)

    executions = commands.add_parser("executions", help="inspect and resume executions")
    ex_commands = executions.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    ex_list = ex_commands.add_parser("list", parents=[state, fmt], help="list executions")
    ex_list.add_argument("--namespace")
    ex_list.add_argument("--flow", metavar="FLOW_ID")
    ex_list.add_argument("--state", help="SUCCESS, WARNING, FAILED, RUNNING, PAUSED, …")
    ex_list.set_defaults(run=cmd_executions_list)
    ex_get = ex_commands.add_parser("get", parents=[state, fmt], help="show one execution")
    ex_get.add_argument("--id", required=True)
    ex_get.set_defaults(run=cmd_executions_get)
    ex_logs = ex_commands.add_parser("logs", parents=[state], help="print an execution's logs")
    ex_logs.add_argument("--id", required=True)
    ex_logs.add_argument("--follow", "-f", action="store_true", help="wait for new lines")
    ex_logs.add_argument("--level", help="minimum level: TRACE, DEBUG, INFO, WARN, ERROR")
    ex_logs.add_argument("--task", metavar="TASK_ID", help="only this task's lines")
    ex_logs.set_defaults(run=cmd_executions_logs)
    ex_resume = ex_commands.add_parser(
        "resume",
        parents=[state, output],
        help="go on with a PAUSED execution, or one a crash left RUNNING",
    )
    ex_resume.add_argument("--id", required=True)
    ex_resume.add_argument(
        "--force", action="store_true", help="resume even if its process seems alive"
    )
    ex_resume.set_defaults(run=cmd_resume)

    server = commands.add_parser(
        "server",
        parents=[state, flows_dir],
        help="serve webhooks and run the schedules and Flow triggers of a flows directory",
        description="Run the flows of DIR when their triggers fire: Schedule triggers at their "
        "dates, Flow triggers when a matching execution ends (also one run by `kflow run` with "
        "the same state directory), Webhook triggers on "
        "/api/v1/executions/webhook/{namespace}/{flowId}/{key}. GET /api/v1/executions/{id} "
        "returns an execution. The flows directory is re-read when files change, and on "
        "SIGHUP; SIGINT/SIGTERM stop gracefully.",
    )
    server.add_argument(
        "--port", type=int, default=8080, help="TCP port (default 8080; 0: any free one)"
    )
    server.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    server.add_argument(
        "--workers", type=int, default=4, help="executions run at the same time (default 4)"
    )
    server.add_argument(
        "--max-body",
        type=int,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="largest webhook request body; larger ones get 413 (default 10 MiB)",
    )
    server.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="on SIGINT/SIGTERM, how long running executions may go on before the server exits "
        "(those still running are resumed at the next start; default 30)",
    )
    server.set_defaults(run=cmd_server)

    triggers = commands.add_parser("triggers", help="list the triggers of a flows directory")
    trigger_commands = triggers.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    triggers_list = trigger_commands.add_parser(
        "list",
        parents=[state, flows_dir, fmt],
        help="every trigger: schedules with their next and last dates, webhook URLs, Flow triggers",
    )
    triggers_list.set_defaults(run=cmd_triggers_list)


def main(argv: list[str] | None = None) -> int:
    """Run one runner command without `kflow.cli` (tests, and until it is wired in)."""
    parser = argparse.ArgumentParser(prog="kflow")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    from kflow.cli import EXIT_INTERRUPTED, EXIT_USAGE, UsageError

    try:
        return int(args.run(args, sys.stdout))
    except UsageError as error:
        sys.stderr.write(f"kflow {args.command}: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("kflow: interrupted\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

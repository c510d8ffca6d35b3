"""The bundled runner's engine: runs an `ir.Flow` as one execution, with Kestra's semantics.

The engine walks the flow's task tree. A task list runs in order and stops at the first task run
that ends FAILED, KILLED or PAUSED (the tasks after it are never created); a flowable's children
run through the same walk (`flowables.py` holds what each flowable means). Concurrent children
run on threads; every state change is one committed write to the state store.

Each task run has a deterministic `run_key`: the run key of its parent task run, then `/task-id`,
with `[value]` after a loop's task run for each of its iterations. `resume` walks the same tree
again: a task run already found in a terminal state is not run again (its stored outputs are
used), one found RUNNING, CREATED, RETRYING or PAUSED is run again.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kflow.compiler import ir
from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.execution import (
    CREATED,
    FAILED,
    KILLED,
    OK_STATES,
    PAUSED,
    RETRYING,
    RUNNING,
    SKIPPED,
    STOPPING,
    SUCCESS,
    TERMINAL,
    WARNING,
    Masker,
    Observer,
    level_rank,
    new_id,
    normalize_level,
    worst,
)
from kflow.runtime_shims.retry import RetryPolicy
from kflow.runtime_shims.state import ExecutionRecord, StateStore, TaskRunRecord, now
from kflow.runtime_shims.storage import Storage
from kflow.runtime_shims.templating import (
    Services,
    TemplateError,
    env_secret,
    env_variables,
    evaluate,
    is_truthy,
    render,
    render_value,
)

Implementation = Callable[[TaskContext, dict[str, Any]], Any]

#: Threads one concurrent flowable may use at most (`concurrent: 0` means "all": capped here).
MAX_THREADS = int(os.environ.get("KFLOW_MAX_THREADS", "32"))
#: How deep subflows may nest before the engine refuses (a guard against recursion at run time).
MAX_SUBFLOW_DEPTH = 20
#: Kestra's system label naming the first execution of a chain of subflows.
CORRELATION_LABEL = "system.correlationId"
#: Task types handled in `flowables` whose runs have attempts (and are retried) like a runnable.
ATTEMPTED = frozenset({"io.kestra.plugin.core.flow.Subflow"})


@dataclass(frozen=True)
class LoadedFlow:
    """A flow ready to run: its IR, and the source text and path it came from."""

    flow: ir.Flow
    source: str | None = None
    path: str | None = None


class FlowLoader(Protocol):
    """Where the engine gets flows it did not start with (subflows, resumed executions)."""

    def find(self, namespace: str, flow_id: str) -> LoadedFlow:
        """The flow `namespace.flow_id`; LookupError with a readable message if there is none."""

    def from_source(self, path: str | None, source: str) -> ir.Flow:
        """The IR of a stored flow source; ValueError with its diagnostics if it has errors."""


@dataclass(frozen=True)
class Scope:
    """Where a task runs in the tree: what its task run inherits from its parent."""

    key: str = ""  # run key of the parent task run ("" at the top)
    parent_id: str | None = None
    chain: tuple[str, ...] = ()  # loop values of the ancestors: how outputs are keyed
    parents: tuple[dict[str, Any], ...] = ()  # `parents` (closest first) for templates
    value: str | None = None  # `taskrun.value`: set for the direct children of a loop
    iteration: int | None = None
    workdir: Path | None = None
    rerun: bool = False  # run terminal task runs again (a WorkingDirectory that is resumed)
    # The retry of the closest ancestor that has one, else the flow's: Kestra retries the
    # failed child of a flowable that has a `retry`, and every failed task of a flow that has one.
    retry: ir.Retry | None = None


@dataclass
class Call:
    """A flowable (or Subflow/Pause) being run: what its handler in `flowables` receives."""

    run: ExecutionRun
    task: ir.Task
    record: TaskRunRecord
    scope: Scope
    variables: dict[str, Any]
    previous: str | None  # the state the task run was found in (resume), else None
    attempt: dict[str, Any] | None = None  # the attempt being run (a Subflow's)

    @property
    def props(self) -> dict[str, Any]:
        """The task's properties as written (unrendered)."""
        return self.run.props(self.task)

    def child_scope(self, **changes: Any) -> Scope:
        """The scope of this flowable's children (see `ExecutionRun.child_scope`)."""
        return self.run.child_scope(self.record, self.scope, retry=self.task.retry, **changes)


class TaskStopped(Exception):
    """Raised in a flowable handler to end its task run with this state and message."""

    def __init__(self, message: str, state: str = FAILED) -> None:
        super().__init__(message)
        self.state = state


class Engine:
    """Creates, runs and resumes executions against one state store and storage."""

    def __init__(
        self,
        store: StateStore,
        storage: Storage,
        *,
        loader: FlowLoader | None = None,
        observer: Observer | None = None,
        flows_dir: str | None = None,
        max_threads: int = MAX_THREADS,
    ) -> None:
        self.store = store
        self.storage = storage
        self.loader = loader
        self.observer = observer or Observer()
        self.flows_dir = flows_dir
        self.max_threads = max(1, max_threads)
        self._background: list[threading.Thread] = []

    # -- executions ------------------------------------------------------------------------------

    def create(
        self,
        loaded: LoadedFlow,
        inputs: dict[str, Any] | None = None,
        *,
        parent_id: str | None = None,
        labels: dict[str, Any] | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Create an execution of a flow: inputs validated and coerced, the record stored.

        A FILE input given as a local path (or `@path`) is put in internal storage first and gets
        its `kestra://` URI. Inputs that do not fit create an execution that is FAILED at once,
        with the reason in its logs.
        """
        from kflow.runtime_shims.inputs import InputError, execution_file_store, resolve_inputs

        flow = loaded.flow
        execution_id = new_id()
        record = ExecutionRecord(
            id=execution_id,
            namespace=flow.namespace,
            flow_id=flow.id,
            flow_path=loaded.path,
            state=CREATED,
            inputs={},
            outputs=None,
            labels={**dict(flow.labels), **(labels or {})},
            trigger=trigger,
            parent_id=parent_id,
            start_date=now(),
            end_date=None,
            error=None,
            flow_source=loaded.source,
            flows_dir=self.flows_dir,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        record.labels.setdefault(CORRELATION_LABEL, self._correlation_id(parent_id, execution_id))
        given = dict(inputs or {})
        context = {
            "flow": _flow_variable(flow),
            "execution": _execution_variable(record),
            "labels": nested_labels(record.labels),
            "envs": env_variables(),
        }
        services = Services(on_secret=lambda _secret: None)
        try:
            resolved = resolve_inputs(
                flow.inputs,
                given,
                lambda value: render_value(value, context, services=services),
                self.storage,
                # a local path is uploaded only for the person running kflow: what a trigger
                # renders (a webhook body, say) must not read the server's files
                store_file=None
                if trigger is not None
                else execution_file_store(self.storage, flow.namespace, flow.id, execution_id),
            )
        except (InputError, TemplateError) as error:
            secret_ids = {i.id for i in flow.inputs if i.type.upper() == "SECRET"}
            record.inputs = {k: _plain(v) for k, v in given.items() if k not in secret_ids}
            record.state = FAILED
            record.end_date = record.start_date
            record.error = f"invalid inputs: {error}"
            self.store.create_execution(record)
            self.store.log(execution_id, "ERROR", record.error)
            self.observer.log(execution_id, None, "ERROR", record.error)
            self.observer.execution(record)
            return record
        record.inputs = resolved.values
        self.store.create_execution(record)
        for warning in resolved.warnings:
            self.store.log(execution_id, "WARN", warning)
            self.observer.log(execution_id, None, "WARN", warning)
        self.observer.execution(record)
        return record

    def _correlation_id(self, parent_id: str | None, execution_id: str) -> str:
        parent = self.store.execution(parent_id) if parent_id else None
        if parent is None:
            return execution_id
        return str(parent.labels.get(CORRELATION_LABEL) or parent.id)

    def run(self, record: ExecutionRecord, flow: ir.Flow, depth: int = 0) -> ExecutionRecord:
        """Run (or go on with) an execution until it ends or pauses; the updated record."""
        if record.state in TERMINAL:
            return record
        existing = self.store.task_runs(record.id) if record.state != CREATED else []
        execution_run = ExecutionRun(self, record, flow, existing, depth)
        return execution_run.execute()

    def execute(
        self,
        loaded: LoadedFlow,
        inputs: dict[str, Any] | None = None,
        *,
        labels: dict[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Create an execution of a flow and run it."""
        record = self.create(loaded, inputs, labels=labels)
        return self.run(record, loaded.flow)

    def resume(self, execution_id: str, force: bool = False) -> ExecutionRecord:
        """Go on with an execution that is PAUSED, or that a crash left RUNNING or CREATED.

        Raises LookupError for an unknown id and ValueError when the execution cannot be resumed
        (it ended, or a live process is running it).
        """
        record = self.store.execution(execution_id)
        if record is None:
            raise LookupError(f"no execution with id '{execution_id}'")
        self.check_resumable(record, force)
        return self.run(record, self.flow_of(record))

    def check_resumable(self, record: ExecutionRecord, force: bool = False) -> None:
        """ValueError when an execution cannot be resumed: it ended, or a live process runs it."""
        execution_id = record.id
        if record.state in TERMINAL:
            raise ValueError(
                f"execution {execution_id} already ended in {record.state}; nothing to resume"
            )
        if not force and _alive(record.pid, record.host):
            raise ValueError(
                f"execution {execution_id} is being run by process {record.pid}; "
                "wait for it, or pass --force if that process is not kflow"
            )

    def flow_of(self, record: ExecutionRecord) -> ir.Flow:
        """The IR of the flow an execution was started with (from its stored source)."""
        if self.loader is None or record.flow_source is None:
            raise ValueError(f"execution {record.id} has no stored flow source to resume from")
        return self.loader.from_source(record.flow_path, record.flow_source)

    def wait_background(self) -> None:
        """Wait for subflow executions started with `wait: false` (before the process exits)."""
        while self._background:
            self._background.pop().join()

    def start_background(self, target: Callable[[], Any], name: str) -> None:
        """Run `target` on a thread that `wait_background` joins."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        # a long-running server starts threads for ever: keep only those still running
        self._background = [t for t in self._background if t.is_alive()]
        self._background.append(thread)
        thread.start()


class ExecutionRun:
    """One execution being run: its outputs, task runs, variables and secrets."""

    def __init__(
        self,
        engine: Engine,
        record: ExecutionRecord,
        flow: ir.Flow,
        existing: list[TaskRunRecord],
        depth: int = 0,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.observer = engine.observer
        self.record = record
        self.flow = flow
        self.depth = depth
        self.task_ids = frozenset(t.id for t in flow.all_tasks())
        self.lock = threading.RLock()
        self.masker = Masker()
        self.outputs: dict[str, Any] = {}
        self.by_key = {run.run_key: run for run in existing}
        self._seq = max((run.seq for run in existing), default=0)
        self._props: dict[int, dict[str, Any]] = {}
        self._first_error: str | None = None
        for input_ in flow.inputs:
            if input_.type.upper() == "SECRET":
                self.masker.add(_nested(record.inputs, input_.id))
        self.services = Services(
            secret=self._secret,
            read=self._read_file,
            kv=self._kv,
            on_secret=self.masker.add,
        )
        self.base: dict[str, Any] = {
            "flow": _flow_variable(flow),
            "execution": _execution_variable(record),
            "inputs": record.inputs,
            "vars": ir.thaw(flow.variables),
            "labels": nested_labels(record.labels),
            "envs": env_variables(),
            "outputs": self.outputs,
        }
        if record.trigger is not None:
            self.base["trigger"] = record.trigger
        self._rebuild_outputs(existing)

    # -- the execution ---------------------------------------------------------------------------

    def execute(self) -> ExecutionRecord:
        """Run the flow's tasks, errors, finally and afterExecution; the final record."""
        self._set_execution_state(RUNNING, pid=os.getpid(), host=socket.gethostname())
        try:
            state = self.run_block(
                self.flow.tasks, self.flow.errors, self.flow.finally_, self.root_scope()
            )
            if state == PAUSED:
                # No process runs it any more: `resume` needs no --force, whatever takes this pid.
                self._set_execution_state(PAUSED, pid=None)
                self.log(
                    "INFO",
                    f"execution paused; resume it with: kflow executions resume "
                    f"--id {self.record.id}",
                )
                return self.record
            outputs = None
            if state in OK_STATES and self.flow.outputs:
                try:
                    outputs = self._flow_outputs()
                except (TemplateError, TaskFailure, ValueError) as error:
                    self.fail_message(f"flow outputs: {error}")
                    state = FAILED
            self.base["execution"] = {**self.base["execution"], "state": state}
            self._after_execution(state)
            self._finish_execution(state, outputs)
        except KeyboardInterrupt:
            self._finish_execution(KILLED, None, "interrupted")
            raise
        except Exception as error:
            detail = f"internal error: {type(error).__name__}: {error}"
            self.log("ERROR", self.masker(detail))
            if os.environ.get("KFLOW_DEBUG") == "1":
                self.log("ERROR", self.masker(traceback.format_exc()))
            self._finish_execution(FAILED, None, detail)
            if os.environ.get("KFLOW_DEBUG") == "1":
                raise
        return self.record

    def root_scope(self, key: str = "") -> Scope:
        """The scope of the flow's own task lists."""
        retry = self.flow.retry
        if retry is not None and (retry.behavior or "RETRY_FAILED_TASK") != "RETRY_FAILED_TASK":
            retry = None
        return Scope(key=key, retry=retry)

    def _finish_execution(
        self, state: str, outputs: dict[str, Any] | None, error: str | None = None
    ) -> None:
        if error is not None and self._first_error is None:
            self._first_error = error
        self.record.state = state
        self.record.outputs = outputs
        self.record.end_date = now()
        failed = self._first_error is not None and state not in OK_STATES
        self.record.error = self.masker(self._first_error or "") if failed else None
        self.store.update_execution(
            self.record.id,
            state=state,
            outputs=outputs,
            end_date=self.record.end_date,
            error=self.record.error,
        )
        if state == KILLED:
            for run in self.store.task_runs(self.record.id):
                if run.state not in TERMINAL:
                    run.state = KILLED
                    run.end_date = self.record.end_date
                    self.store.update_task_run(run)
        self.observer.execution(self.record)

    def _set_execution_state(self, state: str, **changes: Any) -> None:
        self.record.state = state
        self.base["execution"] = {**self.base["execution"], "state": state}
        self.store.update_execution(self.record.id, state=state, **changes)
        self.observer.execution(self.record)

    def set_execution_state(self, state: str) -> None:
        """Mark the execution RUNNING or PAUSED (a Pause with a duration)."""
        with self.lock:
            self._set_execution_state(state)

    def _flow_outputs(self) -> dict[str, Any]:
        variables = dict(self.base)
        result: dict[str, Any] = {}
        for output in self.flow.outputs:
            value = ir.thaw(output.value)
            rendered = self.render_value(value, variables)
            result[output.id] = _coerce_output(output.id, output.type, rendered)
        return result

    def _after_execution(self, state: str) -> None:
        if self.flow.after_execution:
            self.run_sequence(self.flow.after_execution, self.root_scope("/afterExecution"))
        for index, listener in enumerate(self.flow.listeners):
            if self._listener_matches(listener, state):
                self.run_sequence(listener.tasks, self.root_scope(f"/listeners[{index}]"))

    def _listener_matches(self, listener: ir.Listener, state: str) -> bool:
        for condition in listener.conditions:
            props = ir.thaw(condition.properties)
            if condition.type.endswith(".ExecutionStatus") or condition.type.endswith(".Execution"):
                accepted = props.get("in")
                refused = props.get("notIn")
                if accepted is not None and state not in accepted:
                    return False
                if refused is not None and state in refused:
                    return False
            else:
                self.log(
                    "WARN",
                    f"listener condition {condition.type} is not supported by the "
                    "bundled runner; the listener does not run",
                )
                return False
        return True

    # -- task lists ------------------------------------------------------------------------------

    def run_block(
        self,
        tasks: Iterable[ir.Task],
        errors: Iterable[ir.Task],
        finally_: Iterable[ir.Task],
        scope: Scope,
        body: Callable[[], str] | None = None,
    ) -> str:
        """Run `tasks` (or `body`), then `errors` if they failed, then `finally`: the block state.

        As in Kestra, a failure handled by `errors` still fails the block: its state is the worst
        of the main tasks and the `finally` tasks.
        """
        state = body() if body is not None else self.run_sequence(tasks, scope)
        if state == PAUSED:
            return PAUSED
        errors = tuple(errors)
        if state in (FAILED, KILLED) and errors and self.run_sequence(errors, scope) == PAUSED:
            return PAUSED
        finally_ = tuple(finally_)
        if finally_:
            last = self.run_sequence(finally_, scope)
            if last == PAUSED:
                return PAUSED
            state = worst((state, last))
        return state

    def run_sequence(self, tasks: Iterable[ir.Task], scope: Scope) -> str:
        """Run tasks one after the other, stopping at the first that fails or pauses."""
        states: list[str | None] = []
        for task in tasks:
            state = self.run_task(task, scope)
            states.append(state)
            if state in STOPPING:
                break
        return worst(states)

    def run_concurrently(self, jobs: Iterable[Callable[[], str | None]], limit: int) -> str:
        """Run jobs (each returns a state) at most `limit` at once (0: as many as allowed).

        After a job ends FAILED, KILLED or PAUSED no new job starts; the running ones finish.
        Worker threads pull the next job themselves: no future per job, no polling.
        """
        pending = list(jobs)
        states: list[str | None] = []
        if limit == 1 or len(pending) <= 1:
            for job in pending:
                states.append(job())
                if states[-1] in STOPPING:
                    break
            return worst(states)
        workers = self.engine.max_threads if limit <= 0 else min(limit, self.engine.max_threads)
        count = min(workers, len(pending))
        # The first `count` jobs start together whatever happens (as Kestra creates them at once);
        # a failure only keeps the later ones from starting.
        queue = iter(pending[count:])
        lock = threading.Lock()
        failures: list[BaseException] = []
        stop = False

        def work(first: Callable[[], str | None]) -> None:
            nonlocal stop
            job: Callable[[], str | None] | None = first
            while True:
                if job is None:
                    return
                try:
                    state = job()
                except BaseException as error:
                    with lock:
                        failures.append(error)
                        stop = True
                    return
                with lock:
                    states.append(state)
                    stop = stop or state in STOPPING
                    job = None if stop else next(queue, None)

        threads = [
            threading.Thread(
                target=work, args=(pending[index],), name=f"kflow-{index}", daemon=True
            )
            for index in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return worst(states)

    # -- one task run ----------------------------------------------------------------------------

    def run_task(self, task: ir.Task, scope: Scope) -> str | None:
        """Run one task in `scope`; its final state (None: the task is disabled)."""
        if task.disabled:
            return None
        key = f"{scope.key}/{task.id}"
        record = self.by_key.get(key)
        previous = None
        if record is not None:
            previous = record.state
            if previous in TERMINAL:
                if not scope.rerun:
                    return previous
                record.attempts = []
                record.outputs = None
        else:
            record = TaskRunRecord(
                id=new_id(),
                execution_id=self.record.id,
                task_id=task.id,
                run_key=key,
                parent_task_run_id=scope.parent_id,
                value=scope.value,
                iteration=scope.iteration,
                state=CREATED,
                seq=self._next_seq(),
            )
        stored = previous is not None
        record.start_date = record.start_date if stored and record.start_date else now()
        record.end_date = None
        variables = self.variables(task, record, scope)
        try:
            if task.run_if and not all(self._holds(expr, variables) for expr in task.run_if):
                record.state = SKIPPED
                record.end_date = now()
                self._write(record, stored)
                self.observer.task_run(record)
                return SKIPPED
        except TemplateError as error:
            record.state = RUNNING
            self._write(record, stored)
            self.fail_message(f"runIf: {error}", record, task)
            return self._end(task, record, scope, FAILED)

        record.state = RUNNING
        self._write(record, stored)
        self.observer.task_run(record)
        from kflow.runtime_shims.flowables import HANDLERS

        handler = HANDLERS.get(task.type)
        if handler is not None and task.type not in ATTEMPTED:
            call = Call(self, task, record, scope, variables, previous)
            try:
                state = handler(call)
            except TaskStopped as stop:
                self.fail_message(str(stop), record, task)
                state = stop.state
            except (TemplateError, TaskFailure, ValueError) as error:
                self.fail_message(str(error), record, task)
                state = FAILED
        else:
            state = self._run_attempts(task, record, scope, variables, previous)
        return self._end(task, record, scope, state)

    def _end(self, task: ir.Task, record: TaskRunRecord, scope: Scope, state: str) -> str:
        from kflow.runtime_shims.step import settle

        state = settle(state, task.allow_failure, task.allow_warning)
        record.state = state
        if state == PAUSED:
            record.end_date = None
        elif record.end_date is None:
            record.end_date = now()
        self.store.update_task_run(record)
        if record.outputs:
            self.set_output(task.id, self.chain_of(record, scope), record.outputs)
        self.observer.task_run(record)
        return state

    def _write(self, record: TaskRunRecord, stored: bool) -> None:
        if stored:
            self.store.update_task_run(record)
        else:
            self.store.save_task_run(record)
            self.by_key[record.run_key] = record

    def save(self, record: TaskRunRecord) -> None:
        """Persist a running task run's state and outputs (a flowable's decision, a subflow id)."""
        self.store.update_task_run(record)

    def _next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def _run_attempts(
        self,
        task: ir.Task,
        record: TaskRunRecord,
        scope: Scope,
        variables: dict[str, Any],
        previous: str | None,
    ) -> str:
        policy = RetryPolicy.of(task.retry or scope.retry)
        # An attempt that was running when the process died is dropped: it is run again.
        attempts = [a for a in record.attempts if a.get("state") in TERMINAL]
        record.attempts = attempts
        started = time.monotonic()
        while True:
            variables["taskrun"]["attemptsCount"] = len(attempts)
            started_at = record.start_date if not attempts and record.start_date else now()
            attempt: dict[str, Any] = {"state": RUNNING, "startDate": started_at, "endDate": None}
            attempts.append(attempt)
            if len(attempts) > 1:
                record.state = RUNNING
                self.store.update_task_run(record)
            if task.type in ATTEMPTED:
                call = Call(self, task, record, scope, variables, previous, attempt)
                state, outputs = self._handled_attempt(call)
            else:
                state, outputs = self._attempt(task, record, scope, variables)
            attempt["state"] = state
            attempt["endDate"] = now()
            record.outputs = outputs
            if state != FAILED or policy is None:
                break
            delay = policy.next_delay(len(attempts), time.monotonic() - started)
            if delay is None:
                break
            record.state = RETRYING
            self.store.update_task_run(record)
            self.observer.task_run(record)
            self.log(
                "INFO",
                f"attempt {len(attempts)} failed; retrying in {delay:.3g}s",
                record,
                task,
            )
            time.sleep(delay)
        record.end_date = attempts[-1]["endDate"]
        if state == SUCCESS and len(attempts) > 1 and policy is not None:
            state = WARNING if policy.warning_on_retry else SUCCESS
        return state

    def _handled_attempt(self, call: Call) -> tuple[str, dict[str, Any] | None]:
        from kflow.runtime_shims.flowables import HANDLERS

        try:
            state = HANDLERS[call.task.type](call)
        except TaskStopped as stop:
            self.fail_message(str(stop), call.record, call.task)
            state = stop.state
        except (TemplateError, TaskFailure, ValueError) as error:
            self.fail_message(str(error), call.record, call.task)
            state = FAILED
        return state, call.record.outputs

    def _attempt(
        self, task: ir.Task, record: TaskRunRecord, scope: Scope, variables: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None]:
        from kflow.runtime_shims.step import invoke

        context = self.task_context(task, record, scope, variables)
        state, outputs, message = invoke(task.type, context, self.props(task), task.timeout)
        if message is not None:
            if state == FAILED:
                self.fail_message(message, record, task)
            else:
                self.log("WARN", message, record, task)
        return state, outputs

    # -- what a task sees --------------------------------------------------------------------------

    def variables(self, task: ir.Task, record: TaskRunRecord, scope: Scope) -> dict[str, Any]:
        """The render context of a task run."""
        taskrun: dict[str, Any] = {
            "id": record.id,
            "startDate": record.start_date,
            "attemptsCount": len(record.attempts),
            "parentId": record.parent_task_run_id,
        }
        if record.value is not None:
            taskrun["value"] = record.value
        if record.iteration is not None:
            taskrun["iteration"] = record.iteration
        variables = dict(self.base)
        variables["task"] = {"id": task.id, "type": task.type}
        variables["taskrun"] = taskrun
        if scope.parents:
            variables["parent"] = scope.parents[0]
            variables["parents"] = list(scope.parents)
        return variables

    def task_context(
        self, task: ir.Task, record: TaskRunRecord, scope: Scope, variables: dict[str, Any]
    ) -> TaskContext:
        """The `TaskContext` a task implementation runs with."""
        context = TaskContext(
            execution_id=self.record.id,
            namespace=self.flow.namespace,
            flow_id=self.flow.id,
            task_id=task.id,
            task_run_id=record.id,
            task_type=task.type,
            variables=variables,
            storage=self.engine.storage,
            log=lambda level, message: self._task_log(context, level, message, record, task),
            renderer=self.render_value,
            workdir=scope.workdir,
        )
        context.services = {
            "state": self.store,
            "templating": self.services,
            "set_labels": self.set_labels,
            "resume": self._resume_other,
            "cancelled": context.cancelled,
            "flows_dir": self.engine.flows_dir,
            "mask": self.masker,
        }
        return context

    def _task_log(
        self,
        context: TaskContext,
        level: str,
        message: str,
        record: TaskRunRecord,
        task: ir.Task,
    ) -> None:
        # A task stopped by its timeout may go on in its thread: what it says is dropped.
        if not context.cancelled.is_set():
            self.log(level, message, record, task)

    def props(self, task: ir.Task) -> dict[str, Any]:
        """A task's properties as plain data (unrendered); the same dict for every run."""
        found = self._props.get(id(task))
        if found is None:
            found = self._props[id(task)] = ir.thaw(task.properties)
        return found

    def render(self, template: Any, variables: dict[str, Any]) -> str:
        """Render a template to a string."""
        return str(render(str(template), variables, services=self.services, task_ids=self.task_ids))

    def render_value(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """Render every template string inside `value`."""
        return render_value(value, variables, services=self.services, task_ids=self.task_ids)

    def evaluate(self, template: Any, variables: dict[str, Any]) -> Any:
        """The typed value of a template that is one `{{ expression }}`, else its rendering."""
        if not isinstance(template, str):
            return template
        return evaluate(template, variables, services=self.services, task_ids=self.task_ids)

    def truthy(self, template: Any, variables: dict[str, Any]) -> bool:
        """Kestra's truth of a condition: false, 0, -0, empty and null are false."""
        return is_truthy(self.evaluate(template, variables))

    def _holds(self, template: str, variables: dict[str, Any]) -> bool:
        value = self.evaluate(template, variables)
        # The seed's Expression-as-task outputs `{value: bool}`; its notes test the output
        # itself (`{{ outputs.check }}`), meaning its value.
        if isinstance(value, dict) and list(value) == ["value"]:
            value = value["value"]
        return is_truthy(value)

    # -- outputs ---------------------------------------------------------------------------------

    def chain_of(self, record: TaskRunRecord, scope: Scope) -> tuple[str, ...]:
        """The values an output of this task run is keyed by (its ancestors' and its own)."""
        return (*scope.chain, record.value) if record.value is not None else scope.chain

    def set_output(self, task_id: str, chain: tuple[str, ...], outputs: dict[str, Any]) -> None:
        """Publish a task run's outputs: `outputs.id`, or `outputs.id[v1][v2]…` inside loops."""
        with self.lock:
            if not chain:
                self.outputs[task_id] = outputs
                return
            node = self.outputs.get(task_id)
            if not isinstance(node, dict):
                node = self.outputs[task_id] = {}
            for value in chain[:-1]:
                child = node.get(value)
                if not isinstance(child, dict):
                    child = node[value] = {}
                node = child
            node[chain[-1]] = outputs

    def _rebuild_outputs(self, existing: list[TaskRunRecord]) -> None:
        for task_id, chain, outputs in output_entries(existing):
            self.set_output(task_id, chain, outputs)

    def child_scope(
        self,
        record: TaskRunRecord,
        scope: Scope,
        *,
        suffix: str = "",
        value: str | None = None,
        iteration: int | None = None,
        workdir: Path | None = None,
        rerun: bool | None = None,
        retry: ir.Retry | None = None,
    ) -> Scope:
        """The scope of a flowable's children (of one loop iteration, with `value`)."""
        entry: dict[str, Any] = {}
        if record.value is not None:
            entry["taskrun"] = {"value": record.value}
        if record.outputs:
            entry["outputs"] = record.outputs
        return Scope(
            key=record.run_key + suffix,
            parent_id=record.id,
            chain=self.chain_of(record, scope),
            parents=(entry, *scope.parents) if entry else scope.parents,
            value=value,
            iteration=iteration,
            workdir=workdir if workdir is not None else scope.workdir,
            rerun=scope.rerun if rerun is None else rerun,
            retry=retry or scope.retry,
        )

    # -- logs, labels, secrets -------------------------------------------------------------------

    def log(
        self,
        level: str,
        message: str,
        record: TaskRunRecord | None = None,
        task: ir.Task | None = None,
    ) -> None:
        """A log line of the execution (of a task run), secrets masked."""
        level = normalize_level(level)
        if task is not None and task.log_level and level_rank(level) < level_rank(task.log_level):
            return
        text = self.masker(str(message))
        task_id = task.id if task is not None else None
        self.store.log(self.record.id, level, text, record.id if record else None, task_id)
        self.observer.log(self.record.id, task_id, level, text)

    def fail_message(
        self, message: str, record: TaskRunRecord | None = None, task: ir.Task | None = None
    ) -> None:
        """Log why something failed (ERROR), and keep the first such message on the execution."""
        text = self.masker(message)
        if self._first_error is None:
            self._first_error = f"{task.id}: {text}" if task is not None else text
        self.log("ERROR", text, record, task)

    def set_labels(self, labels: dict[str, Any]) -> None:
        """Add or replace labels of the execution (the Labels task)."""
        with self.lock:
            merged = {**self.record.labels, **{str(k): v for k, v in labels.items()}}
            self.base["labels"] = nested_labels(merged)
            self.record.labels = merged
            self.store.update_execution(self.record.id, labels=merged)

    def _resume_other(self, execution_id: str, inputs: dict[str, Any] | None) -> None:
        if execution_id == self.record.id:
            raise TaskFailure("an execution cannot resume itself")
        engine = self.engine
        record = engine.store.execution(execution_id)
        if record is None:
            raise TaskFailure(f"no execution with id '{execution_id}'")
        if record.state != PAUSED:
            raise TaskFailure(f"execution {execution_id} is {record.state}, not PAUSED")
        engine.start_background(lambda: engine.resume(execution_id), f"resume-{execution_id}")

    def _secret(self, name: str) -> str | None:
        return env_secret(name)

    def _read_file(self, path: str) -> str:
        return self.engine.storage.path(path).read_text(encoding="utf-8")

    def _kv(self, key: str, namespace: str | None = None) -> Any:
        found, value = self.store.kv_get(namespace or self.flow.namespace, key)
        if not found:
            return None
        return value


def output_entries(
    runs: list[TaskRunRecord],
) -> Iterator[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """`(task id, loop values, outputs)` of stored task runs, in start order: how each one's
    outputs are keyed (the values of its ancestors and its own, as Kestra's `Execution.outputs`)."""
    by_id = {run.id: run for run in runs}
    for run in runs:
        if not run.outputs:
            continue
        chain: list[str] = []
        current: TaskRunRecord | None = run
        while current is not None:
            if current.value is not None:
                chain.append(current.value)
            parent = current.parent_task_run_id
            current = by_id.get(parent) if parent else None
        yield run.task_id, tuple(reversed(chain)), run.outputs


def outputs_tree(runs: list[TaskRunRecord]) -> dict[str, Any]:
    """The `outputs` variable of an execution, from its stored task runs."""
    tree: dict[str, Any] = {}
    for task_id, chain, outputs in output_entries(runs):
        if not chain:
            tree[task_id] = outputs
            continue
        node = tree.setdefault(task_id, {})
        for value in chain[:-1]:
            node = node.setdefault(value, {})
        node[chain[-1]] = outputs
    return tree


def nested_labels(labels: dict[str, Any]) -> dict[str, Any]:
    """The `labels` variable: dotted keys nest (`system.correlationId` is `labels.system.…`)."""
    nested: dict[str, Any] = {}
    for key, value in labels.items():
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node.setdefault(parts[-1], value)
    return nested


def _flow_variable(flow: ir.Flow) -> dict[str, Any]:
    return {"id": flow.id, "namespace": flow.namespace, "revision": 1}


def _execution_variable(record: ExecutionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "startDate": record.start_date,
        "state": record.state,
        "originalId": record.id,
    }


def _nested(values: dict[str, Any], dotted: str) -> Any:
    found: Any = values
    for part in dotted.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    return value


def is_running_elsewhere(record: ExecutionRecord) -> bool:
    """Whether another live process of this host runs the execution (by its stored pid)."""
    return _alive(record.pid, record.host)


def _alive(pid: int | None, host: str | None) -> bool:
    if not pid or pid == os.getpid() or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _coerce_output(name: str, type_name: str, value: Any) -> Any:
    kind = type_name.upper()
    try:
        if kind == "INT":
            return int(value)
        if kind == "FLOAT":
            return float(value)
        if kind == "BOOLEAN":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false"):
                raise ValueError(f"'{value}' is not a boolean")
            return text == "true"
        if kind in ("JSON", "ARRAY", "MULTISELECT") and isinstance(value, str):
            return json.loads(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"output '{name}' is not a valid {kind}: {error}") from None
    return value

"""What compiled Prefect flows call: each `@task` runs one Kestra task through the runtime shim.

A compiled flow module is plain Prefect: one `@task` per Kestra task, one `@flow` whose body
calls them in Kestra's order (direct calls, `.submit()` futures, `.map()`), with Python `if`,
`for` and `try` for If/Switch, ForEach and `errors`/`finally`. What runs inside a task is
kflow's: Kestra templates are rendered by the shim, never by Prefect.

- a task returns its Kestra task run (`step.TaskRun.to_json()`: state, outputs, error) as its
  result; a FAILED run raises `KestraTaskFailed` (carrying the same record), so Prefect retries
  the task and marks it Failed after its last retry;
- the flow body holds a `Run` (`execution(...)`): the execution (inputs checked by Kestra's
  rules), the task runs recorded so far (`add`, `wait`) and the `outputs` a task is given
  (`outputs(...)`: the records of exactly the tasks it reads);
- a FAILED task run raises `Stopped` in the flow body: the tasks after it in its block do not
  start, as in Kestra; `except Stopped` runs `errors`, `finally` runs `finally`;
- a flow with triggers takes `kestra_trigger` (which trigger started the run, see
  `execution`): the `trigger` variable; when the trigger's conditions do not hold, the body
  stops at `run.check_trigger()` and the flow run ends Completed, named Skipped;
- `Run.end()` calls the task `_kflow_end`, which computes the execution's Kestra state
  (`step.assemble`) and the flow's `outputs`; the flow returns a `Completed` state holding the
  outputs (its message says when the Kestra state is WARNING) or a `Failed` one.

Importing this module costs nothing beyond what the flow module imports anyway: Prefect and
kflow's templating and task implementations are imported when a task runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

FAILED = "FAILED"
KILLED = "KILLED"
#: A task run in one of these states ends its task list (as in the runner).
STOPPING = frozenset({FAILED, KILLED})
SKIPPED = "SKIPPED"
SUCCESS = "SUCCESS"
WARNING = "WARNING"
END = "_kflow_end"

_FLOW = "io.kestra.plugin.core.flow."
IF, SWITCH, PAUSE = _FLOW + "If", _FLOW + "Switch", _FLOW + "Pause"
LOOPS = frozenset({_FLOW + "ForEach", _FLOW + "EachSequential", _FLOW + "EachParallel"})
#: Threads at most for the iterations or branches of one flowable (as the bundled runner).
MAX_THREADS = 16


class Stopped(Exception):
    """A Kestra task run of this block ended FAILED: the tasks after it do not start."""


class NotTriggered(Exception):
    """The trigger's conditions do not hold: the flow body stops before its first task."""


class KestraTaskFailed(Exception):
    """A Kestra task run ended FAILED; `record` is its `TaskRun` as JSON."""

    def __init__(self, message: str, record: Mapping[str, Any]) -> None:
        super().__init__(message, dict(record))
        self.message = message
        self.record = dict(record)

    def __str__(self) -> str:
        return self.message


class _Defaults:
    """The Switch branch taken when no case matches (`Run.case`)."""

    def __repr__(self) -> str:
        return "DEFAULTS"


DEFAULTS: Any = _Defaults()

#: Called with the `_kflow_end` result of every execution that ends in this process
#: (`kflow run --engine prefect` reads its report there).
_LISTENERS: list[Callable[[dict[str, Any]], None]] = []
#: The ends of the executions of this process that a Subflow has not read yet, by id.
_ENDS: dict[str, dict[str, Any]] = {}
#: Subflows nest at most this deep (a flow that calls itself), as in the runner.
MAX_SUBFLOW_DEPTH = 20
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("kflow_subflow_depth", default=0)
_LOADED: dict[str, Any] = {}
_LOADING = threading.Lock()


def listen(callback: Callable[[dict[str, Any]], None]) -> None:
    """Call `callback(end)` when an execution of this process ends (see `Run.end`)."""
    _LISTENERS.append(callback)


# -- inside a task -------------------------------------------------------------------------------


def run_task(
    flow: Mapping[str, Any],
    execution: Mapping[str, Any],
    outputs: Mapping[str, Sequence[Mapping[str, Any]]],
    task_id: str,
    task_type: str,
    properties: Mapping[str, Any],
    *,
    run_if: Sequence[str] = (),
    allow_failure: bool = False,
    allow_warning: bool = False,
    timeout: str | None = None,
    warning_on_retry: bool = False,
    value: str | None = None,
    iteration: int | None = None,
    direct: bool = False,
    cases: Sequence[str] = (),
    has_defaults: bool = False,
) -> dict[str, Any]:
    """Run one Kestra task (or take one flowable's decision) as the body of a Prefect task.

    `outputs` holds the task runs of the tasks it reads; `value`/`iteration` are the loop value
    of an iteration (`taskrun.value` when `direct`: the task is a direct child of the loop).
    Returns the task run as JSON; raises `KestraTaskFailed` when it ends FAILED.
    """
    from kflow.runtime_shims.step import TaskRun, settle

    attempt, retries = _attempt()
    shim = _execution(flow, execution, outputs_of(outputs))
    own_value = value if direct else None
    own_iteration = iteration if direct else None
    # Below a flowable inside a loop: `parent.taskrun.value` is the iteration's value.
    loop = None if direct else value
    extra: dict[str, Any] = {}
    try:
        if task_type in (IF, SWITCH) or task_type in LOOPS:
            record, extra = _decide(
                shim, task_id, task_type, properties, run_if, (own_value, loop), cases, has_defaults
            )
        elif task_type == PAUSE:
            record = _pause(shim, task_id, task_type, properties, (own_value, loop), run_if)
            record.state = settle(record.state, allow_failure, allow_warning)
        else:
            record = shim.run(
                task_id,
                task_type,
                properties,
                run_if=run_if,
                value=own_value,
                iteration=own_iteration,
                attempt=attempt,
                allow_failure=allow_failure,
                allow_warning=allow_warning,
                last_attempt=attempt > retries,
                timeout=timeout,
                loop=loop,
            )
    except BaseException as error:
        # Prefect's own timeout interrupts the task with a BaseException (CancelledError): the
        # Kestra task run times out, as the shim's timeout would have said.
        if timeout is None or type(error).__name__ not in ("CancelledError", "TimeoutError"):
            raise
        record = TaskRun(task_id, FAILED, {}, attempts=attempt)
        record.error = f"timed out after {timeout}"
        if attempt > retries:
            record.state = settle(FAILED, allow_failure, allow_warning)
    if value is not None:
        record.loop = value
        record.value, record.iteration = own_value, own_iteration
    if record.state == SUCCESS and attempt > 1 and warning_on_retry:
        record.state = WARNING
    if record.state == FAILED:
        raise KestraTaskFailed(record.error or "failed", record.to_json())
    return {**record.to_json(), **extra}


def _execution(
    flow: Mapping[str, Any], execution: Mapping[str, Any], outputs: Mapping[str, Any]
) -> Any:
    """The shim's view of the execution, logging to the Prefect run's logger."""
    from kflow.runtime_shims.step import Execution

    return Execution(flow, execution, outputs, log=_logger())


def _attempt() -> tuple[int, int]:
    """This attempt's number (1 = first) and the task's retries."""
    try:
        from prefect.context import TaskRunContext
    except ImportError:  # called outside Prefect (a test): one attempt
        return 1, 0
    context = TaskRunContext.get()
    if context is None:
        return 1, 0
    return max(int(context.task_run.run_count or 1), 1), int(context.task.retries or 0)


def _logger() -> Callable[[str, str], None]:
    """Log to the Prefect run's logger (the task's, shown in the UI), else to `kflow.prefect`."""
    import logging

    logger: Any = logging.getLogger("kflow.prefect")
    try:
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger
    except ImportError:
        pass
    else:
        with contextlib.suppress(MissingContextError):
            logger = get_run_logger()

    def log(level: str, message: str) -> None:
        method = {"ERROR": logger.error, "WARN": logger.warning, "DEBUG": logger.debug}
        method.get(level, logger.info)("%s", message)

    return log


def _decide(
    shim: Any,
    task_id: str,
    task_type: str,
    properties: Mapping[str, Any],
    run_if: Sequence[str],
    where: tuple[str | None, str | None],
    cases: Sequence[str],
    has_defaults: bool,
) -> tuple[Any, dict[str, Any]]:
    """If, Switch and ForEach: the decision's task run, and what the flow body needs of it."""
    from kflow.runtime_shims.context import TaskFailure
    from kflow.runtime_shims.step import TaskRun
    from kflow.runtime_shims.templating import TemplateError

    value, loop = where
    variables = shim.variables(task_id, task_type, value, loop=loop)
    record = TaskRun(task_id, SUCCESS, {}, variables["taskrun"]["id"], value)
    extra: dict[str, Any] = {}
    try:
        if run_if and not shim.holds(run_if, variables):
            record.state = SKIPPED
        elif task_type == IF:
            result = shim.holds([properties.get("condition")], variables)
            record.outputs = {"evaluationResult": result}
        elif task_type == SWITCH:
            chosen = shim.render_text(properties.get("value", ""), variables)
            record.outputs = {"value": chosen, "defaults": chosen not in cases}
            if chosen not in cases and not has_defaults:
                raise ValueError(f"no case matches the value '{chosen}' and there are no defaults")
        else:
            raw = properties.get("values", properties.get("value"))
            extra["values"] = list(shim.loop_values(raw, variables))
    except (TemplateError, TaskFailure, ValueError) as error:
        record.state, record.error = FAILED, shim.masker(str(error))
        shim.log("ERROR", record.error)
    return record, extra


def _pause(
    shim: Any,
    task_id: str,
    task_type: str,
    properties: Mapping[str, Any],
    where: tuple[str | None, str | None],
    run_if: Sequence[str] = (),
) -> Any:
    """Pause with a `pauseDuration` (or `delay`): wait, then end as its `behavior` says
    (SKIPPED without waiting when its `runIf` is false)."""
    import time

    from kflow.runtime_shims.durations import parse_duration
    from kflow.runtime_shims.step import TaskRun

    value, loop = where
    variables = shim.variables(task_id, task_type, value, loop=loop)
    record = TaskRun(task_id, SUCCESS, {}, variables["taskrun"]["id"], value)
    try:
        if run_if and not shim.holds(run_if, variables):
            record.state = SKIPPED
            return record
        duration = properties.get("pauseDuration") or properties.get("delay")
        time.sleep(parse_duration(shim.render_text(duration, variables)))
        behavior = shim.render_text(properties.get("behavior", "RESUME"), variables).upper()
    except Exception as error:  # a template or a duration that does not parse
        record.state, record.error = FAILED, shim.masker(str(error))
        return record
    record.state = {"WARN": WARNING, "FAIL": FAILED, "CANCEL": KILLED}.get(behavior, SUCCESS)
    if record.state == FAILED:
        record.error = "the pause ended with behavior FAIL"
    return record


def outputs_of(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """The `outputs` variable from task runs: `outputs.id`, or `outputs.id[value]` for the runs
    of a task inside a ForEach."""
    outputs: dict[str, Any] = {}
    for task_id, runs in records.items():
        for run in runs:
            if not isinstance(run, Mapping):
                continue
            if run.get("loop") is None:
                outputs[task_id] = run.get("outputs") or {}
            else:
                outputs.setdefault(task_id, {})[run["loop"]] = run.get("outputs") or {}
    return outputs


def _end(
    flow: Mapping[str, Any],
    tree: Mapping[str, Any],
    execution: Mapping[str, Any],
    records: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, Any]:
    """The end of an execution: its Kestra state, flow outputs and every task run."""
    from kflow.runtime_shims.step import TaskRun, assemble

    runs = {k: [TaskRun.from_json(r) for r in v] for k, v in records.items()}
    state, _ = assemble(tree, runs)
    result: dict[str, Any] = {"state": state, "outputs": {}, "error": None}
    if state in (SUCCESS, WARNING) and flow.get("outputs"):
        shim = _execution(flow, execution, outputs_of(records))
        try:
            result["outputs"] = shim.flow_outputs()
        except Exception as error:  # a template or a type that does not fit
            result["state"] = FAILED
            result["error"] = shim.masker(f"flow outputs: {error}")
    result["execution"] = dict(execution)
    result["records"] = {k: [dict(r) for r in v] for k, v in records.items()}
    return result


_END_TASK: Any = None


def end_task() -> Any:
    """The Prefect task `_kflow_end` (made on first use: defining it imports Prefect)."""
    global _END_TASK
    if _END_TASK is None:
        from prefect import task

        _END_TASK = task(name=END, description="The Kestra execution's state and outputs")(_end)
    return _END_TASK


# -- in the flow body ----------------------------------------------------------------------------


def execution(
    flow: Mapping[str, Any],
    tree: Mapping[str, Any],
    inputs: Mapping[str, Any],
    trigger: Mapping[str, Any] | None = None,
) -> Run:
    """Start the Kestra execution of this flow run: the inputs are checked and coerced by
    Kestra's rules (`InputError` fails the flow run). Its id is the Prefect flow run's id.

    `trigger` is the flow's `kestra_trigger` parameter: set by a deployment schedule (`id`),
    a deployment trigger (`id` and the upstream flow run's event) or a call that stands for a
    Webhook (`body`, `headers`, `parameters`); None for a run started by hand. When the
    trigger's conditions do not hold, no execution is created (`Run.check_trigger`)."""
    from kflow.runtime_shims.step import start

    flow_run_id: str | None = None
    try:
        from prefect.runtime import flow_run

        flow_run_id = str(flow_run.id) if flow_run.id else None
    except ImportError:  # pragma: no cover - Prefect is what runs this
        pass
    triggered = triggered_by(flow, trigger)
    if triggered is not None and triggered.skip:
        return Run(flow, tree, {}, skipped=triggered.skip)
    return Run(flow, tree, start(flow, inputs, flow_run_id, trigger=triggered))


def triggered_by(flow: Mapping[str, Any], trigger: Mapping[str, Any] | None) -> Any:
    """The trigger a flow run was started by (`step.Triggered`), from its `kestra_trigger`."""
    from kflow.runtime_shims import step

    if not trigger:
        return None
    kinds = {t["id"]: t["type"] for t in flow.get("triggers") or ()}
    kind = kinds.get(trigger.get("id")) if trigger.get("id") is not None else step.WEBHOOK
    if kind == step.SCHEDULE:
        return step.by_schedule(flow, _scheduled_time(), str(trigger["id"]))
    if kind == step.FLOW_TRIGGER:
        return step.by_flow(flow, upstream_end(trigger))
    if kind == step.WEBHOOK:
        return step.by_webhook(flow, trigger)
    raise ValueError(f"kestra_trigger names no trigger of this flow: {trigger.get('id')!r}")


def _scheduled_time() -> Any:
    """When this flow run was scheduled to start (the date a deployment schedule gave it)."""
    from prefect.runtime import flow_run

    return flow_run.scheduled_start_time


#: The Kestra state of a Prefect flow run's end state (WARNING: see `upstream_end`).
_STATES = {"Completed": SUCCESS, "Failed": FAILED, "Crashed": FAILED, "Cancelled": KILLED}


def upstream_end(event: Mapping[str, Any]) -> dict[str, Any]:
    """The upstream execution a deployment trigger's event stands for: the flow run's id (the
    execution id), the namespace (its deployment's name), the flow id (its flow's name), the
    Kestra state (a Completed run whose message says WARNING ended WARNING) and the flow's
    outputs (its result, when the upstream flow run's result was persisted)."""
    flow_run = str(event.get("flowRun") or "").removeprefix("prefect.flow-run.")
    state = _STATES.get(str(event.get("state") or ""), str(event.get("state") or "").upper())
    if state == SUCCESS and str(event.get("message") or "").startswith("Kestra execution WARN"):
        state = WARNING
    return {
        "executionId": flow_run,
        "namespace": event.get("namespace"),
        "flowId": event.get("flowId"),
        "state": state,
        "outputs": _flow_run_outputs(flow_run),
    }


def _flow_run_outputs(flow_run_id: str) -> dict[str, Any]:
    """The outputs an upstream flow run returned, if Prefect kept its result; else none."""
    import uuid

    try:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            found = client.read_flow_run(uuid.UUID(flow_run_id))
        state = found.state
        outputs = (
            state.result(raise_on_failure=False, retry_result_failure=False) if state else None
        )
    except Exception:  # not persisted, not readable: the trigger has no outputs
        return {}
    return dict(outputs) if isinstance(outputs, Mapping) else {}


class Run:
    """One Kestra execution in a flow body: its task runs so far, and what the body asks of
    them. `with run:` ends the main block at the first failure (`Stopped`), as Kestra does."""

    def __init__(
        self,
        flow: Mapping[str, Any],
        tree: Mapping[str, Any],
        execution: dict[str, Any],
        skipped: str | None = None,
    ) -> None:
        self.flow = flow
        self.tree = tree
        self.execution = execution
        self.skipped = skipped
        self.records: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        return kind is not None and issubclass(kind, (Stopped, NotTriggered))

    def check_trigger(self) -> None:
        """Raise `NotTriggered` (ending the flow body) when the trigger's conditions do not
        hold: no execution is created, and `end()` says so."""
        if self.skipped:
            raise NotTriggered(self.skipped)

    # -- task runs -------------------------------------------------------------------------------

    def outputs(
        self, *task_ids: str, futures: Mapping[str, Any] | None = None
    ) -> dict[str, list[Any]]:
        """The task runs of `task_ids` a task is given (a future stands for its task run)."""
        with self._lock:
            found: dict[str, list[Any]] = {
                task_id: list(self.records[task_id])
                for task_id in task_ids
                if task_id in self.records
            }
        for task_id, future in (futures or {}).items():
            found[task_id] = [*found.get(task_id, ()), future]
        return found

    def add(self, state: Any) -> dict[str, Any] | None:
        """Record the task run a task call ended with (a state or a future); raise `Stopped`
        when it FAILED. None when the task never ran (an upstream future failed)."""
        found = self._result(state)
        if found is not None and found["state"] in STOPPING:
            raise Stopped(found.get("error") or found["state"].lower())
        return found

    def wait(self, futures: Iterable[Any]) -> None:
        """Wait for every future, record their task runs; `Stopped` if one FAILED."""
        failed = [r for r in (self._result(f) for f in futures) if r and r["state"] in STOPPING]
        if failed:
            raise Stopped(failed[0].get("error") or failed[0]["state"].lower())

    def _result(self, state: Any) -> dict[str, Any] | None:
        if hasattr(state, "wait") and hasattr(state, "task_run_id"):  # a PrefectFuture
            state.wait()
            state = state.state
        if state.is_completed():
            found = state.result()
        elif state.is_failed() or state.is_crashed():
            error = state.result(raise_on_failure=False)
            if not isinstance(error, KestraTaskFailed):
                # Not a Kestra task run that failed: Prefect's own failure, the flow run fails.
                if isinstance(error, BaseException):
                    raise error
                raise RuntimeError(state.message or "a task failed in Prefect")
            found = error.record
        elif state.is_pending():  # NotReady: an upstream task failed, this one never ran
            return None
        else:
            raise RuntimeError(f"a task ended {state.name}: {state.message}")
        found = dict(found)
        with self._lock:
            self.records.setdefault(found["task_id"], []).append(found)
        return found

    # -- flowables' decisions --------------------------------------------------------------------

    def condition(self, state: Any) -> bool | None:
        """If: the evaluated condition; None when the If was skipped (`runIf`)."""
        found = self.add(state)
        if found is None or found["state"] == SKIPPED:
            return None
        return bool(found["outputs"].get("evaluationResult"))

    def case(self, state: Any) -> Any:
        """Switch: the case key to follow, `DEFAULTS`, or None when the Switch was skipped."""
        found = self.add(state)
        if found is None or found["state"] == SKIPPED:
            return None
        if found["outputs"].get("defaults"):
            return DEFAULTS
        return found["outputs"].get("value")

    def values(self, state: Any) -> list[str]:
        """ForEach: the values to iterate over (none when the loop was skipped)."""
        found = self.add(state)
        return list(found.get("values") or []) if found else []

    # -- subflows ---------------------------------------------------------------------------------

    def subflow(
        self,
        here: str,
        entrypoint: str,
        task_id: str,
        task_type: str,
        properties: Mapping[str, Any],
        outputs: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        run_if: Sequence[str] = (),
        allow_failure: bool = False,
        allow_warning: bool = False,
        value: str | None = None,
        iteration: int | None = None,
        direct: bool = False,
    ) -> dict[str, Any] | None:
        """Subflow: call the child's compiled flow (`entrypoint`, relative to the module `here`)
        as a Prefect subflow run, with the inputs rendered here; record the Subflow's task run
        (outputs `executionId`, `state`, `outputs`) and raise `Stopped` when it FAILED. As in
        the runner, with `transmitFailed` (default) a FAILED child fails the Subflow and a
        WARNING one ends it WARNING."""
        from kflow.runtime_shims.step import TaskRun, settle
        from kflow.runtime_shims.templating import TemplateError

        shim = _execution(self.flow, self.execution, outputs_of(outputs))
        own_value, own_iteration = (value, iteration) if direct else (None, None)
        loop = None if direct else value
        variables = shim.variables(task_id, task_type, own_value, own_iteration, loop=loop)
        record = TaskRun(task_id, SUCCESS, {}, variables["taskrun"]["id"], own_value, own_iteration)
        try:
            if run_if and not shim.holds(run_if, variables):
                record.state = SKIPPED
            else:
                inputs = shim.render_value(properties.get("inputs") or {}, variables)
                transmit = str(properties.get("transmitFailed", True)).lower() != "false"
                self._call_child(here, entrypoint, dict(inputs or {}), transmit, record)
        except (TemplateError, ValueError, LookupError, ImportError) as error:
            record.state, record.error = FAILED, shim.masker(str(error))
        if record.error:
            shim.log("ERROR", record.error)
        record.state = settle(record.state, allow_failure, allow_warning)
        if value is not None:
            record.loop = value
        found = record.to_json()
        with self._lock:
            self.records.setdefault(task_id, []).append(found)
        if found["state"] == FAILED:
            raise Stopped(found.get("error") or "failed")
        return found

    def _call_child(
        self, here: str, entrypoint: str, inputs: dict[str, Any], transmit: bool, record: Any
    ) -> None:
        from kflow.runtime_shims.inputs import InputError

        depth = _DEPTH.get()
        if depth >= MAX_SUBFLOW_DEPTH:
            raise ValueError(
                f"subflows nest more than {MAX_SUBFLOW_DEPTH} deep: a flow calls itself"
            )
        child = load_flow(here, entrypoint)
        names: Mapping[str, str] = child.fn.__globals__.get("PARAMETERS") or {}
        data: Mapping[str, Any] = child.fn.__globals__.get("FLOW") or {}
        try:
            typed = _typed_inputs(data, {k: v for k, v in inputs.items() if k in names})
        except InputError as error:
            raise ValueError(f"inputs of the subflow: {error}") from None
        token = _DEPTH.set(depth + 1)
        try:
            state = child(**{names[k]: v for k, v in typed.items()}, return_state=True)
        finally:
            _DEPTH.reset(token)
        child_id = str(state.state_details.flow_run_id or "")
        with _LOADING:
            end = _ENDS.pop(child_id, None)
        child_state = str(end["state"]) if end else FAILED
        record.outputs = {
            "executionId": child_id,
            "state": child_state,
            "outputs": dict((end or {}).get("outputs") or {}),
        }
        if child_state in STOPPING and transmit:
            record.state = FAILED
            record.error = f"subflow execution {child_id} ended {child_state}"
        elif child_state == WARNING and transmit:
            record.state = WARNING

    # -- concurrency -----------------------------------------------------------------------------

    def concurrently(self, jobs: Sequence[Callable[[], None]], limit: int = 0) -> None:
        """Run jobs (branches of a Parallel, iterations of a loop) at most `limit` at once
        (0: no limit), each in a thread with this flow run's Prefect context. As in Kestra, the
        first jobs start together; after one raises `Stopped` no new job starts, the running
        ones finish, and `Stopped` is raised again."""
        pending = list(jobs)
        if limit == 1 or len(pending) <= 1:
            for job in pending:
                job()
            return
        count = min(len(pending), MAX_THREADS if limit <= 0 else min(limit, MAX_THREADS))
        queue = iter(pending[count:])
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work(job: Callable[[], None] | None) -> None:
            while job is not None:
                try:
                    job()
                except BaseException as error:
                    with lock:
                        errors.append(error)
                with lock:
                    job = None if errors else next(queue, None)

        threads = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(work, pending[index]),
                name=f"kflow-{index}",
                daemon=True,
            )
            for index in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for error in errors:
            if not isinstance(error, Stopped):
                raise error
        if errors:
            raise errors[0]

    def each(self, values: Sequence[str], body: Callable[[str, int], None], limit: int) -> None:
        """Run `body(value, iteration)` for each loop value, at most `limit` at once."""
        jobs = [_bind(body, value, index) for index, value in enumerate(values)]
        self.concurrently(jobs, limit)

    # -- the end ---------------------------------------------------------------------------------

    def end(self) -> Any:
        """The flow run's final state: `Completed` with the flow outputs as its result (its
        message names a WARNING), or `Failed` when the Kestra execution FAILED."""
        from prefect.states import Cancelled, Completed, Failed

        if self.skipped:
            return Completed(name="Skipped", message=self.skipped)
        with self._lock:
            records = {k: list(v) for k, v in self.records.items()}
        found = end_task()(self.flow, self.tree, self.execution, records)
        for listener in list(_LISTENERS):
            listener(found)
        with _LOADING:
            while len(_ENDS) >= 1000:  # ends no Subflow asked for: keep the latest
                _ENDS.pop(next(iter(_ENDS)))
            _ENDS[str(self.execution["id"])] = found
        state = found["state"]
        if state == FAILED:
            first = next(
                (r.get("error") for runs in records.values() for r in runs if r.get("error")),
                None,
            )
            return Failed(message=f"Kestra execution FAILED: {found.get('error') or first}")
        if state == KILLED:
            return Cancelled(message="Kestra execution KILLED (a Pause with behavior CANCEL)")
        message = f"Kestra execution {state}"
        if state == WARNING:
            warned = sorted(
                {r["task_id"] for runs in records.values() for r in runs if r["state"] == WARNING}
            )
            message += f" (tasks ending WARNING: {', '.join(warned)})" if warned else ""
        return Completed(data=found["outputs"], message=message)


def load_flow(here: str, entrypoint: str) -> Any:
    """The Prefect flow at `entrypoint` (`path.py:function`, the path relative to the module
    file `here`), loaded once per process. LookupError when it is not there."""
    import os

    path, _, function = entrypoint.rpartition(":")
    full = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(here)), path))
    with _LOADING:
        found = _LOADED.get(f"{full}:{function}")
        if found is None:
            if not os.path.isfile(full):
                raise LookupError(f"the compiled flow {path} is not beside this one ({full})")
            from prefect.flows import load_flow_from_entrypoint

            found = load_flow_from_entrypoint(f"{full}:{function}", use_placeholder_flow=False)
            _LOADED[f"{full}:{function}"] = found
    return found


def _typed_inputs(data: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Rendered inputs (text) typed as the child flow's parameters expect them."""
    from kflow.compiler import ir
    from kflow.runtime_shims.inputs import resolve_inputs

    specs = [
        ir.Input(s["id"], s["type"], False, None, extra=ir.freeze(s.get("extra") or {}))
        for s in data.get("inputs", ())
        if s["id"] in given
    ]
    values = resolve_inputs(specs, dict(given), lambda value: value).values
    return {k: v for k, v in values.items() if v is not None}


def _bind(body: Callable[[str, int], None], value: str, index: int) -> Callable[[], None]:
    return lambda: body(value, index)

"""One Kestra task run inside another orchestrator: what compiled Airflow and Prefect code calls.

A compiled flow carries its definition as literal data (`FlowData`: namespace, id, inputs,
variables, outputs, labels) and each task its literal properties. At run time the target hands
this module what its own engine knows — the execution's id and inputs, and the outputs of exactly
the upstream tasks the compiler found the task reads — and gets back a `TaskRun`: the Kestra
state, outputs and error of the task, which the target then stores (an XCom, a task result).

Rendering, task implementations, input validation, output coercion and storage are the bundled
runner's own, so a task means the same on every target.
"""

from __future__ import annotations

import os
import shutil
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from kflow.compiler import ir
from kflow.runtime_shims.context import TaskContext, TaskFailure, TaskWarning
from kflow.runtime_shims.execution import (
    FAILED,
    SKIPPED,
    SUCCESS,
    WARNING,
    Masker,
    new_id,
    worst,
)
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

FlowData = Mapping[str, Any]
Log = Callable[[str, str], None]  # (level, message)

SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
FLOW_TRIGGER = "io.kestra.plugin.core.trigger.Flow"
WEBHOOK = "io.kestra.plugin.core.trigger.Webhook"
#: Trigger properties that never reach generated code: the webhook's key is a secret.
SECRET_PROPERTIES = {WEBHOOK: frozenset({"key"})}


@dataclass
class TaskRun:
    """What one run of one Kestra task ended as (JSON-serialisable through `to_json`)."""

    task_id: str
    state: str
    outputs: dict[str, Any]
    id: str = ""
    value: str | None = None
    iteration: int | None = None
    attempts: int = 1
    error: str | None = None
    loop: str | None = None  # the ForEach value its outputs are keyed by (`outputs.id[loop]`)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskRun:
        return cls(
            task_id=str(data["task_id"]),
            state=str(data["state"]),
            outputs=dict(data.get("outputs") or {}),
            id=str(data.get("id") or ""),
            value=data.get("value"),
            iteration=data.get("iteration"),
            attempts=int(data.get("attempts") or 1),
            error=data.get("error"),
            loop=data.get("loop"),
        )


def flow_data(flow: ir.Flow) -> dict[str, Any]:
    """The literal data a compiled flow carries: what tasks need of the flow at run time."""
    from kflow.targets.ir import to_data

    data = {
        "namespace": flow.namespace,
        "id": flow.id,
        "inputs": to_data(flow.inputs),
        "variables": ir.thaw(flow.variables),
        "outputs": to_data(flow.outputs),
        "labels": dict(flow.labels),
    }
    triggers = [trigger_data(t) for t in flow.triggers if not t.disabled]
    if triggers:
        data["triggers"] = triggers
    return data


def trigger_data(trigger: ir.Trigger) -> dict[str, Any]:
    """A trigger as the literal data a compiled flow carries (its secrets left out)."""
    secret = SECRET_PROPERTIES.get(trigger.type, frozenset())
    properties = {k: v for k, v in ir.thaw(trigger.properties).items() if k not in secret}
    data: dict[str, Any] = {"id": trigger.id, "type": trigger.type, "properties": properties}
    if trigger.conditions:
        data["conditions"] = [
            {"type": c.type, "properties": ir.thaw(c.properties)} for c in trigger.conditions
        ]
    return data


def _trigger(data: Mapping[str, Any]) -> ir.Trigger:
    return ir.Trigger(
        id=str(data["id"]),
        type=str(data["type"]),
        properties=ir.freeze(dict(data.get("properties") or {})),
        conditions=tuple(
            ir.Condition(str(c["type"]), ir.freeze(dict(c.get("properties") or {})))
            for c in data.get("conditions") or ()
        ),
    )


def _inputs(data: FlowData) -> list[ir.Input]:
    return [
        ir.Input(
            id=spec["id"],
            type=spec["type"],
            required=spec.get("required", True),
            default=ir.freeze(spec.get("default")),
            description=spec.get("description"),
            display_name=spec.get("display_name"),
            extra=ir.freeze(spec.get("extra") or {}),
        )
        for spec in data.get("inputs", ())
    ]


def storage() -> Any:
    """Internal storage of a target's tasks: `$KFLOW_HOME/storage` (see docs/engines.md)."""
    from kflow.runtime_shims.state import state_dir
    from kflow.runtime_shims.storage import LocalStorage

    return LocalStorage(state_dir() / "storage")


def start(
    data: FlowData,
    given: Mapping[str, Any],
    execution_id: str | None = None,
    trigger: Triggered | None = None,
) -> dict[str, Any]:
    """Create an execution: check and coerce `given` inputs. Raises `InputError` when they do not
    fit; the returned mapping (`id`, `startDate`, `inputs`, `labels`, and `trigger` when a
    trigger started it) is what every task needs.

    The inputs of the `trigger` that started the execution (rendered with the `trigger`
    variable) take the place of the given ones, as in Kestra."""
    from kflow.runtime_shims.inputs import InputError, execution_file_store, resolve_inputs
    from kflow.runtime_shims.state import now

    execution: dict[str, Any] = {"id": execution_id or new_id(), "startDate": now()}
    if trigger is not None:
        execution["trigger"] = trigger.variables
    context = Execution(data, {**execution, "inputs": {}}, {})
    given = {k: v for k, v in given.items() if v is not None}
    for name, value in (trigger.inputs if trigger is not None else {}).items():
        try:
            given[name] = context.render_value(value, context.base)
        except TemplateError as error:
            where = f"(from trigger '{trigger.trigger_id}')" if trigger else ""
            raise InputError(name, f"{where} cannot be rendered: {error}") from None
    files = storage()
    # what a trigger renders (a webhook payload) never uploads a local file of the worker
    store = None
    if trigger is None:
        store = execution_file_store(files, data["namespace"], data["id"], execution["id"])
    resolved = resolve_inputs(
        _inputs(data),
        given,
        lambda value: context.render_value(value, context.base),
        files,
        store_file=store,
    )
    return {**execution, "inputs": resolved.values, "labels": dict(data.get("labels") or {})}


# -- which trigger started an execution ----------------------------------------------------------


@dataclass
class Triggered:
    """The trigger that starts an execution: its id, the `trigger` variable and its `inputs`;
    `skip` says why no execution is created (conditions that do not hold)."""

    trigger_id: str
    variables: dict[str, Any]
    inputs: Mapping[str, Any]
    skip: str | None = None


def _triggers(data: FlowData, kind: str) -> list[Mapping[str, Any]]:
    return [t for t in data.get("triggers") or () if t.get("type") == kind]


def _named(found: list[Mapping[str, Any]], trigger_id: Any) -> Mapping[str, Any] | None:
    if trigger_id is not None:
        return next((t for t in found if t["id"] == trigger_id), None)
    return found[0] if found else None


def by_schedule(data: FlowData, date: Any, trigger_id: str | None = None) -> Triggered | None:
    """The Schedule trigger that fired at `date` (an aware datetime): the one named, else the
    first whose cron gives `date`, else the first; `skip` when its conditions do not hold then.
    None when the flow has no Schedule trigger."""
    from datetime import timedelta

    from kflow.runtime_shims.schedule import Schedule, ScheduleError, conditions_pass

    schedules = [Schedule.from_trigger(_trigger(t)) for t in _triggers(data, SCHEDULE)]
    if trigger_id is not None:
        schedules = [s for s in schedules if s.trigger_id == trigger_id]
    if not schedules:
        return None
    after = date + timedelta(seconds=1)
    schedule = next((s for s in schedules if s.previous_before(after) == date), schedules[0])
    variables = schedule.variables(date)
    found = Triggered(schedule.trigger_id, variables, dict(schedule.inputs))
    if schedule.conditions:
        scope = {"trigger": variables, "flow": {"id": data["id"], "namespace": data["namespace"]}}
        try:
            holding = conditions_pass(schedule.conditions, date, scope)
        except ScheduleError as error:
            holding, why = False, f": {error}"
        else:
            why = ""
        if not holding:
            found.skip = (
                f"the conditions of the Schedule trigger '{schedule.trigger_id}' do not hold "
                f"on {variables['date']}{why}: no execution is created"
            )
    return found


def by_flow(data: FlowData, ended: Mapping[str, Any]) -> Triggered | None:
    """The Flow trigger an ended upstream execution (`executionId`, `namespace`, `flowId`,
    `state`, `outputs`, `labels`) starts: the first whose states and conditions it matches;
    `skip` when none does. None when the flow has no Flow trigger."""
    from kflow.runtime_shims.flow_trigger import Ended, FlowTriggerError, matches, variables

    found = _triggers(data, FLOW_TRIGGER)
    if not found:
        return None
    upstream = Ended(
        execution_id=str(ended.get("executionId") or ""),
        namespace=str(ended.get("namespace") or ""),
        flow_id=str(ended.get("flowId") or ""),
        state=str(ended.get("state") or ""),
        outputs=dict(ended.get("outputs") or {}),
        labels=dict(ended.get("labels") or {}),
        start_date=ended.get("startDate"),
        end_date=ended.get("endDate"),
    )
    problems = []
    for item in found:
        trigger = _trigger(item)
        try:
            if matches(trigger, data["namespace"], upstream, listener_flow_id=data["id"]):
                props = item.get("properties") or {}
                return Triggered(trigger.id, variables(upstream), dict(props.get("inputs") or {}))
        except FlowTriggerError as error:
            problems.append(str(error))
    why = f" ({'; '.join(problems)})" if problems else ""
    return Triggered(
        str(found[0]["id"]),
        variables(upstream),
        {},
        skip=(
            f"execution {upstream.execution_id} of {upstream.namespace}.{upstream.flow_id} "
            f"({upstream.state}) matches no Flow trigger{why}: no execution is created"
        ),
    )


def by_webhook(data: FlowData, payload: Mapping[str, Any]) -> Triggered | None:
    """The Webhook trigger a call starts (`payload`: `body`, `headers`, `parameters` and
    optionally the trigger `id`); the `trigger` variable is the call. None when the flow has no
    such Webhook trigger."""
    found = _named(_triggers(data, WEBHOOK), payload.get("id"))
    if found is None:
        return None
    variables = {
        "body": payload.get("body"),
        "headers": dict(payload.get("headers") or {}),
        "parameters": dict(payload.get("parameters") or {}),
    }
    props = found.get("properties") or {}
    return Triggered(str(found["id"]), variables, dict(props.get("inputs") or {}))


class Execution:
    """One execution as a task of a target sees it: render context, secrets and services."""

    def __init__(
        self,
        data: FlowData,
        execution: Mapping[str, Any],
        outputs: Mapping[str, Any],
        log: Log | None = None,
    ) -> None:
        from kflow.runtime_shims.engine import nested_labels

        self.data = data
        self.execution = execution
        self.masker = Masker()
        self._log = log or (lambda level, message: None)
        for spec in data.get("inputs", ()):
            if str(spec.get("type", "")).upper() == "SECRET":
                self.masker.add((execution.get("inputs") or {}).get(spec["id"]))
        self.services = Services(
            secret=env_secret, read=self._read_file, kv=self._kv, on_secret=self.masker.add
        )
        self.base: dict[str, Any] = {
            "flow": {"id": data["id"], "namespace": data["namespace"], "revision": 1},
            "execution": {
                "id": execution["id"],
                "startDate": execution.get("startDate"),
                "state": "RUNNING",
                "originalId": execution["id"],
            },
            "inputs": dict(execution.get("inputs") or {}),
            "vars": dict(data.get("variables") or {}),
            "labels": nested_labels(dict(execution.get("labels") or data.get("labels") or {})),
            "envs": env_variables(),
            "outputs": dict(outputs),
        }
        if execution.get("trigger") is not None:
            self.base["trigger"] = dict(execution["trigger"])
        self._storage: Any = None
        # Lets `outputs.my-task` read the task `my-task` (not `outputs.my - task`), as the
        # runner does; a task only reads the outputs it was given.
        self.task_ids = frozenset(outputs)

    # -- templates -------------------------------------------------------------------------------

    def render_value(self, value: Any, variables: Mapping[str, Any]) -> Any:
        return render_value(value, variables, services=self.services, task_ids=self.task_ids)

    def variables(
        self,
        task_id: str,
        task_type: str,
        value: str | None = None,
        iteration: int | None = None,
        run_id: str | None = None,
        attempts: int = 0,
        loop: str | None = None,
    ) -> dict[str, Any]:
        """The render context of one task run: `taskrun.value` set for a loop's direct child;
        below a flowable inside a loop (`loop` without `value`), `parent.taskrun.value`."""
        taskrun: dict[str, Any] = {"id": run_id or new_id(), "attemptsCount": attempts}
        if value is not None:
            taskrun["value"] = value
            taskrun["iteration"] = iteration
        variables = dict(self.base)
        variables["task"] = {"id": task_id, "type": task_type}
        variables["taskrun"] = taskrun
        if loop is not None and value is None:
            variables["parent"] = {"taskrun": {"value": loop}}
            variables["parents"] = [variables["parent"]]
        return variables

    def holds(self, templates: Iterable[str], variables: dict[str, Any]) -> bool:
        """True when every template renders truthy (a `runIf`, an If's condition)."""
        return all(
            is_truthy(evaluate(t, variables, services=self.services, task_ids=self.task_ids))
            if isinstance(t, str)
            else is_truthy(t)
            for t in templates
        )

    def render_text(self, template: Any, variables: dict[str, Any]) -> str:
        return str(render(str(template), variables, services=self.services, task_ids=self.task_ids))

    def loop_values(self, raw: Any, variables: dict[str, Any]) -> list[str]:
        """The distinct values a ForEach iterates over (as `taskrun.value` strings)."""
        from kflow.runtime_shims.engine import TaskStopped
        from kflow.runtime_shims.flowables import loop_values

        rendered = (
            evaluate(raw, variables, services=self.services, task_ids=self.task_ids)
            if isinstance(raw, str)
            else self.render_value(raw, variables)
        )
        try:
            return loop_values(rendered)
        except TaskStopped as error:
            raise TaskFailure(str(error)) from None

    # -- running a task --------------------------------------------------------------------------

    def run(
        self,
        task_id: str,
        task_type: str,
        properties: Mapping[str, Any],
        *,
        run_if: Iterable[str] = (),
        value: str | None = None,
        iteration: int | None = None,
        attempt: int = 1,
        allow_failure: bool = False,
        allow_warning: bool = False,
        last_attempt: bool = True,
        timeout: str | None = None,
        loop: str | None = None,
        on_start: Callable[[TaskContext], None] | None = None,
    ) -> TaskRun:
        """Run one runnable task; with `last_attempt=False` a failure stays FAILED (to retry);
        with `timeout` (ISO-8601) it is stopped and FAILED after that long, as in the runner."""
        run_id = new_id()
        variables = self.variables(task_id, task_type, value, iteration, run_id, attempt - 1, loop)
        record = TaskRun(task_id, SUCCESS, {}, run_id, value, iteration, attempt)
        try:
            if run_if and not self.holds(run_if, variables):
                record.state = SKIPPED
                return record
        except TemplateError as error:
            return self._failed(record, f"runIf: {error}")
        context = self.task_context(task_id, task_type, run_id, variables)
        if on_start is not None:  # the target keeps a way to stop the task (`context.stop`)
            on_start(context)
        state, outputs, message = invoke(task_type, context, dict(properties), timeout)
        record.state, record.outputs = state, outputs or {}
        if message is not None:
            self.log("ERROR" if state == FAILED else "WARN", message)
        if state == FAILED:
            record.error = self.masker(message or "failed")
        if last_attempt or state != FAILED:
            record.state = settle(state, allow_failure, allow_warning)
        return record

    def _failed(self, record: TaskRun, message: str) -> TaskRun:
        record.state = FAILED
        record.error = self.masker(message)
        self.log("ERROR", record.error)
        return record

    def task_context(
        self, task_id: str, task_type: str, run_id: str, variables: dict[str, Any]
    ) -> TaskContext:
        """The `TaskContext` a task implementation runs with."""
        context = TaskContext(
            execution_id=self.execution["id"],
            namespace=self.data["namespace"],
            flow_id=self.data["id"],
            task_id=task_id,
            task_run_id=run_id,
            task_type=task_type,
            variables=variables,
            storage=self.storage,
            log=lambda level, message: self.log(level, message),
            renderer=self.render_value,
        )
        context.services = {
            "state": self.state_store(),
            "templating": self.services,
            "set_labels": lambda labels: None,
            "cancelled": context.cancelled,
            "mask": self.masker,
        }
        return context

    def flow_outputs(self) -> dict[str, Any]:
        """The flow's `outputs`, rendered against every task output."""
        from kflow.runtime_shims.engine import _coerce_output

        result: dict[str, Any] = {}
        for output in self.data.get("outputs", ()):
            rendered = self.render_value(output["value"], self.base)
            result[output["id"]] = _coerce_output(output["id"], output["type"], rendered)
        return result

    def log(self, level: str, message: str) -> None:
        self._log(level, self.masker(str(message)))

    # -- services --------------------------------------------------------------------------------

    @property
    def storage(self) -> Any:
        if self._storage is None:
            self._storage = storage()
        return self._storage

    def state_store(self) -> Any:
        from kflow.runtime_shims.state import StateStore, state_dir

        return StateStore(state_dir())

    def _read_file(self, path: str) -> str:
        return str(self.storage.path(path).read_text(encoding="utf-8"))

    def _kv(self, key: str, namespace: str | None = None) -> Any:
        found, value = self.state_store().kv_get(namespace or self.data["namespace"], key)
        return value if found else None


def invoke(
    task_type: str, context: TaskContext, props: dict[str, Any], timeout: str | None = None
) -> tuple[str, dict[str, Any] | None, str | None]:
    """Call the implementation of `task_type`, stopped after `timeout` (ISO-8601) if given:
    (state, outputs, message to log). Never raises for a failure of the task itself."""
    from kflow.runtime_shims.tasks import implementation

    found = implementation(task_type)
    if found is None:
        return FAILED, None, f"task type {task_type} cannot run in kflow yet"
    try:
        return _outcome(found, context, props, timeout)
    finally:
        if context.temporary_workdir and context.workdir is not None:
            shutil.rmtree(context.workdir, ignore_errors=True)


def _outcome(
    found: Callable[[TaskContext, dict[str, Any]], Any],
    context: TaskContext,
    props: dict[str, Any],
    timeout: str | None,
) -> tuple[str, dict[str, Any] | None, str | None]:
    try:
        if timeout:
            result = _call_with_timeout(found, context, props, timeout)
        else:
            result = found(context, props)
    except TaskWarning as warning:
        return WARNING, dict(warning.outputs), str(warning)
    except (TaskFailure, TemplateError, TimeoutError) as error:
        return FAILED, None, str(error)
    except Exception as error:  # a bug or an outside failure: the task fails, the run goes on
        message = f"{type(error).__name__}: {error}"
        if os.environ.get("KFLOW_DEBUG") == "1":
            message += "\n" + traceback.format_exc()
        return FAILED, None, message
    return SUCCESS, dict(result) if result else {}, None


def _call_with_timeout(
    found: Callable[[TaskContext, dict[str, Any]], Any],
    context: TaskContext,
    props: dict[str, Any],
    timeout: str,
) -> Any:
    from kflow.runtime_shims.durations import parse_duration

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = found(context, props)
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=target, name=f"task-{context.task_id}", daemon=True)
    thread.start()
    thread.join(parse_duration(timeout))
    if thread.is_alive():
        context.stop()
        raise TimeoutError(f"timed out after {timeout}")
    if "error" in box:
        raise box["error"]
    return box.get("result")


def settle(state: str, allow_failure: bool, allow_warning: bool) -> str:
    """A task run's final state after `allowFailure` (FAILED → WARNING) and `allowWarning`."""
    if state == FAILED and allow_failure:
        state = WARNING
    if state == WARNING and allow_warning:
        state = SUCCESS
    return state


# -- a whole execution from its task runs --------------------------------------------------------

#: The flowable that turns its children's failure into a WARNING.
ALLOW_FAILURE = "io.kestra.plugin.core.flow.AllowFailure"


def tree(flow: ir.Flow) -> dict[str, list[dict[str, Any]]]:
    """The task tree a compiled flow carries, to tell its final state and its flowables' states:
    `{"tasks": [...], "errors": [...], "finally": [...]}` of `{"id", "type", "branches", …}`."""

    def node(task: ir.Task) -> dict[str, Any]:
        found: dict[str, Any] = {"id": task.id, "type": task.type}
        if task.allow_failure:
            found["allowFailure"] = True
        if task.allow_warning:
            found["allowWarning"] = True
        branches: dict[str, list[dict[str, Any]]] = {}
        for branch in task.branches:
            branches.setdefault(branch.name, []).extend(
                node(t) for t in branch.tasks if not t.disabled
            )
        if branches:
            found["branches"] = branches
        return found

    return {
        name: [node(t) for t in tasks if not t.disabled]
        for name, tasks in (
            ("tasks", flow.tasks),
            ("errors", flow.errors),
            ("finally", flow.finally_),
        )
    }


def assemble(
    blocks: Mapping[str, list[dict[str, Any]]], records: Mapping[str, list[TaskRun]]
) -> tuple[str, list[TaskRun]]:
    """The final state and every task run of an execution, from the runs a target recorded:
    one per runnable task run and per flowable decision (If, Switch, ForEach). A flowable's state
    is its children's worst, as in the runner; a task with no run was never created."""
    runs: list[TaskRun] = []
    every = object()  # no loop value to match: the runs of every iteration

    def visit(node: Mapping[str, Any], loop: Any = every) -> list[str]:
        own = [r for r in records.get(node["id"], ()) if loop is every or r.loop == loop]
        branches = node.get("branches")
        if not branches:
            runs.extend(own)
            return [run.state for run in own]
        if len(own) > 1:  # a flowable inside a loop: one run per iteration, with its children
            return [s for run in own for s in flowable(node, branches, [run], run.loop)]
        return flowable(node, branches, own, loop)

    def flowable(
        node: Mapping[str, Any], branches: Mapping[str, Any], own: list[TaskRun], loop: Any
    ) -> list[str]:
        index = len(runs)
        children = [
            s for branch in branches.values() for child in branch for s in visit(child, loop)
        ]
        if not own and not children:
            return []
        run = own[0] if own else TaskRun(node["id"], SUCCESS, {})
        if run.state not in (FAILED, SKIPPED):
            state = worst(children)
            if node["type"] == ALLOW_FAILURE and state == FAILED:
                state = WARNING
            run.state = settle(
                state, node.get("allowFailure", False), node.get("allowWarning", False)
            )
        runs.insert(index, run)
        return [run.state]

    states = [
        s for name in ("tasks", "errors", "finally") for n in blocks.get(name, ()) for s in visit(n)
    ]
    return worst(states), runs


def report(
    flow: ir.Flow,
    execution: Mapping[str, Any] | None,
    records: Mapping[str, list[TaskRun]],
    end: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of an execution a target ran, in the shape of the runner's `--output json`:
    its state is the one the target's end task recorded (`end`), else the task runs' worst."""
    state, runs = assemble(tree(flow), records)
    if execution is None:
        state = FAILED  # the execution never started: its inputs were refused
    if end is not None and end.get("state"):
        state = end["state"]
    return {
        "id": (execution or {}).get("id"),
        "namespace": flow.namespace,
        "flowId": flow.id,
        "state": state,
        "inputs": (execution or {}).get("inputs", {}),
        "outputs": dict((end or {}).get("outputs") or {}),
        "error": (end or {}).get("error") or next((r.error for r in runs if r.error), None),
        "taskRuns": [
            {
                "id": run.id,
                "taskId": run.task_id,
                "parentTaskRunId": None,
                "value": run.value,
                "state": run.state,
                "attempts": [{"state": run.state}] * max(run.attempts, 1) if run.id else [],
                "outputs": run.outputs,
            }
            for run in runs
        ],
    }

"""The operators compiled Airflow DAGs use: each runs one Kestra task through the runtime shim.

A compiled DAG is plain Airflow: these operators, `TaskGroup`s, trigger rules and dynamic task
mapping. What runs inside a task is kflow's: Kestra templates are rendered by the shim (never by
Airflow's Jinja: no operator here has template fields, except the loop value a mapped task
receives), and each Kestra task run is stored as the XCom `kestra` of its task instance
(`step.TaskRun`): state, outputs, error. A task reads the `kestra` XComs of exactly the tasks
the compiler found it reads, and nothing else.

- execution start, inputs → `KestraStart` (`_kflow_start`): checks the DAG params;
- a runnable task → `KestraTask`;
- If, Switch → `KestraBranch`, then a join with `none_failed_min_one_success`;
- ForEach → `KestraValues`, then a task group mapped over its result;
- Subflow → `KestraSubflow` (a `TriggerDagRunOperator`), then `KestraSubflowWait`;
- errors, finally → a `KestraGate` before the handlers;
- final state, flow outputs → `KestraEnd` (`_kflow_end`, `all_done`): fails the run when FAILED;
- the end's asset event (for Flow triggers) → `KestraEnded` (`_kflow_ended`, a teardown).

Importing this module costs only `airflow.sdk` (already loaded by the DAG file); kflow's
compiler and task implementations are imported when a task runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import BaseBranchOperator, BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

#: XCom key of a Kestra task run (`step.TaskRun.to_json()`).
RECORD = "kestra"
#: XCom key of the branch an If or Switch chose (`then`, `else`, `case:<key>`, `defaults`).
CHOSEN_KEY = "kestra_branch"
#: XCom key a Subflow's trigger sets when its `runIf` is false.
SKIPPED_KEY = "kestra_skipped"
START = "_kflow_start"
END = "_kflow_end"
#: The conf key of a run started in place of a Webhook trigger (`body`, `headers`, `parameters`).
TRIGGER_CONF = "kestra_trigger"

FAILED = "FAILED"
SKIPPED = "SKIPPED"


class _Kestra(BaseOperator):
    """What every kflow operator knows: the flow's literal data and the Kestra task it runs."""

    # Only the loop value a task of a mapped group receives: it is resolved, never Jinja-rendered.
    template_fields: Sequence[str] = ("loop",)
    ui_color = "#c8b6ff"

    def __init__(
        self,
        *,
        flow: Mapping[str, Any],
        kestra_type: str = "",
        properties: Mapping[str, Any] | None = None,
        reads: Sequence[str] = (),
        run_if: Sequence[str] = (),
        allow_failure: bool = False,
        allow_warning: bool = False,
        loop: Any = None,
        loop_direct: bool = False,
        branch: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.branch = None if branch is None else tuple(branch)
        self.flow = flow
        self.kestra_type = kestra_type
        self.properties = dict(properties or {})
        self.reads = tuple(reads)
        self.run_if = tuple(run_if)
        self.allow_failure = allow_failure
        self.allow_warning = allow_warning
        self.loop = loop
        self.loop_direct = loop_direct

    def pre_execute(self, context: Any) -> None:
        """Inside a loop iteration, a task of an If/Switch branch that was not chosen skips
        itself: Airflow's branch skipping does not reach the tasks of a mapped task group."""
        if self.branch is not None:
            from airflow.sdk.exceptions import AirflowSkipException

            branch_id, key = self.branch
            ti = context["ti"]  # the If of the same iteration: the same map index
            chosen = ti.xcom_pull(task_ids=branch_id, key=CHOSEN_KEY, map_indexes=ti.map_index)
            if chosen != key:
                raise AirflowSkipException(f"{branch_id} chose {chosen!r}, not {key!r}")

    def execution(self, context: Any, records: Mapping[str, list[Any]] | None = None) -> Any:
        """The shim's view of this DAG run, with the outputs of the tasks this one reads (or of
        every task in `records`)."""
        from kflow.runtime_shims.step import Execution

        ti = context["ti"]
        started = ti.xcom_pull(task_ids=START)
        if records is None:
            records = read_records(ti, self.reads)
        return Execution(self.flow, started, outputs_of(records), log=self._kestra_log)

    def _kestra_log(self, level: str, message: str) -> None:
        method = {"ERROR": self.log.error, "WARN": self.log.warning, "DEBUG": self.log.debug}
        method.get(level, self.log.info)("%s", message)

    def loop_value(self) -> tuple[str | None, int | None]:
        """`taskrun.value` and `taskrun.iteration` of a task inside a ForEach iteration."""
        if self.loop is None or not self.loop_direct:
            return None, None
        return str(self.loop), None

    def variables(self, run: Any) -> dict[str, Any]:
        """The render context of this operator's Kestra task (a flowable's decision)."""
        value, iteration = self.loop_value()
        loop = None if self.loop is None else str(self.loop)
        return dict(run.variables(self.task_id, self.kestra_type, value, iteration, loop=loop))

    def decide(self, context: Any, take: Callable[[Any, dict[str, Any], Any], Any]) -> Any:
        """A flowable's decision as its Kestra task run: `take(run, variables, record)`'s result;
        None (the run SKIPPED) when `runIf` is false; a FAILED run, and the task fails, when it
        cannot be taken (a template error, a Switch with no case)."""
        from kflow.runtime_shims.context import TaskFailure
        from kflow.runtime_shims.step import TaskRun
        from kflow.runtime_shims.templating import TemplateError

        run = self.execution(context)
        variables = self.variables(run)
        found = TaskRun(self.task_id, "RUNNING", {})
        try:
            if self.run_if and not run.holds(self.run_if, variables):
                found.state = SKIPPED
                self.record(context, found)
                return None
            result = take(run, variables, found)
        except (TemplateError, TaskFailure, ValueError, AirflowException) as error:
            found.state, found.error = FAILED, run.masker(str(error))
            self.record(context, found)
            raise AirflowException(found.error) from None
        self.record(context, found)
        return result

    def record(self, context: Any, run: Any) -> None:
        if self.loop is not None:
            run.loop = str(self.loop)
            if self.loop_direct:
                run.value, run.iteration = run.loop, context["ti"].map_index
        context["ti"].xcom_push(key=RECORD, value=run.to_json())


class KestraStart(_Kestra):
    """Creates the Kestra execution: checks and coerces the inputs given as DAG params, and
    gives it the `trigger` variable of the trigger that started the DAG run:

    - a scheduled (or backfill) run: the Schedule trigger whose cron gives the logical date
      (`trigger.date`); when its conditions do not hold, the run skips all its tasks;
    - a run of the assets of an upstream flow's end: the Flow trigger its end matches (the
      execution's id, namespace, flowId, state and outputs from the asset event's `extra`);
      when none does, the run skips all its tasks;
    - a run whose conf holds `kestra_trigger` (`body`, `headers`, `parameters`): the Webhook.
    """

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSkipException

        from kflow.runtime_shims.inputs import InputError
        from kflow.runtime_shims.step import start

        triggered = self.triggered(context)
        if triggered is not None and triggered.skip:
            raise AirflowSkipException(triggered.skip)
        params = {spec["id"]: context["params"].get(spec["id"]) for spec in self.flow["inputs"]}
        try:
            return start(self.flow, params, trigger=triggered)
        except InputError as error:
            raise AirflowFailException(f"invalid inputs: {error}") from None

    def triggered(self, context: Any) -> Any:
        """The trigger that started this DAG run (`step.Triggered`), None for a manual run."""
        from kflow.runtime_shims import step

        if not self.flow.get("triggers"):
            return None
        run = context["dag_run"]
        kind = str(getattr(run.run_type, "value", run.run_type))
        try:
            if kind in ("scheduled", "backfill") and run.logical_date is not None:
                return step.by_schedule(self.flow, run.logical_date)
            if kind == "asset_triggered":
                ended = upstream_end(context.get("triggering_asset_events") or {})
                return None if ended is None else step.by_flow(self.flow, ended)
        except ValueError as error:  # a schedule or a condition that cannot be evaluated
            raise AirflowFailException(f"trigger: {error}") from None
        payload = (run.conf or {}).get(TRIGGER_CONF)
        if isinstance(payload, Mapping):
            return step.by_webhook(self.flow, payload)
        return None


class KestraTask(_Kestra):
    """One runnable Kestra task (Log, Return, an HTTP request, a script, …)."""

    _stop: Any = None

    def on_kill(self) -> None:
        """Airflow stops the task (timeout, mark failed): stop what it started (a process)."""
        if self._stop is not None:
            self._stop()

    def execute(self, context: Any) -> None:
        from kflow.runtime_shims.step import TaskRun

        ti = context["ti"]
        run = self.execution(context)
        last = ti.try_number > self.retries
        value = str(self.loop) if self.loop is not None else None
        try:
            found = run.run(
                self.task_id,
                self.kestra_type,
                self.properties,
                run_if=self.run_if,
                value=value if self.loop_direct else None,
                iteration=ti.map_index if self.loop_direct else None,
                attempt=ti.try_number,
                allow_failure=self.allow_failure,
                allow_warning=self.allow_warning,
                last_attempt=last,
                loop=None if self.loop is None else str(self.loop),
                on_start=self._keep_stop,
            )
        except BaseException as error:  # Airflow's timeout is a BaseException: record it
            if type(error).__name__ != "AirflowTaskTimeout":
                raise
            found = TaskRun(self.task_id, FAILED, {}, error=f"timed out: {error}")
            found.attempts = ti.try_number
            if not (last and self.allow_failure):
                self.record(context, found)
                raise
            found.state = "WARNING"  # allowFailure, after the last attempt
            self.record(context, found)
            return
        self.record(context, found)
        if found.state == FAILED:
            raise AirflowException(found.error or "failed")

    def _keep_stop(self, context: Any) -> None:
        self._stop = context.stop


class KestraBranch(_Kestra, BaseBranchOperator):
    """If and Switch: picks the branch to follow; the others are skipped (not created)."""

    def __init__(self, *, branches: Mapping[str, Sequence[str]], join: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.branches = {k: list(v) for k, v in branches.items()}
        self.join = join

    def choose_branch(self, context: Any) -> list[str]:
        chosen = self.decide(context, self._choose)
        if chosen is None:  # runIf is false: no branch runs
            return [self.join]
        context["ti"].xcom_push(key=CHOSEN_KEY, value=chosen)
        return [*self.branches.get(chosen, ()), self.join]

    def _choose(self, run: Any, variables: dict[str, Any], found: Any) -> str:
        if self.kestra_type.endswith(".If"):
            result = run.holds([self.properties.get("condition")], variables)
            found.outputs = {"evaluationResult": result}
            return "then" if result else "else"
        value = run.render_text(self.properties.get("value", ""), variables)
        cases = [k for k in self.branches if k.startswith("case:")]
        chosen = f"case:{value}"
        found.outputs = {"value": value, "defaults": chosen not in cases}
        if chosen in cases:
            return chosen
        if "defaults" not in self.branches:
            raise AirflowException(f"no case matches the value '{value}' and there are no defaults")
        return "defaults"


class KestraValues(_Kestra):
    """ForEach: renders `values`; the iterations are a task group mapped over the result."""

    def execute(self, context: Any) -> list[str]:
        def values(run: Any, variables: dict[str, Any], found: Any) -> list[str]:
            raw = self.properties.get("values", self.properties.get("value"))
            return list(run.loop_values(raw, variables))

        return self.decide(context, values) or []


class KestraGate(_Kestra):
    """Where `errors` or `finally` start (`all_done` after the block they guard): goes on when a
    task of the block failed (errors) or ran at all (finally), else is skipped, and the handlers
    with it — a block that never started (a branch not taken) has neither."""

    def __init__(self, *, kind: str, scope: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.scope = list(scope)

    def execute(self, context: Any) -> None:
        from airflow.sdk.exceptions import AirflowSkipException

        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
        found = [s for key, s in states.items() if _kestra_id(key, self.scope) in self.scope]
        wanted = ("failed",) if self.kind == "errors" else ("success", "failed")
        if not any(state in wanted for state in found):
            raise AirflowSkipException(
                f"no task of the block {'failed' if self.kind == 'errors' else 'ran'}"
            )


class KestraEnd(_Kestra):
    """The end of the execution: its Kestra state and the flow's outputs; a FAILED execution
    fails the DAG run. Runs whatever happened before it (`all_done`)."""

    def __init__(self, *, tree: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tree = tree

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSkipException

        from kflow.runtime_shims.step import TaskRun, assemble

        ti = context["ti"]
        ids = list(_ids(self.tree))
        states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
        if ti.xcom_pull(task_ids=START) is None:
            if states.get(START) == "skipped":  # the trigger's conditions do not hold
                raise AirflowSkipException("no execution: the trigger's conditions do not hold")
            # the inputs were refused: nothing ran
            ti.xcom_push(key=RECORD, value={"state": FAILED, "outputs": {}, "error": "no start"})
            raise AirflowFailException("the execution did not start: its inputs were refused")
        records = read_records(ti, ids)
        # A task that failed without recording its run (killed, out of memory, a subflow that
        # could not be triggered) still failed: `child.trigger` is part of the task `child`.
        for airflow_id, state in states.items():
            task_id = _kestra_id(airflow_id, ids)
            if state == "failed" and task_id in ids and task_id not in records:
                records[task_id] = [TaskRun(task_id, FAILED, {}, error="failed in Airflow")]
        state, _ = assemble(self.tree, records)
        result: dict[str, Any] = {"state": state, "outputs": {}}
        if state in ("SUCCESS", "WARNING") and self.flow.get("outputs"):
            run = self.execution(context, records)
            try:
                result["outputs"] = run.flow_outputs()
            except Exception as error:  # a template or a type that does not fit
                result["state"] = FAILED
                result["error"] = run.masker(f"flow outputs: {error}")
        ti.xcom_push(key=RECORD, value=result)
        if result["state"] == FAILED:
            raise AirflowFailException(result.get("error") or "the execution FAILED")
        return result


class KestraEnded(_Kestra):
    """After `_kflow_end`: the asset event of the execution's end state, on the flow's asset
    alias (`outlets`): the asset `<alias>/<STATE>` gets one event whose `extra` holds the
    execution's `executionId`, `namespace`, `flowId`, `state`, `outputs`, `labels`; the assets of
    the other states get none. A teardown task: its own state never changes the DAG run's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from airflow.sdk import TriggerRule

        # Runs once `_kflow_end` is done, whatever its state (which decides the DAG run's).
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS

    def execute(self, context: Any) -> None:
        from airflow.sdk import Asset, AssetAlias
        from airflow.sdk.exceptions import AirflowSkipException

        ti = context["ti"]
        end = ti.xcom_pull(task_ids=END, key=RECORD)
        started = ti.xcom_pull(task_ids=START)
        if not isinstance(end, Mapping) or not isinstance(started, Mapping):
            raise AirflowSkipException("no execution ended: no event")
        alias = next(o for o in self.outlets if isinstance(o, AssetAlias))
        state = str(end.get("state") or FAILED)
        extra = {
            "executionId": started.get("id"),
            "namespace": self.flow["namespace"],
            "flowId": self.flow["id"],
            "state": state,
            "outputs": dict(end.get("outputs") or {}),
            "labels": dict(started.get("labels") or {}),
            "startDate": started.get("startDate"),
        }
        context["outlet_events"][alias].add(Asset(f"{alias.name}/{state}"), extra=extra)


def upstream_end(events: Mapping[Any, Sequence[Any]]) -> dict[str, Any] | None:
    """The upstream execution end a DAG run was started by: the latest Kestra asset event
    among the run's triggering asset events (its `extra`)."""
    found = [
        event
        for queue in events.values()
        for event in queue
        if isinstance(getattr(event, "extra", None), Mapping) and "executionId" in event.extra
    ]
    if not found:
        return None
    latest = max(found, key=lambda event: event.timestamp)
    return dict(latest.extra)


def _kestra_id(airflow_id: str, ids: list[str]) -> str:
    """The Kestra task of an Airflow task id as `get_task_states` keys it: `child.trigger` is
    part of `child`, and a mapped instance is `task_<map index>`."""
    base = airflow_id.split(".")[0]
    if base not in ids and "_" in base and base.rsplit("_", 1)[1].isdigit():
        base = base.rsplit("_", 1)[0]
    return base


def _ids(tree: Mapping[str, Any]) -> Iterable[str]:
    def walk(nodes: Iterable[Mapping[str, Any]]) -> Iterable[str]:
        for node in nodes:
            yield node["id"]
            for branch in node.get("branches", {}).values():
                yield from walk(branch)

    for nodes in tree.values():
        yield from walk(nodes)


def read_records(ti: Any, task_ids: Iterable[str]) -> dict[str, list[Any]]:
    """The Kestra task runs recorded by `task_ids` (every map index of a mapped task)."""
    from kflow.runtime_shims.step import TaskRun

    found: dict[str, list[Any]] = {}
    for task_id in task_ids:
        pulled = ti.xcom_pull(task_ids=task_id, key=RECORD)  # every map index
        items = pulled if isinstance(pulled, (list, tuple)) or _is_sequence(pulled) else [pulled]
        runs = [TaskRun.from_json(item) for item in items if isinstance(item, Mapping)]
        if runs:
            found[task_id] = runs
    return found


def outputs_of(records: Mapping[str, list[Any]]) -> dict[str, Any]:
    """The `outputs` variable from task runs: `outputs.id`, or `outputs.id[value]` for the runs
    of a task inside a ForEach."""
    outputs: dict[str, Any] = {}
    for task_id, runs in records.items():
        for run in runs:
            if run.loop is None:
                outputs[task_id] = run.outputs
            else:
                outputs.setdefault(task_id, {})[run.loop] = run.outputs
    return outputs


def _is_sequence(value: Any) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, (str, bytes, Mapping))


def _subflow_class() -> type:
    """`KestraSubflow`, built on first use: the DAGs without a Subflow never import
    `TriggerDagRunOperator`."""
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    class KestraSubflow(_Kestra, TriggerDagRunOperator):
        """Subflow, first half: triggers the child flow's DAG with the rendered `inputs` as
        conf (never Jinja-rendered by Airflow: `template_fields` stays empty)."""

        def execute(self, context: Any) -> Any:
            from kflow.runtime_shims.templating import TemplateError

            run = self.execution(context)
            variables = self.variables(run)
            try:
                if self.run_if and not run.holds(self.run_if, variables):
                    context["ti"].xcom_push(key=SKIPPED_KEY, value=True)
                    return None  # runIf is false: no child run; the wait task records SKIPPED
                self.conf = run.render_value(self.properties.get("inputs") or {}, variables)
            except TemplateError as error:
                raise AirflowFailException(f"inputs: {run.masker(str(error))}") from None
            return super().execute(context)

    KestraSubflow.__module__ = __name__
    return KestraSubflow


_LAZY: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "KestraSubflow":
        if name not in _LAZY:
            _LAZY[name] = _subflow_class()
        return _LAZY[name]
    raise AttributeError(name)


class KestraSubflowWait(_Kestra):
    """Subflow, second half (the Kestra task run): waits for the child DAG run unless
    `wait: false`, then records `executionId`, `state` and the child's flow `outputs`; with
    `transmitFailed` (default), a FAILED child fails it and a WARNING child warns it."""

    def __init__(self, *, trigger: str, child_dag_id: str, poll: float = 2.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.trigger = trigger
        self.child_dag_id = child_dag_id
        self.poll = poll

    def execute(self, context: Any) -> None:
        import time

        from kflow.runtime_shims.step import TaskRun, settle

        ti = context["ti"]
        found = TaskRun(self.task_id, "SUCCESS", {}, attempts=ti.try_number)
        if ti.xcom_pull(task_ids=self.trigger, key=SKIPPED_KEY):
            found.state = SKIPPED
            self.record(context, found)
            return
        run = self.execution(context)
        variables = self.variables(run)
        wait = _flag(run.render_value(self.properties.get("wait"), variables), True)
        transmit = _flag(run.render_value(self.properties.get("transmitFailed"), variables), True)
        run_id = ti.xcom_pull(task_ids=self.trigger, key="trigger_run_id")
        if not wait:
            found.outputs = {"state": "RUNNING", "outputs": {}}
            self.record(context, found)
            return
        while True:
            try:
                state = ti.get_dagrun_state(dag_id=self.child_dag_id, run_id=run_id)
            except Exception:  # not visible yet (or being re-created): look again
                state = None
            if state in ("success", "failed"):
                break
            time.sleep(self.poll)
        started = ti.xcom_pull(dag_id=self.child_dag_id, run_id=run_id, task_ids=START) or {}
        end = ti.xcom_pull(dag_id=self.child_dag_id, run_id=run_id, task_ids=END, key=RECORD)
        end = end or {"state": FAILED if state == "failed" else "SUCCESS", "outputs": {}}
        found.outputs = {
            "executionId": started.get("id"),
            "state": end["state"],
            "outputs": end.get("outputs") or {},
        }
        if transmit and end["state"] in (FAILED, "KILLED"):
            found.state = FAILED
            found.error = f"subflow execution {started.get('id')} ended {end['state']}"
        elif transmit and end["state"] == "WARNING":
            found.state = "WARNING"
        last = ti.try_number > self.retries
        if last or found.state != FAILED:
            found.state = settle(found.state, self.allow_failure, self.allow_warning)
        self.record(context, found)
        if found.state == FAILED:
            raise AirflowException(found.error)


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"

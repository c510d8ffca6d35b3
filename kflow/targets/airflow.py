"""The `airflow` target: one Airflow 3 DAG file per flow, on `airflow.sdk`.

The DAG is what an Airflow engineer would write by hand: operators chained with `>>`, a
`TaskGroup` per Parallel/Sequential/Dag, branching with a join for If/Switch, a mapped task group
for ForEach, trigger rules for `errors` and `finally`, `Param`s for inputs. Each Kestra task is one
operator of `kflow.runtime_shims.airflow` holding its literal properties; `docs/engines.md` maps
every construct.

No flow content reaches the generated code except as a Python literal (`repr` of plain data) or
as an identifier made of `[A-Za-z0-9_]`: a description, property or id cannot inject code.
Constructs Airflow cannot express are KF401 errors; approximations are KF402 warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kflow.compiler import ir
from kflow.compiler.diagnostics import Diagnostic
from kflow.runtime_shims.step import FLOW_TRIGGER, SCHEDULE, WEBHOOK
from kflow.targets import Emitted
from kflow.targets.ir import flow_path
from kflow.targets.pysource import Identifiers, fixed_seconds, literal

if TYPE_CHECKING:
    from kflow.runtime_shims.schedule import Schedule

CORE = "io.kestra.plugin.core.flow."
PARALLEL = {CORE + "Parallel"}
SEQUENTIAL = {CORE + "Sequential"}
DAG = {CORE + "Dag"}
BRANCHING = {CORE + "If", CORE + "Switch"}
LOOPS = {CORE + "ForEach", CORE + "EachSequential", CORE + "EachParallel"}
PAUSE = CORE + "Pause"
START, END, ENDED = "_kflow_start", "_kflow_end", "_kflow_ended"
ERRORS_GATE, FINALLY_GATE = "_kflow_errors", "_kflow_finally"
#: The first date of a DAG that has no schedule (any past date: it never backfills).
START_DATE = "pendulum.datetime(2024, 1, 1, tz='UTC')"

PARAM_TYPES = {
    "STRING": "string",
    "SECRET": "string",
    "EMAIL": "string",
    "URI": "string",
    "DATETIME": "string",
    "DATE": "string",
    "TIME": "string",
    "DURATION": "string",
    "SELECT": "string",
    "ENUM": "string",
    "FILE": "string",
    "INT": "integer",
    "FLOAT": "number",
    "BOOLEAN": "boolean",
    "BOOL": "boolean",
    "ARRAY": "array",
    "MULTISELECT": "array",
}


RESERVED = (
    *("dag", "start", "end", "loop", "pendulum", "timedelta", "float", "FLOW", "TREE"),
    *("DAG", "Param", "TaskGroup", "task_group", "EmptyOperator"),
    *("Asset", "AssetAlias", "AssetAll", "AssetAny", "AssetOrTimeSchedule"),
    *("CronTriggerTimetable", "MultipleCronTriggerTimetable"),
)
#: The asset scheme of Kestra executions: `kestra://<namespace>/<flowId>/<STATE>`.
ASSET_SCHEME = "kestra://"
#: The states an execution ends in: each has an asset per flow.
END_STATES = ("SUCCESS", "WARNING", "FAILED", "KILLED")
#: The condition types that name upstream flows (namespace and flowId).
FLOW_CONDITIONS = {
    "io.kestra.plugin.core.condition.ExecutionFlow",
    "io.kestra.plugin.core.condition.FlowCondition",
    "io.kestra.plugin.core.condition.Execution",
}
CONDITION = "io.kestra.plugin.core.condition."


def asset_uri(namespace: str, flow_id: str, state: str | None = None) -> str:
    """The asset of a flow's executions ending in `state` (without: the flow's asset alias)."""
    base = f"{ASSET_SCHEME}{namespace}/{flow_id}"
    return base if state is None else f"{base}/{state}"


def dag_id(flow: ir.Flow) -> str:
    """The DAG id of a flow: `namespace__id` (both are made of `[A-Za-z0-9._-]`)."""
    return f"{flow.namespace}__{flow.id}"


@dataclass(frozen=True)
class _Where:
    """Where a task is emitted: its indentation, the loop it is in, the retry it inherits."""

    indent: int = 1
    loop: str | None = None  # the name of the loop variable inside a mapped task group
    loop_parent: str | None = None  # the id of the ForEach whose direct child this is
    retry: ir.Retry | None = None
    max_active: int = 0  # a ForEach's concurrency limit, on each task of its iterations
    # Inside a loop: the If/Switch and branch key this task belongs to (the task skips itself
    # when another branch was chosen; see `KestraTask.pre_execute`).
    branch: tuple[str, str] | None = None


class _Writer:
    def __init__(self, flow: ir.Flow) -> None:
        self.flow = flow
        self.lines: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.names = Identifiers(RESERVED, avoid="Kestra")
        self.imports: set[str] = {"KestraEnd", "KestraStart"}
        self.sdk: set[str] = {"DAG"}
        self.uses_empty = False
        self.uses_timedelta = False
        self.uses_pendulum = False
        # Variables of the tasks at DAG level, in order (a mapped group's tasks are local to its
        # function: the group stands for them): what `errors` and `finally` wait for.
        self.nodes: list[str] = []

    # -- names -----------------------------------------------------------------------------------

    def name(self, airflow_id: str) -> str:
        """The Python variable of an Airflow task or group id."""
        return self.names.name(airflow_id)

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def error(self, task: ir.Task, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF401", message, task.span, help))

    def warn(self, task: ir.Task, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF402", message, task.span, help))

    # -- edges -----------------------------------------------------------------------------------

    def edge(self, indent: int, upstream: Sequence[str], downstream: str) -> None:
        if not upstream:
            return
        left = upstream[0] if len(upstream) == 1 else "[" + ", ".join(upstream) + "]"
        self.line(indent, f"{left} >> {downstream}")

    # -- blocks ----------------------------------------------------------------------------------

    def sequence(self, tasks: Iterable[ir.Task], after: list[str], where: _Where) -> list[str]:
        """Emit tasks one after the other; the tails the next task depends on."""
        tails = after
        for task in tasks:
            if not task.disabled:
                tails = self.task(task, tails, where)
        return tails

    def task(self, task: ir.Task, after: list[str], where: _Where) -> list[str]:
        if task.type in PARALLEL | SEQUENTIAL | DAG:
            return self.group(task, after, where)
        if task.type in BRANCHING:
            return self.branching(task, after, where)
        if task.type in LOOPS:
            return self.loop(task, after, where)
        if task.branches:
            self.error(
                task,
                f"{task.type.rsplit('.', 1)[-1]} '{task.id}' cannot be compiled for Airflow yet",
                "run this flow with the bundled runner (`kflow run`), or restructure it with "
                "Parallel, Sequential, Dag, If, Switch and ForEach",
            )
            return after
        if task.type == PAUSE and not (
            task.properties.get("delay") or task.properties.get("pauseDuration")
        ):
            self.error(
                task,
                f"Pause '{task.id}' waits for a person to resume it; Airflow has no equivalent",
                "give the Pause a 'pauseDuration', or use an Airflow approval operator by hand",
            )
            return after
        if task.type == CORE + "Subflow":
            return self.subflow(task, after, where)
        return [self.operator("KestraTask", task, after, where)]

    def subflow(self, task: ir.Task, after: list[str], where: _Where) -> list[str]:
        """Subflow: a `TriggerDagRunOperator` for the child's DAG, then the task that waits
        for that run and records the child's outputs (the Kestra task run)."""
        namespace = task.properties.get("namespace")
        flow_id = task.properties.get("flowId")
        if not all(isinstance(v, str) and "{{" not in v for v in (namespace, flow_id)):
            self.error(
                task,
                f"Subflow '{task.id}' names its flow with a template; Airflow triggers a DAG "
                "known when the DAG is written",
                "write 'namespace' and 'flowId' as plain text",
            )
            return after
        child = literal(f"{namespace}__{flow_id}")
        trigger_id = f"{task.id}.trigger"
        trigger = self.name(trigger_id)
        self.imports.add("KestraSubflow")
        args = [
            f"task_id={literal(trigger_id)}",
            "flow=FLOW",
            f"kestra_type={literal(task.type)}",
            f"properties={literal({'inputs': ir.thaw(task.properties.get('inputs') or {})})}",
        ]
        if task.reads.outputs:
            args.append(f"reads={literal(list(task.reads.outputs))}")
        if task.run_if:
            args.append(f"run_if={literal(list(task.run_if))}")
        if where.loop is not None:
            args.append(f"loop={where.loop}")
            if where.loop_parent is not None:
                args.append("loop_direct=True")
            if where.branch is not None:
                args.append(f"branch={literal(list(where.branch))}")
        args.append(f"trigger_dag_id={child}")
        self.line(where.indent, f"{trigger} = KestraSubflow({', '.join(args)})")
        self.edge(where.indent, after, trigger)
        self.node(trigger, where)
        var = self.operator(
            "KestraSubflowWait",
            task,
            [trigger],
            where,
            trigger=literal(trigger_id),
            child_dag_id=child,
        )
        return [var]

    def operator(
        self, kind: str, task: ir.Task, after: list[str], where: _Where, **extra: str
    ) -> str:
        """Emit one kflow operator for `task`; its variable name."""
        self.imports.add(kind)
        var = self.name(task.id)
        args = [f"task_id={literal(task.id)}", "flow=FLOW", f"kestra_type={literal(task.type)}"]
        properties = ir.thaw(task.properties)
        if properties:
            args.append(f"properties={literal(properties)}")
        if task.reads.outputs:
            args.append(f"reads={literal(list(task.reads.outputs))}")
        if task.run_if:
            args.append(f"run_if={literal(list(task.run_if))}")
        if task.allow_failure:
            args.append("allow_failure=True")
        if task.allow_warning:
            args.append("allow_warning=True")
        if where.loop is not None:
            args.append(f"loop={where.loop}")
            if where.loop_parent is not None:
                args.append("loop_direct=True")
        if task.description:
            args.append(f"doc_md={literal(task.description)}")
        args += self.retry_args(task, task.retry or where.retry)
        if where.max_active > 0:
            args.append(f"max_active_tis_per_dagrun={where.max_active}")
        if where.branch is not None and where.loop is not None:
            args.append(f"branch={literal(list(where.branch))}")
        if task.timeout:
            args += self.delta("execution_timeout", task, task.timeout, "timeout")
        args += [f"{k}={v}" for k, v in extra.items()]
        self.line(where.indent, f"{var} = {kind}({', '.join(args)})")
        self.edge(where.indent, after, var)
        self.node(var, where)
        return var

    def node(self, var: str, where: _Where) -> None:
        if where.loop is None:
            self.nodes.append(var)

    def join(self, task_id: str, ends: list[str], where: _Where) -> str:
        """An EmptyOperator after a branching or a loop: runs unless something failed."""
        self.uses_empty = True
        var = self.name(task_id)
        self.line(
            where.indent,
            f"{var} = EmptyOperator(task_id={literal(task_id)}, "
            "trigger_rule='none_failed_min_one_success')",
        )
        self.edge(where.indent, ends, var)
        self.node(var, where)
        return var

    def delta(self, argument: str, task: ir.Task, text: str, what: str) -> list[str]:
        """`argument=timedelta(...)` for a duration written as plain text; none for a template
        (with a KF402: Airflow needs the value when the DAG is parsed)."""
        seconds = fixed_seconds(text)
        if seconds is None:
            if "{{" in str(text):
                self.warn(
                    task, f"the {what} of '{task.id}' is a template; Airflow needs a fixed one"
                )
            return []
        self.uses_timedelta = True
        return [f"{argument}=timedelta(seconds={literal(seconds)})"]

    def retry_args(self, task: ir.Task, retry: ir.Retry | None) -> list[str]:
        """`retries`, `retry_delay`, `retry_exponential_backoff`, `max_retry_delay`."""
        if retry is None:
            return []
        from kflow.runtime_shims.retry import DEFAULT_MAX_ATTEMPTS

        attempts = retry.max_attempts
        if attempts is None:
            attempts = DEFAULT_MAX_ATTEMPTS
        args = [f"retries={max(attempts - 1, 0)}"]
        if retry.max_duration is not None:
            self.warn(task, f"retry 'maxDuration' of '{task.id}' is not enforced by Airflow")
        first = retry.interval if retry.type != "random" else retry.min_interval
        if retry.type == "random":
            self.warn(
                task, f"the random retry delay of '{task.id}' is its 'minInterval' on Airflow"
            )
        if first:
            args += self.delta("retry_delay", task, first, "retry interval")
        if retry.type == "exponential":
            args.append(f"retry_exponential_backoff={literal(float(retry.delay_factor or 2.0))}")
            if retry.max_interval:
                args += self.delta("max_retry_delay", task, retry.max_interval, "retry maxInterval")
        if retry.warning_on_retry:
            self.warn(task, f"'warningOnRetry' of '{task.id}' is not kept on Airflow")
        return args

    def no_timeout(self, task: ir.Task) -> None:
        if task.timeout:
            self.warn(task, f"the timeout of the flowable '{task.id}' is not kept on Airflow")

    def no_run_if(self, task: ir.Task) -> None:
        if task.run_if:
            self.error(
                task,
                f"'runIf' on the {task.type.rsplit('.', 1)[-1]} '{task.id}' cannot be compiled "
                "for Airflow yet",
                "move the condition into an If around the tasks",
            )

    def group(self, task: ir.Task, after: list[str], where: _Where) -> list[str]:
        """Parallel, Sequential, Dag: a TaskGroup; the children's edges say how they run."""
        self.no_run_if(task)
        self.no_timeout(task)
        self.sdk.add("TaskGroup")
        self.line(
            where.indent, f"with TaskGroup(group_id={literal(task.id)}, prefix_group_id=False):"
        )
        inner = _Where(
            where.indent + 1,
            where.loop,
            None,
            task.retry or where.retry,
            where.max_active,
            where.branch,
        )
        start = len(self.lines)
        first_node = len(self.nodes)
        children = [t for b in task.branches if b.name == "tasks" for t in b.tasks]
        tails: list[str] = []
        if task.type in SEQUENTIAL:
            tails = self.sequence(children, after, inner)
        elif task.type in PARALLEL:
            if self.limit(task) > 0:
                self.warn(task, f"the 'concurrent' limit of '{task.id}' is not kept on Airflow")
            for child in children:
                tails += self.sequence([child], after, inner)
        else:
            tails_of: dict[str, list[str]] = {}
            for child in ir.dependency_order(children):
                ups = [t for dep in child.depends_on for t in tails_of.get(dep, [])]
                tails_of[child.id] = self.sequence(
                    [child], ups if child.depends_on else after, inner
                )
            tails = [t for found in tails_of.values() for t in found]
        if len(self.lines) == start:
            self.line(where.indent + 1, "pass")
        return self.finish_block(task, tails, where, self.nodes[first_node:])

    def finish_block(
        self, task: ir.Task, tails: list[str], where: _Where, scope: list[str]
    ) -> list[str]:
        """A flowable's own `errors` and `finally`, after its children (`scope`): what follows
        the flowable waits for its children and its `finally`."""
        errors = [t for b in task.branches if b.name == "errors" for t in b.tasks]
        finally_ = [t for b in task.branches if b.name == "finally" for t in b.tasks]
        if not errors and not finally_:
            return tails
        if where.loop is not None:
            self.error(
                task,
                f"'errors' and 'finally' of '{task.id}' inside a loop cannot be "
                "compiled for Airflow yet",
            )
            return tails
        handlers = _Where(where.indent, None, None, where.retry)
        guarded = [t for b in task.branches if b.name not in ("errors", "finally") for t in b.tasks]
        ends = self.handlers(task.id, scope, guarded, errors, finally_, handlers)
        return [*tails, *ends] if finally_ else tails

    def handlers(
        self,
        prefix: str,
        scope: list[str],
        guarded: Sequence[ir.Task],
        errors: Sequence[ir.Task],
        finally_: Sequence[ir.Task],
        where: _Where,
    ) -> list[str]:
        """`errors` run when a task of the block (`guarded`, whose operators are `scope`)
        failed; `finally` when the block ran at all. Each starts at a `KestraGate` that waits
        for the whole block (`all_done`) and skips the handlers otherwise."""
        tails: list[str] = []
        ids = [t.id for task in guarded for t in task.walk() if not t.disabled]
        first_error = len(self.nodes)
        if errors:
            gate = self.gate(f"{prefix}.errors" if prefix else ERRORS_GATE, "errors", ids, where)
            self.edge(where.indent, scope, gate)
            tails = self.sequence(errors, [gate], where)
        if finally_:
            ids += [t.id for task in errors for t in task.walk() if not t.disabled]
            upstream = [*scope, *self.nodes[first_error:]]
            gate = self.gate(f"{prefix}.finally" if prefix else FINALLY_GATE, "finally", ids, where)
            self.edge(where.indent, upstream, gate)
            tails = self.sequence(finally_, [gate], where)
        return tails

    def gate(self, task_id: str, kind: str, ids: list[str], where: _Where) -> str:
        self.imports.add("KestraGate")
        var = self.name(task_id)
        self.line(
            where.indent,
            f"{var} = KestraGate(task_id={literal(task_id)}, flow=FLOW, kind={literal(kind)}, "
            f"scope={literal(ids)}, trigger_rule='all_done')",
        )
        self.node(var, where)
        return var

    def branching(self, task: ir.Task, after: list[str], where: _Where) -> list[str]:
        """If and Switch: a branch operator, the branches, and a join that skipped branches
        do not fail (`none_failed_min_one_success`)."""
        self.no_timeout(task)
        join_id = f"{task.id}.join"
        heads: dict[str, list[str]] = {}
        for branch in task.branches:
            if branch.name in ("errors", "finally"):
                continue
            key = f"case:{branch.key}" if branch.name == "cases" else branch.name
            first = next((t for t in branch.tasks if not t.disabled), None)
            heads[key] = [] if first is None else [_head(first)]
        first_node = len(self.nodes)
        var = self.operator(
            "KestraBranch", task, after, where, branches=literal(heads), join=literal(join_id)
        )
        ends = [var]
        for branch in task.branches:
            if branch.name not in ("errors", "finally"):
                key = f"case:{branch.key}" if branch.name == "cases" else branch.name
                inner = _Where(
                    where.indent,
                    where.loop,
                    None,
                    task.retry or where.retry,
                    where.max_active,
                    (task.id, key),
                )
                ends += [t for t in self.sequence(branch.tasks, [var], inner) if t not in ends]
        join = self.join(join_id, ends, where)
        return self.finish_block(task, [join], where, self.nodes[first_node:])

    def loop(self, task: ir.Task, after: list[str], where: _Where) -> list[str]:
        """ForEach: the values, then one mapped task group iteration per value."""
        if where.loop is not None:
            self.error(
                task,
                f"the loop '{task.id}' is inside another loop; Airflow cannot map a task group "
                "inside a mapped task group",
                "flatten the loops into one ForEach over the combined values",
            )
            return after
        self.sdk.add("task_group")
        self.no_timeout(task)
        first_node = len(self.nodes)
        var = self.operator("KestraValues", task, after, where)
        group_id = f"{task.id}__iteration"
        function = self.name(group_id)
        self.line(where.indent, f"@task_group(group_id={literal(group_id)}, prefix_group_id=False)")
        self.line(where.indent, f"def {function}(loop):")
        inner = _Where(
            where.indent + 1, "loop", task.id, task.retry or where.retry, self.limit(task)
        )
        start = len(self.lines)
        self.sequence([t for b in task.branches if b.name == "tasks" for t in b.tasks], [], inner)
        if len(self.lines) == start:
            self.line(where.indent + 1, "pass")
        iterations = self.name(f"{task.id}__iterations")
        self.line(where.indent, f"{iterations} = {function}.expand(loop={var}.output)")
        self.node(iterations, where)
        join = self.join(f"{task.id}.join", [var, iterations], where)
        return self.finish_block(task, [join], where, self.nodes[first_node:])

    def limit(self, task: ir.Task) -> int:
        """How many iterations of a loop may run at once (0: no limit)."""
        kind = task.type.rsplit(".", 1)[-1]
        if kind == "ForEach":
            limit = task.properties.get("concurrencyLimit", 1)
        elif kind == "EachSequential":
            limit = 1
        else:
            limit = task.properties.get("concurrent", 0)
        try:
            return max(int(limit or 0), 0)
        except (TypeError, ValueError):
            self.warn(task, f"the concurrency limit of '{task.id}' is a template; not kept")
            return 0

    # -- the DAG ---------------------------------------------------------------------------------

    def params(self) -> list[str]:
        out = []
        for spec in self.flow.inputs:
            extra = ir.thaw(spec.extra)
            kind = PARAM_TYPES.get(spec.type.upper())
            default = ir.thaw(spec.default)
            templated = isinstance(default, str) and "{{" in default
            args: list[str] = []
            nullable = not spec.required or templated or default is None
            if default is not None and not templated:
                args.append(literal(default))
            elif not spec.required or templated:
                args.append("None")
            if kind is not None:
                types = [kind, "null"] if nullable and args else kind
                args.append(f"type={literal(types)}")
            if spec.description:
                args.append(f"description={literal(spec.description)}")
            if spec.display_name:
                args.append(f"title={literal(spec.display_name)}")
            values = extra.get("values")
            if isinstance(values, list) and spec.type.upper() in ("SELECT", "ENUM"):
                allowed = [str(v) for v in values]
                args.append(f"enum={literal([*allowed, None] if nullable else allowed)}")
            if kind in ("integer", "number"):
                for key, name in (("min", "minimum"), ("max", "maximum")):
                    if isinstance(extra.get(key), (int, float)):
                        args.append(f"{name}={literal(extra[key])}")
            if kind == "string" and isinstance(extra.get("validator"), str):
                # Kestra matches the whole value; JSON schema's `pattern` searches in it.
                args.append(f"pattern={literal('^(?:' + extra['validator'] + ')$')}")
            out.append(f"{literal(spec.id)}: Param({', '.join(args)})")
        return out

    def module(self) -> str:
        from kflow.runtime_shims.step import flow_data, tree

        flow = self.flow
        body_start = len(self.lines)
        self.line(1, f"start = KestraStart(task_id={literal(START)}, flow=FLOW)")
        self.sequence(flow.tasks, ["start"], _Where(1, None, None, self.flow_retry()))
        self.handlers("", list(self.nodes), flow.tasks, flow.errors, flow.finally_, _Where(1))
        self.line(
            1,
            f"end = KestraEnd(task_id={literal(END)}, flow=FLOW, tree=TREE, "
            "trigger_rule='all_done')",
        )
        self.line(1, "end.set_upstream([task for task in dag.tasks if task is not end])")
        # The event of the end state, for the DAGs a Flow trigger schedules on this flow's assets.
        self.imports.add("KestraEnded")
        self.sdk.add("AssetAlias")
        alias = literal(asset_uri(flow.namespace, flow.id))
        self.line(
            1,
            f"end >> KestraEnded(task_id={literal(ENDED)}, flow=FLOW, "
            f"outlets=[AssetAlias({alias})])",
        )
        body = self.lines[body_start:]
        schedule = self.schedule()

        head = [
            f'"""{dag_id(flow)}: compiled by kflow from Kestra flow {flow.namespace}.{flow.id}.',
            "",
            "Generated code: edit the flow and compile again (`kflow compile --target airflow`).",
            '"""',
            "",
        ]
        if self.uses_timedelta:
            head.append("from datetime import timedelta")
            head.append("")
        if self.uses_pendulum:
            head.append("import pendulum")
        sdk = sorted(self.sdk | ({"Param"} if flow.inputs else set()))
        head.append(f"from airflow.sdk import {', '.join(sdk)}")
        if self.uses_empty:
            head.append("from airflow.providers.standard.operators.empty import EmptyOperator")
        head.append("")
        head.append(f"from kflow.runtime_shims.airflow import {', '.join(sorted(self.imports))}")
        head.append("")
        head.append(f"FLOW = {literal(flow_data(flow))}")
        head.append(f"TREE = {literal(tree(flow))}")
        head.append("")
        dag_args = [
            f"dag_id={literal(dag_id(flow))}",
            *schedule,
            # A task retries only as its flow says, whatever the deployment's default.
            "default_args={'retries': 0}",
        ]
        dag_args.extend(self.max_active_runs())
        if flow.description:
            first = flow.description.strip().splitlines()[0] if flow.description.strip() else ""
            dag_args.append(f"description={literal(first)}")
            dag_args.append(f"doc_md={literal(flow.description)}")
        if flow.labels:
            dag_args.append(f"tags={literal([f'{k}:{v}' for k, v in flow.labels])}")
        params = self.params()
        if params:
            dag_args.append("params={" + ", ".join(params) + "}")
        head.append(f"with DAG({', '.join(dag_args)}) as dag:")
        return "\n".join(head + body) + "\n"

    def max_active_runs(self) -> list[str]:
        """`max_active_runs` from the flow's `concurrency.limit`: Airflow queues the runs over
        the limit, as Kestra's QUEUE does; CANCEL and FAIL are approximated by that queue."""
        concurrency = self.flow.concurrency
        if concurrency is None:
            return []
        if concurrency.behavior != "QUEUE":
            self.diagnostics.append(
                Diagnostic(
                    "KF402",
                    f"flow concurrency 'behavior: {concurrency.behavior}': on Airflow a run over "
                    "the limit waits for a free slot (max_active_runs) instead of ending at once",
                    self.flow.span,
                )
            )
        return [f"max_active_runs={concurrency.limit}"]

    # -- triggers ----------------------------------------------------------------------------------

    def trigger_error(self, trigger: ir.Trigger, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF401", message, trigger.span, help))

    def trigger_warning(self, trigger: ir.Trigger, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF402", message, trigger.span, help))

    def schedule(self) -> list[str]:
        """`schedule`, `start_date` and `catchup` of the DAG, from the flow's triggers: a cron
        timetable for the Schedule triggers, the assets of the upstream flows' end states for
        the Flow triggers (both: `AssetOrTimeSchedule`); a Webhook is a run with a conf."""
        crons: list[tuple[ir.Trigger, Schedule]] = []
        assets: list[str] = []
        for trigger in self.flow.triggers:
            if trigger.disabled or trigger.type == WEBHOOK:
                continue
            if trigger.type == SCHEDULE:
                found = self.schedule_trigger(trigger)
                if found is not None:
                    crons.append((trigger, found))
            elif trigger.type == FLOW_TRIGGER:
                expression = self.flow_trigger(trigger)
                if expression is not None:
                    assets.append(expression)
            else:
                self.trigger_error(
                    trigger,
                    f"trigger '{trigger.id}' ({trigger.type.rsplit('.', 1)[-1]}) cannot be "
                    "compiled for Airflow",
                    "start the DAG from an Airflow sensor or a Flow trigger instead",
                )
        timetable = self.timetable(crons)
        asset_expression = self.any_of(assets)
        if timetable and asset_expression:
            self.sdk.add("AssetOrTimeSchedule")
            schedule = f"AssetOrTimeSchedule(timetable={timetable}, assets={asset_expression})"
        else:
            schedule = timetable or asset_expression or "None"
        return [f"schedule={schedule}", *self.start_date(crons)]

    def schedule_trigger(self, trigger: ir.Trigger) -> Schedule | None:
        """The Schedule of a trigger Airflow can run (with KF401/KF402 for what it cannot)."""
        found, problem = schedule_of(trigger)
        if found is None:
            self.trigger_error(trigger, f"trigger '{trigger.id}': {problem}")
            return None
        if cron_parts(found)[1] != "0":
            self.trigger_error(
                trigger,
                f"the cron of trigger '{trigger.id}' fires on seconds; Airflow schedules whole "
                "minutes",
                "write a 5-field cron (or a seconds field of 0)",
            )
            return None
        if zone_name(found) is None:
            self.trigger_error(
                trigger,
                f"the timezone of trigger '{trigger.id}' is an offset that is not a whole number "
                "of hours; Airflow needs a zone name",
                "write a zone name such as Europe/Paris",
            )
            return None
        if found.late_maximum_delay is not None:
            self.trigger_warning(
                trigger, f"'lateMaximumDelay' of trigger '{trigger.id}' is not kept on Airflow"
            )
        if found.backfill_end is not None:
            self.trigger_warning(
                trigger,
                f"the backfill of trigger '{trigger.id}' ends at 'backfill.end'; on Airflow it "
                "runs up to now (catchup)",
                "or run `airflow backfill create --from-date … --to-date …` instead",
            )
        return found

    def timetable(self, crons: list[tuple[ir.Trigger, Schedule]]) -> str | None:
        """`CronTriggerTimetable` of one cron, `MultipleCronTriggerTimetable` of several (they
        must share one timezone)."""
        if not crons:
            return None
        zones = {zone_name(found) for _, found in crons}
        if len(zones) > 1:
            self.trigger_error(
                crons[-1][0],
                "the Schedule triggers of this flow have different timezones; one Airflow DAG "
                f"has one timetable in one timezone ({', '.join(sorted(str(z) for z in zones))})",
                "give every Schedule trigger the same timezone, or split the flow",
            )
            return None
        expressions = list(dict.fromkeys(cron_parts(found)[0] for _, found in crons))
        zone = literal(zones.pop())
        args = ", ".join(literal(e) for e in expressions)
        kind = "CronTriggerTimetable" if len(expressions) == 1 else "MultipleCronTriggerTimetable"
        self.sdk.add(kind)
        return f"{kind}({args}, timezone={zone})"

    def start_date(self, crons: list[tuple[ir.Trigger, Schedule]]) -> list[str]:
        """A backfill: its start and `catchup=True`. A cron without one: no start date (the
        first run is the next date) and `catchup=False` (after a downtime, the latest missed
        date runs: Kestra's `recoverMissedSchedules: LAST`). No cron: a past start date that
        never backfills."""
        if not crons:
            self.uses_pendulum = True
            return [f"start_date={START_DATE}", "catchup=False"]
        starts = [found.backfill_start for _, found in crons if found.backfill_start is not None]
        if starts:
            first = min(starts)
            if len(starts) < len(crons) or any(s != first for s in starts):
                self.trigger_warning(
                    crons[0][0],
                    "the Schedule triggers of this flow backfill from different dates; on "
                    "Airflow every one of them backfills from the first",
                )
            self.uses_pendulum = True
            utc = _utc(first)
            parts = [utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second]
            return [
                f"start_date=pendulum.datetime({', '.join(map(str, parts))}, tz='UTC')",
                "catchup=True",
            ]
        for trigger, _ in crons:
            asked = ir.thaw(trigger.properties).get("recoverMissedSchedules")
            if asked in ("ALL", "NONE"):
                self.trigger_warning(
                    trigger,
                    f"'recoverMissedSchedules: {asked}' of trigger '{trigger.id}': after a "
                    "downtime Airflow runs the latest missed date only (catchup=False; catchup "
                    "needs a start date, which would backfill)",
                    "give the trigger a 'backfill' to run every date from its start",
                )
        return ["catchup=False"]

    def any_of(self, items: list[str]) -> str | None:
        """One asset expression, or `AssetAny` of several (None for none)."""
        if len(items) < 2:
            return items[0] if items else None
        self.sdk.add("AssetAny")
        return f"AssetAny({', '.join(items)})"

    def flow_trigger(self, trigger: ir.Trigger) -> str | None:
        """The assets a Flow trigger waits for: any end state it asks of any flow it names;
        `preconditions.flows`: every one of them (`AssetAll`). What assets cannot say (other
        conditions, a state between WARNING and SUCCESS…) is checked when the run starts."""
        found = upstream(trigger)
        for message in found.problems:
            self.trigger_error(
                trigger,
                f"Flow trigger '{trigger.id}' {message}",
                "name each upstream flow (ExecutionFlow, or Execution/preconditions.flows with "
                "a flowId): Airflow schedules a DAG on the assets of named flows",
            )
        for message in found.approximations:
            self.trigger_warning(trigger, f"Flow trigger '{trigger.id}': {message}")
        if found.group and found.window:
            self.trigger_warning(
                trigger,
                f"the time window of the preconditions of '{trigger.id}' is not kept on "
                "Airflow: the DAG runs once every upstream flow has ended since its last run",
            )
        if found.problems:
            return None
        self.sdk.add("Asset")

        def assets(flows: Sequence[tuple[str, str, Sequence[str]]]) -> str:
            found = self.any_of(
                [
                    f"Asset({literal(asset_uri(ns, flow_id, state))})"
                    for ns, flow_id, states in flows
                    for state in states
                ]
            )
            assert found is not None  # `upstream` reports a flow with no end state
            return found

        parts = []
        if found.flows:
            parts.append(assets([(ns, f, found.states) for ns, f in found.flows]))
        parts += [assets([flow]) for flow in found.group]
        if len(parts) == 1:
            return parts[0]
        self.sdk.add("AssetAll")
        return f"AssetAll({', '.join(parts)})"

    def flow_retry(self) -> ir.Retry | None:
        retry = self.flow.retry
        if retry is not None and (retry.behavior or "RETRY_FAILED_TASK") != "RETRY_FAILED_TASK":
            self.diagnostics.append(
                Diagnostic(
                    "KF401",
                    f"a flow retry with behavior '{retry.behavior}' cannot be compiled for Airflow",
                    self.flow.span,
                    "use 'behavior: RETRY_FAILED_TASK' (Airflow retries each task)",
                )
            )
            return None
        return retry


def _utc(moment: Any) -> Any:
    from datetime import timezone

    return moment.astimezone(timezone.utc)


# -- what both targets need of triggers ----------------------------------------------------------


def schedule_of(trigger: ir.Trigger) -> tuple[Schedule | None, str]:
    """The Schedule of a trigger, or None and why it cannot be read at compile time."""
    from kflow.runtime_shims.schedule import Schedule, ScheduleError

    props = ir.thaw(trigger.properties)
    for key in ("cron", "timezone"):
        if "{{" in str(props.get(key) or ""):
            return None, f"'{key}' is a template; the schedule is fixed when the flow is compiled"
    try:
        return Schedule.from_trigger(trigger), ""
    except ScheduleError as error:
        return None, str(error)


def cron_parts(found: Schedule) -> tuple[str, str]:
    """A schedule's cron as 5 fields (nicknames spelled out) and its seconds field."""
    fields = found.expression.split()
    if found.with_seconds:
        return " ".join(fields[1:]), fields[0]
    return " ".join(fields), "0"


def zone_name(found: Schedule) -> str | None:
    """A schedule's timezone as an IANA name both orchestrators read (`UTC`, `Europe/Paris`,
    `Etc/GMT-2` for +02:00); None for an offset that is not whole hours."""
    from datetime import datetime, timezone

    zone = found.zone
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    offset = zone.utcoffset(datetime(2000, 1, 1, tzinfo=timezone.utc))
    seconds = int(offset.total_seconds()) if offset is not None else 0
    if seconds == 0:
        return "UTC"
    if seconds % 3600:
        return None
    # Etc/GMT zones have the sign inverted (POSIX): Etc/GMT-2 is two hours ahead of UTC.
    return f"Etc/GMT{-seconds // 3600:+d}"


@dataclass
class Upstream:
    """What a Flow trigger waits for, as far as the orchestrators can say it: `flows` (any of
    them) ending in one of `states`, and every flow of `group` (`preconditions.flows`, each with
    its states) within `window`. `problems` cannot be expressed; `approximations` can, nearly."""

    flows: list[tuple[str, str]]
    states: list[str]
    group: list[tuple[str, str, list[str]]]
    window: dict[str, Any] | None
    problems: list[str]
    approximations: list[str]


def upstream(trigger: ir.Trigger) -> Upstream:
    """The upstream flows and end states of a Flow trigger (see `Upstream`)."""
    props = ir.thaw(trigger.properties)
    flows: list[tuple[str, str]] = []
    problems: list[str] = []
    approximations: list[str] = []
    states = list(END_STATES)

    def keep(asked: Any, what: str) -> None:
        nonlocal states
        if not isinstance(asked, list):
            return
        others = [str(s) for s in asked if s not in END_STATES]
        if others:
            approximations.append(
                f"{what} {', '.join(others)}: an execution does not end in "
                f"{'it' if len(others) == 1 else 'them'}, only end states start it"
            )
        states = [s for s in states if s in asked]

    def name(condition: dict[str, Any]) -> None:
        namespace, flow_id = condition.get("namespace"), condition.get("flowId")
        if not isinstance(flow_id, str):
            problems.append(f"names a whole namespace ({namespace}), not a flow")
        elif valid(namespace, flow_id):
            flows.append((str(namespace), flow_id))

    def valid(namespace: Any, flow_id: Any) -> bool:
        from kflow.compiler.schema import FLOW_ID, NAMESPACE

        if NAMESPACE.fullmatch(str(namespace)) and FLOW_ID.fullmatch(str(flow_id)):
            return True
        problems.append(f"names {namespace!r}/{flow_id!r}, which is no namespace and flow id")
        return False

    for condition in trigger.conditions:
        data = ir.thaw(condition.properties)
        kind = condition.type
        if kind in FLOW_CONDITIONS:
            name(data)
            if kind.endswith(".Execution"):
                keep(data.get("states") or None, "its states")
        elif kind == CONDITION + "ExecutionStatus":
            keep(data.get("in"), "ExecutionStatus")
            if isinstance(data.get("notIn"), list):
                states = [s for s in states if s not in data["notIn"]]
        elif kind == CONDITION + "Or":
            for item in data.get("conditions") or ():
                if isinstance(item, dict) and item.get("type") in FLOW_CONDITIONS:
                    name(item)
        elif kind == CONDITION + "MultipleCondition":
            problems.append("uses MultipleCondition (deprecated); write 'preconditions'")
    keep(props.get("states"), "'states'")
    group: list[tuple[str, str, list[str]]] = []
    window = None
    pre = props.get("preconditions")
    if isinstance(pre, dict):
        for item in pre.get("flows") or ():
            asked = item.get("states")
            wanted = [s for s in END_STATES if not asked or s in asked]
            if not wanted:
                problems.append(f"asks {item.get('flowId')} for no state an execution ends in")
            elif not isinstance(item.get("flowId"), str):
                problems.append(f"waits for a whole namespace ({item.get('namespace')})")
            elif valid(item.get("namespace"), item["flowId"]):
                group.append((item["namespace"], item["flowId"], wanted))
        if pre.get("where"):
            problems.append("filters executions with 'preconditions.where'")
        window = dict(pre.get("timeWindow") or {"type": "DURATION_WINDOW", "window": "P1D"})
        if pre.get("resetOnSuccess") is False:
            approximations.append("'resetOnSuccess: false' is not kept")
    if not flows and not group and not problems:
        problems.append("names no upstream flow")
    if not states and not problems:
        problems.append("asks for no state an execution ends in")
    return Upstream(flows, states, group, window, problems, approximations)


def emit(flow: ir.Flow) -> Emitted:
    """The DAG file of one flow (black-formatted), or KF401 errors and no file."""
    import black

    writer = _Writer(flow)
    source = writer.module()
    emitted = Emitted(diagnostics=writer.diagnostics)
    if any(d.code == "KF401" for d in writer.diagnostics):
        return emitted
    text = black.format_str(source, mode=black.Mode(line_length=100))
    emitted.files[flow_path(flow, ".py")] = text
    return emitted


def _head(task: ir.Task) -> str:
    """The Airflow id a branch operator follows to start `task` (a group id is expanded to its
    first tasks by Airflow)."""
    return f"{task.id}.trigger" if task.type == CORE + "Subflow" else task.id

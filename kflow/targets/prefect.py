"""The `prefect` target: one Prefect 3 flow module per flow, and a shared `prefect.yaml`.

The module is what a Prefect engineer would write by hand: one `@task` per Kestra task (its name
is the Kestra id; `retries`, `retry_delay_seconds`, `timeout_seconds` from the Kestra task) and
one `@flow` (named after the flow id, typed parameters from the inputs) whose body calls the
tasks in Kestra's order: direct calls for a sequence, `.submit()` futures for a Parallel, futures
with `wait_for` for a Dag, `.map()` or a `for` loop for a ForEach, `if` for If/Switch, and
`try`/`except`/`finally` for `errors` and `finally`. Each task runs its Kestra task through
`kflow.runtime_shims.prefect`; `docs/engines.md` maps every construct.

No flow content reaches the generated code except as a Python literal (`literal`) or as an
identifier made of `[A-Za-z0-9_]`: a description, property or id cannot inject code.
Constructs Prefect cannot express are KF401 errors; approximations are KF402 warnings.

`prefect.yaml` (one deployment per flow) is shared by every flow compiled together:
`emit` gives this flow's deployment in `Emitted.shared`, `join` writes the file.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kflow.compiler import ir
from kflow.compiler.diagnostics import Diagnostic
from kflow.compiler.schema import TASK_ID
from kflow.runtime_shims.step import FLOW_TRIGGER, SCHEDULE, WEBHOOK
from kflow.targets import Emitted
from kflow.targets.airflow import cron_parts, schedule_of, upstream, zone_name
from kflow.targets.ir import flow_path
from kflow.targets.pysource import Identifiers, fixed_seconds, literal, number

CORE = "io.kestra.plugin.core.flow."
PARALLEL = CORE + "Parallel"
SEQUENTIAL = CORE + "Sequential"
ALLOW_FAILURE = CORE + "AllowFailure"
DAG = CORE + "Dag"
IF, SWITCH = CORE + "If", CORE + "Switch"
LOOPS = {CORE + "ForEach", CORE + "EachSequential", CORE + "EachParallel"}
PAUSE = CORE + "Pause"
SUBFLOW = CORE + "Subflow"
#: The shared deployment file, at the root of the output directory.
PREFECT_YAML = "prefect.yaml"
#: The environment variable `prefect deploy` reads the work pool's name from.
WORK_POOL_VARIABLE = "KFLOW_PREFECT_WORK_POOL"
#: The flow parameter that says which trigger started a flow run (None: started by hand).
TRIGGER_PARAMETER = "kestra_trigger"
#: The Prefect flow-run events of each state a Kestra execution ends in.
STATE_EVENTS = {
    "SUCCESS": ("prefect.flow-run.Completed",),
    "WARNING": ("prefect.flow-run.Completed",),
    "FAILED": ("prefect.flow-run.Failed", "prefect.flow-run.Crashed"),
    "KILLED": ("prefect.flow-run.Cancelled",),
}
#: What a deployment trigger passes to the flow run it starts, from the upstream flow run's
#: event (Prefect renders these templates; kflow's shim reads them, see `kestra_trigger`).
EVENT_PARAMETERS = {
    "flowRun": "{{ event.resource.id }}",
    "state": "{{ event.resource['prefect.state-name'] }}",
    "message": "{{ event.resource['prefect.state-message'] }}",
    "flowId": "{{ event.resource_in_role['flow'].name }}",
    "namespace": "{{ event.resource_in_role['deployment'].name }}",
}

#: Python types of flow parameters, by Kestra input type (anything else: `Any`).
PARAMETER_TYPES = {
    "STRING": "str",
    "SECRET": "str",
    "EMAIL": "str",
    "URI": "str",
    "DATETIME": "str",
    "DATE": "str",
    "TIME": "str",
    "DURATION": "str",
    "FILE": "str",
    "SELECT": "str",
    "ENUM": "str",
    "INT": "int",
    "FLOAT": "float",
    "BOOLEAN": "bool",
    "BOOL": "bool",
    "ARRAY": "list[Any]",
    "MULTISELECT": "list[Any]",
}
#: Names the generated module uses: no task, parameter or local may take them.
#: Seconds Prefect's `timeout_seconds` waits beyond the Kestra timeout the shim enforces.
TIMEOUT_GRACE = 30
RESERVED = frozenset(
    {
        "Any",
        "Literal",
        "FLOW",
        "TREE",
        "contextlib",
        "flow",
        "task",
        "unmapped",
        "kestra",
        "run",
        "value",
        "values",
        "iteration",
        "condition",
        "case",
        "execution",
        "outputs",
        "return_state",
        "wait_for",
        "range",
        "len",
        "enumerate",
        "dict",
        "list",
        "str",
        "int",
        "float",
        "bool",
        "print",
        "self",
    }
)


@dataclass(frozen=True)
class _Where:
    """Where a task call is emitted: its indentation, the loop it is in, the retry it inherits."""

    indent: int = 2
    loop: bool = False  # inside a ForEach iteration: `value` and `iteration` are in scope
    direct: bool = False  # a direct child of the ForEach (`taskrun.value` is its value)
    retry: ir.Retry | None = None
    handlers: bool = True  # errors re-raise (False at the flow's own level)


class _Writer:
    def __init__(self, flow: ir.Flow) -> None:
        self.flow = flow
        self.body: list[str] = []
        self.defs: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.names = Identifiers(RESERVED, lower=True, avoid="kestra")
        self.prefect: set[str] = {"flow", "task"}
        self.uses_contextlib = False
        self.uses_literal = False
        self.has_triggers = any(not t.disabled for t in flow.triggers)
        self.schedules: list[dict[str, Any]] = []
        self.automations: list[dict[str, Any]] = []

    # -- names -----------------------------------------------------------------------------------

    def name(self, key: str, text: str | None = None) -> str:
        """A unique Python identifier for `key` (made from `text`)."""
        return self.names.name(key, text)

    def line(self, indent: int, text: str) -> None:
        self.body.append("    " * indent + text)

    def error(self, task: ir.Task, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF401", message, task.span, help))

    def warn(self, task: ir.Task, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF402", message, task.span, help))

    # -- tasks -----------------------------------------------------------------------------------

    def task_function(self, task: ir.Task, where: _Where, decision: bool = False) -> str:
        """Emit the `@task` of a Kestra task (once); its function name."""
        known = self.names.get(f"task:{task.id}")
        if known is not None:
            return known
        name = self.name(f"task:{task.id}", task.id)
        options = [f"name={literal(task.id)}"]
        if where.loop:
            run_name = task.id.replace("{", "{{").replace("}", "}}") + "[{value}]"
            options.append(f"task_run_name={literal(run_name)}")
        if task.description:
            options.append(f"description={literal(task.description)}")
        if not decision and task.type != PAUSE:  # the runner never retries nor times out a Pause
            options += self.retry_options(task, task.retry or where.retry)
            if task.timeout:
                seconds = self.seconds(task, task.timeout, "timeout")
                if seconds is not None:
                    # The shim stops the task at the Kestra timeout and records it FAILED;
                    # Prefect's own, later, is the backstop for a task that ignores the stop.
                    options.append(f"timeout_seconds={literal(seconds + TIMEOUT_GRACE)}")
        parameters = ["execution: dict[str, Any]", "outputs: dict[str, Any]"]
        if where.loop:
            parameters += ["value: str", "iteration: int"]
        args = [
            "FLOW",
            "execution",
            "outputs",
            literal(task.id),
            literal(task.type),
            literal(ir.thaw(task.properties)),
        ]
        args += self.shim_options(task, where, decision)
        self.defs += [
            "",
            "",
            f"@task({', '.join(options)})",
            f"def {name}({', '.join(parameters)}) -> dict[str, Any]:",
            f"    return kestra.run_task({', '.join(args)})",
        ]
        return name

    def shim_options(self, task: ir.Task, where: _Where, decision: bool) -> list[str]:
        out: list[str] = []
        if task.run_if:
            out.append(f"run_if={literal(list(task.run_if))}")
        if task.allow_failure and not task.branches:
            out.append("allow_failure=True")
        if task.allow_warning and not task.branches:
            out.append("allow_warning=True")
        if task.timeout and not decision and "{{" not in task.timeout:
            out.append(f"timeout={literal(task.timeout)}")
        retry = task.retry or where.retry
        if retry is not None and retry.warning_on_retry and not decision:
            out.append("warning_on_retry=True")
        if where.loop:
            out += ["value=value", "iteration=iteration"]
            if where.direct:
                out.append("direct=True")
        if task.type == SWITCH:
            cases = [b.key for b in task.branches if b.name == "cases"]
            out.append(f"cases={literal(cases)}")
            if any(b.name == "defaults" for b in task.branches):
                out.append("has_defaults=True")
        return out

    def retry_options(self, task: ir.Task, retry: ir.Retry | None) -> list[str]:
        """`retries`, `retry_delay_seconds` (a list for exponential backoff) and, for a random
        delay, `retry_jitter_factor`."""
        if retry is None:
            return []
        from kflow.runtime_shims.retry import DEFAULT_MAX_ATTEMPTS, RetryPolicy

        attempts = retry.max_attempts
        if attempts is None:
            attempts = DEFAULT_MAX_ATTEMPTS
        retries = max(attempts - 1, 0)
        out = [f"retries={retries}"]
        if retry.max_duration is not None:
            self.warn(task, f"retry 'maxDuration' of '{task.id}' is not enforced by Prefect")
        durations = [retry.interval, retry.max_interval, retry.min_interval]
        if any(d is not None and "{{" in d for d in durations):
            self.warn(task, f"the retry delays of '{task.id}' are templates; Prefect needs numbers")
            return out
        try:
            policy = RetryPolicy.of(retry)
        except ValueError:
            return out
        if policy is None or retries == 0:
            return out
        if policy.kind == "random":
            low = policy.min_interval
            high = max(policy.max_interval or low, low)
            if high > 0:
                out.append(f"retry_delay_seconds={literal(number((low + high) / 2))}")
                if high > low:
                    jitter = (high - low) / (high + low)
                    out.append(f"retry_jitter_factor={literal(round(jitter, 6))}")
            return out
        if policy.kind == "exponential":
            delays: list[float] = []
            for failed in range(1, min(retries, 50) + 1):
                delays.append(number(policy.delay(failed)))
                if len(delays) > 1 and delays[-1] == delays[-2]:
                    delays.pop()  # capped at maxInterval: Prefect repeats the last delay
                    break
            out.append(f"retry_delay_seconds={literal(delays)}")
        elif policy.interval:
            out.append(f"retry_delay_seconds={literal(number(policy.delay(1)))}")
        return out

    def seconds(self, task: ir.Task, text: str, what: str) -> float | None:
        found = fixed_seconds(text)
        if found is None and "{{" in str(text):
            self.warn(task, f"the {what} of '{task.id}' is a template; Prefect needs a fixed one")
        return found

    def call(self, task: ir.Task, where: _Where, decision: bool = False) -> str:
        """`name(run.execution, run.outputs(...)[, value, iteration], return_state=True)`."""
        function = self.task_function(task, where, decision)
        return f"{function}({self.arguments(task, where)}, return_state=True)"

    def arguments(self, task: ir.Task, where: _Where, futures: Mapping[str, str] = {}) -> str:
        reads = [literal(r) for r in task.reads.outputs]
        pending = {r: futures[r] for r in task.reads.outputs if r in futures}
        if pending:
            mapping = ", ".join(f"{literal(k)}: {v}" for k, v in pending.items())
            reads.append(f"futures={{{mapping}}}")
        args = ["run.execution", f"run.outputs({', '.join(reads)})"]
        if where.loop:
            args += ["value", "iteration"]
        return ", ".join(args)

    # -- blocks ----------------------------------------------------------------------------------

    def sequence(self, tasks: Iterable[ir.Task], where: _Where) -> None:
        for task in tasks:
            if not task.disabled:
                self.task(task, where)

    def task(self, task: ir.Task, where: _Where) -> None:
        if task.type in (PARALLEL, SEQUENTIAL, ALLOW_FAILURE, DAG, IF, SWITCH) or (
            task.type in LOOPS
        ):
            self.flowable(task, where)
            return
        if task.branches:
            self.error(
                task,
                f"{task.type.rsplit('.', 1)[-1]} '{task.id}' cannot be compiled for Prefect yet",
                "run this flow with the bundled runner (`kflow run`), or restructure it with "
                "Parallel, Sequential, Dag, If, Switch and ForEach",
            )
            return
        if task.type == SUBFLOW:
            self.subflow(task, where)
            return
        if not self.runnable(task):
            return
        self.line(where.indent, f"run.add({self.call(task, where)})")

    def runnable(self, task: ir.Task) -> bool:
        """False (with a KF401) for the runnable tasks Prefect cannot run."""
        if task.type == PAUSE and not (
            task.properties.get("delay") or task.properties.get("pauseDuration")
        ):
            self.error(
                task,
                f"Pause '{task.id}' waits for a person to resume it; the Prefect target does not "
                "compile it yet",
                "give the Pause a 'pauseDuration', or call Prefect's `pause_flow_run` by hand",
            )
            return False
        return True

    def subflow(self, task: ir.Task, where: _Where) -> None:
        """Subflow: the child's compiled flow, called from the flow body (a Prefect subflow run)
        with the inputs the shim renders; its outputs become the Subflow's."""
        props = ir.thaw(task.properties)
        namespace, flow_id = props.get("namespace"), props.get("flowId")
        if not all(isinstance(v, str) and "{{" not in v for v in (namespace, flow_id)):
            self.error(
                task,
                f"Subflow '{task.id}' names its flow with a template; the Prefect target calls "
                "a flow known when the module is written",
                "write 'namespace' and 'flowId' as plain text",
            )
            return
        if str(props.get("wait", True)).lower() == "false":
            self.error(
                task,
                f"Subflow '{task.id}' does not wait for its flow; the Prefect target calls the "
                "child flow and waits",
                "remove 'wait: false', or deploy the child and call `run_deployment` by hand",
            )
            return
        if props.get("outputs"):
            self.error(
                task,
                f"the deprecated 'outputs' of Subflow '{task.id}' cannot be compiled for Prefect",
                "read the child flow's outputs as outputs.<id>.outputs.<name>",
            )
            return
        for name in ("labels", "inheritLabels", "scheduleDate"):
            if props.get(name):
                self.warn(task, f"'{name}' of Subflow '{task.id}' is not kept on Prefect")
        if task.retry is not None or where.retry is not None:
            self.warn(task, f"the Subflow '{task.id}' is not retried on Prefect")
        here = posixpath.dirname(flow_path(self.flow, ".py"))
        child = flow_path(ir.Flow(id=flow_id, namespace=namespace), ".py")
        entrypoint = f"{posixpath.relpath(child, here or '.')}:{flow_function(flow_id)}"
        args = [
            "__file__",
            literal(entrypoint),
            literal(task.id),
            literal(task.type),
            literal(props),
            f"run.outputs({', '.join(literal(r) for r in task.reads.outputs)})",
        ]
        args += self.shim_options(task, where, True)
        self.line(where.indent, f"run.subflow({', '.join(args)})")

    def leaf(self, task: ir.Task) -> bool:
        """A runnable task that is one Prefect task call (it can be submitted or mapped)."""
        return not task.branches and task.type not in (PAUSE, SUBFLOW)

    def flowable(self, task: ir.Task, where: _Where) -> None:
        """A flowable, inside its own `errors`/`finally` (and `allowFailure`)."""
        if task.run_if and task.type not in (IF, SWITCH) and task.type not in LOOPS:
            self.error(
                task,
                f"'runIf' on the {task.type.rsplit('.', 1)[-1]} '{task.id}' cannot be compiled "
                "for Prefect yet",
                "move the condition into an If around the tasks",
            )
            return
        inner = replace(where, retry=task.retry or where.retry, handlers=True)
        body: Callable[[_Where], None]
        # Only the flowable itself (its decision) is a direct child of a loop, not its children.
        if task.type in (SEQUENTIAL, ALLOW_FAILURE):
            body = lambda at: self.sequence(_branch(task, "tasks"), _inside(at))  # noqa: E731
        elif task.type == PARALLEL:
            body = lambda at: self.parallel(task, _inside(at))  # noqa: E731
        elif task.type == DAG:
            body = lambda at: self.dag(task, _inside(at))  # noqa: E731
        elif task.type in (IF, SWITCH):
            body = lambda at: self.branching(task, at)  # noqa: E731
        else:
            body = lambda at: self.loop(task, at)  # noqa: E731
        tolerated = task.allow_failure or task.type == ALLOW_FAILURE
        indent = where.indent
        if tolerated:
            # A failure inside ends the flowable WARNING; what follows it still runs.
            self.uses_contextlib = True
            self.line(indent, "with contextlib.suppress(kestra.Stopped):")
            indent += 1
        self.guarded(
            _branch(task, "errors"), _branch(task, "finally"), replace(inner, indent=indent), body
        )

    def guarded(
        self,
        errors: Sequence[ir.Task],
        finally_: Sequence[ir.Task],
        where: _Where,
        body: Callable[[_Where], None],
    ) -> None:
        """`body`, then `errors` when it stopped on a failure, then `finally` in any case."""
        errors = [t for t in errors if not t.disabled]
        finally_ = [t for t in finally_ if not t.disabled]
        if not errors and not finally_:
            self.block(body, where)
            return
        inside = replace(where, indent=where.indent + 1)
        self.line(where.indent, "try:")
        self.block(body, inside)
        inside = _inside(inside)
        if errors:
            self.line(where.indent, "except kestra.Stopped:")
            self.sequence(errors, inside)
            if where.handlers:
                self.line(inside.indent, "raise")
        if finally_:
            self.line(where.indent, "finally:")
            self.block(lambda at: self.sequence(finally_, at), inside)

    def block(self, body: Callable[[_Where], None], where: _Where) -> None:
        start = len(self.body)
        body(where)
        if len(self.body) == start:
            self.line(where.indent, "pass")

    def parallel(self, task: ir.Task, where: _Where) -> None:
        """Parallel: plain tasks as `.submit()` futures waited on; branches that are flowables,
        or a `concurrent` limit, as functions run by `run.concurrently`."""
        children = [t for t in _branch(task, "tasks") if not t.disabled]
        limit = self.limit(task, "concurrent", 0)
        if all(self.leaf(c) for c in children) and (limit == 0 or limit >= len(children)):
            futures = [
                f"{self.task_function(c, where)}.submit({self.arguments(c, where)})"
                for c in children
            ]
            if futures:
                self.line(where.indent, f"run.wait([{', '.join(futures)}])")
            return
        self.concurrently(task, [[c] for c in children], limit, where)

    def concurrently(
        self, task: ir.Task, branches: list[list[ir.Task]], limit: int, where: _Where
    ) -> None:
        functions = []
        for index, tasks in enumerate(branches):
            first = tasks[0].id if tasks else str(index)
            function = self.name(f"branch:{task.id}:{index}", f"{task.id}_{first}")
            functions.append(function)
            self.line(where.indent, f"def {function}() -> None:")
            self.block(
                lambda at, tasks=tasks: self.sequence(tasks, at),  # type: ignore[misc]
                replace(where, indent=where.indent + 1, direct=False),
            )
            self.body.append("")
        self.line(where.indent, f"run.concurrently([{', '.join(functions)}], limit={limit})")

    def dag(self, task: ir.Task, where: _Where) -> None:
        """Dag: each task a `.submit()` future waiting for (`wait_for`) its `dependsOn`."""
        children = [t for t in _branch(task, "tasks") if not t.disabled]
        for child in children:
            if not self.leaf(child):
                self.error(
                    child,
                    f"'{child.id}' in the Dag '{task.id}' is a flowable; the Prefect target "
                    "compiles Dag tasks that are plain tasks only",
                    "make it a plain task, or use Sequential/Parallel around the Dag",
                )
                return
        limit = self.limit(task, "concurrent", 0)
        if 0 < limit < len(children):
            self.warn(task, f"the 'concurrent' limit of '{task.id}' is not kept on Prefect")
        futures: dict[str, str] = {}
        for child in ir.dependency_order(children):
            future = self.name(f"future:{child.id}", f"{child.id}_future")
            ups = [futures[d] for d in child.depends_on if d in futures]
            args = self.arguments(child, where, futures)
            if ups:
                args += f", wait_for=[{', '.join(ups)}]"
            function = self.task_function(child, where)
            self.line(where.indent, f"{future} = {function}.submit({args})")
            futures[child.id] = future
        if futures:
            self.line(where.indent, f"run.wait([{', '.join(futures.values())}])")

    def branching(self, task: ir.Task, where: _Where) -> None:
        """If and Switch: the decision task, then Python `if` on what it decided."""
        call = self.call(task, where, decision=True)
        inner = replace(where, indent=where.indent + 1, direct=False)
        if task.type == IF:
            then, else_ = _branch(task, "then"), _branch(task, "else")
            if not else_:
                self.line(where.indent, f"if run.condition({call}):")
                self.block(lambda at: self.sequence(then, at), inner)
                return
            self.line(where.indent, f"condition = run.condition({call})")
            self.line(where.indent, "if condition:")
            self.block(lambda at: self.sequence(then, at), inner)
            self.line(where.indent, "elif condition is False:")
            self.block(lambda at: self.sequence(else_, at), inner)
            return
        cases = [b for b in task.branches if b.name == "cases"]
        defaults = _branch(task, "defaults")
        if not cases and not defaults:
            self.line(where.indent, f"run.case({call})")
            return
        self.line(where.indent, f"case = run.case({call})")
        keyword_ = "if"
        for found in cases:
            self.line(where.indent, f"{keyword_} case == {literal(found.key)}:")
            self.block(lambda at, tasks=found.tasks: self.sequence(tasks, at), inner)  # type: ignore[misc]
            keyword_ = "elif"
        if defaults:
            self.line(where.indent, f"{keyword_} case is kestra.DEFAULTS:")
            self.block(lambda at: self.sequence(defaults, at), inner)

    def loop(self, task: ir.Task, where: _Where) -> None:
        """ForEach: the values task, then a `for` loop (one at a time), `.map()` (one task, no
        limit) or functions run by `run.each` (at most the limit at once)."""
        if where.loop:
            self.error(
                task,
                f"the loop '{task.id}' is inside another loop; the Prefect target does not "
                "compile nested loops yet",
                "flatten the loops into one ForEach over the combined values",
            )
            return
        children = [t for t in _branch(task, "tasks") if not t.disabled]
        kind = task.type.rsplit(".", 1)[-1]
        if kind == "ForEach":
            limit = self.limit(task, "concurrencyLimit", 1)
        elif kind == "EachSequential":
            limit = 1
        else:
            limit = self.limit(task, "concurrent", 0)
        self.line(where.indent, f"values = run.values({self.call(task, where, decision=True)})")
        inner = replace(where, loop=True, direct=True, retry=task.retry or where.retry)
        if limit == 1:
            self.line(where.indent, "for iteration, value in enumerate(values):")
            self.block(
                lambda at: self.sequence(children, at), replace(inner, indent=where.indent + 1)
            )
            return
        if len(children) == 1 and self.leaf(children[0]) and limit == 0:
            self.prefect.add("unmapped")
            child = children[0]
            function = self.task_function(child, inner)
            reads = ", ".join(literal(r) for r in child.reads.outputs)
            self.line(
                where.indent,
                f"run.wait({function}.map(unmapped(run.execution), "
                f"unmapped(run.outputs({reads})), values, range(len(values))))",
            )
            return
        function = self.name(f"iteration:{task.id}", f"{task.id}_iteration")
        self.line(where.indent, f"def {function}(value: str, iteration: int) -> None:")
        self.block(lambda at: self.sequence(children, at), replace(inner, indent=where.indent + 1))
        self.body.append("")
        self.line(where.indent, f"run.each(values, {function}, limit={limit})")

    def limit(self, task: ir.Task, name: str, default: int) -> int:
        value = task.properties.get(name, default)
        try:
            return max(int(value if value is not None else default), 0)
        except (TypeError, ValueError):
            self.warn(task, f"the '{name}' of '{task.id}' is a template; Prefect runs it unlimited")
            return 0

    # -- the flow --------------------------------------------------------------------------------

    def parameters(self) -> tuple[list[str], list[str]]:
        """The flow function's parameters (required ones first) and the `start` mapping."""
        required: list[str] = []
        optional: list[str] = []
        given: list[str] = []
        for spec in self.flow.inputs:
            name = self.name(f"input:{spec.id}", spec.id)
            kind = self.parameter_type(spec)
            default = ir.thaw(spec.default)
            templated = isinstance(default, str) and "{{" in default
            if default is not None and not templated:
                optional.append(f"{name}: {kind} = {literal(default)}")
            elif not spec.required or templated:
                optional.append(f"{name}: {kind} | None = None")
            else:
                required.append(f"{name}: {kind}")
            given.append(f"{literal(spec.id)}: {name}")
        if self.has_triggers:
            optional.append(f"{TRIGGER_PARAMETER}: dict[str, Any] | None = None")
        return required + optional, given

    def parameter_type(self, spec: ir.Input) -> str:
        kind = spec.type.upper()
        values = ir.thaw(spec.extra).get("values")
        custom = ir.thaw(spec.extra).get("allowCustomValue")
        if kind in ("SELECT", "ENUM") and isinstance(values, list) and values and not custom:
            self.uses_literal = True
            return f"Literal[{', '.join(literal(str(v)) for v in values)}]"
        return PARAMETER_TYPES.get(kind, "Any")

    def module(self) -> str:
        from kflow.runtime_shims.step import flow_data, tree

        flow = self.flow
        function = self.name("flow", flow.id)
        parameters, given = self.parameters()
        self.schedules, self.automations = self.triggers()
        retry = self.flow_retry()
        where = _Where(indent=2, retry=retry, handlers=False)
        if self.has_triggers:
            # No execution when the trigger's conditions do not hold (the run ends Skipped).
            self.line(2, "run.check_trigger()")
        self.guarded(flow.errors, flow.finally_, where, lambda at: self.sequence(flow.tasks, at))
        options = [f"name={literal(flow.id)}"]
        if flow.description:
            options.append(f"description={literal(flow.description)}")
        head = [
            f'"""{flow.id}: compiled by kflow from Kestra flow {flow.namespace}.{flow.id}.',
            "",
            "Generated code: edit the flow and compile again (`kflow compile --target prefect`).",
            '"""',
            "",
        ]
        if self.uses_contextlib:
            head += ["import contextlib"]
        head += ["from typing import Any" + (", Literal" if self.uses_literal else ""), ""]
        head += [f"from prefect import {', '.join(sorted(self.prefect))}", ""]
        head += ["from kflow.runtime_shims import prefect as kestra", ""]
        head += [f"FLOW = {literal(flow_data(flow))}", f"TREE = {literal(tree(flow))}"]
        if flow.inputs:
            # The flow function's parameter of each input, for a Subflow that calls it.
            mapping = {spec.id: self.names[f"input:{spec.id}"] for spec in flow.inputs}
            head.append(f"PARAMETERS = {literal(mapping)}")
        signature = ", ".join(parameters)
        execution = ["FLOW", "TREE", f"{{{', '.join(given)}}}"]
        if self.has_triggers:
            execution.append(TRIGGER_PARAMETER)
        main = [
            "",
            "",
            f"@flow({', '.join(options)})",
            f"def {function}({signature}) -> Any:",
            f"    with kestra.execution({', '.join(execution)}) as run:",
            *self.body,
            "    return run.end()",
        ]
        return "\n".join(head + self.defs + main) + "\n"

    # -- triggers ----------------------------------------------------------------------------------

    def trigger_error(self, trigger: ir.Trigger, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF401", message, trigger.span, help))

    def trigger_warning(self, trigger: ir.Trigger, message: str, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("KF402", message, trigger.span, help))

    def triggers(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The deployment's `schedules` (Schedule triggers) and `triggers` (Flow triggers, on
        the upstream flow runs' end events). A Webhook is a flow run created through Prefect's
        API (docs/prefect.md): it needs no entry."""
        schedules: list[dict[str, Any]] = []
        automations: list[dict[str, Any]] = []
        for trigger in self.flow.triggers:
            if trigger.disabled or trigger.type == WEBHOOK:
                continue
            if not TASK_ID.fullmatch(trigger.id):
                # prefect.yaml names the trigger: `prefect deploy` and Prefect's automations
                # would read a `{{` in it as their own template.
                self.trigger_error(
                    trigger,
                    f"the trigger id {trigger.id!r} is not an id (letters, digits, _ and -)",
                    "rename the trigger",
                )
            elif trigger.type == SCHEDULE:
                schedule = self.schedule(trigger)
                if schedule is not None:
                    schedules.append(schedule)
            elif trigger.type == FLOW_TRIGGER:
                automation = self.automation(trigger)
                if automation is not None:
                    automations.append(automation)
            else:
                self.trigger_error(
                    trigger,
                    f"trigger '{trigger.id}' ({trigger.type.rsplit('.', 1)[-1]}) cannot be "
                    "compiled for Prefect",
                    "start the deployment from a Prefect automation instead",
                )
        return schedules, automations

    def schedule(self, trigger: ir.Trigger) -> dict[str, Any] | None:
        """A cron schedule: its timezone, and as `parameters` the trigger (`kestra_trigger`)
        and its inputs written as plain values (the shim renders the others at run start)."""
        found, problem = schedule_of(trigger)
        if found is None:
            self.trigger_error(trigger, f"trigger '{trigger.id}': {problem}")
            return None
        zone = zone_name(found)
        if zone is None:
            self.trigger_error(
                trigger,
                f"the timezone of trigger '{trigger.id}' is an offset that is not a whole number "
                "of hours; Prefect needs a zone name",
                "write a zone name such as Europe/Paris",
            )
            return None
        five, seconds = cron_parts(found)
        # Prefect's croniter reads a sixth field as seconds, last (Kestra's come first).
        cron = five if seconds == "0" else f"{five} {seconds}"
        if found.backfill_start is not None:
            self.trigger_warning(
                trigger,
                f"the backfill of trigger '{trigger.id}' is not part of prefect.yaml",
                "create the backfill's flow runs as docs/prefect.md shows",
            )
        asked = ir.thaw(trigger.properties).get("recoverMissedSchedules")
        if asked in ("LAST", "NONE"):
            self.trigger_warning(
                trigger,
                f"'recoverMissedSchedules: {asked}' of trigger '{trigger.id}': Prefect runs "
                "every late flow run when its workers come back",
            )
        if found.late_maximum_delay is not None:
            self.trigger_warning(
                trigger, f"'lateMaximumDelay' of trigger '{trigger.id}' is not kept on Prefect"
            )
        parameters: dict[str, Any] = {TRIGGER_PARAMETER: {"id": trigger.id}}
        for key, value in found.inputs.items():
            name = self.names.get(f"input:{key}")
            if name is not None and not _templated(value):
                parameters[name] = value
        return {
            "cron": cron,
            "timezone": zone,
            "slug": trigger.id,
            "active": True,
            "parameters": parameters,
        }

    def automation(self, trigger: ir.Trigger) -> dict[str, Any] | None:
        """A deployment trigger on the end events of the upstream flows' runs (their flow's
        name is the Kestra flow id, their deployment's name the namespace); the flow run it
        starts gets the event in `kestra_trigger`, and the shim checks the Kestra conditions."""
        found = upstream(trigger)
        for message in found.problems:
            self.trigger_error(
                trigger,
                f"Flow trigger '{trigger.id}' {message}",
                "name each upstream flow (ExecutionFlow, or Execution/preconditions.flows with "
                "a flowId): Prefect matches the events of named flows",
            )
        for message in found.approximations:
            self.trigger_warning(trigger, f"Flow trigger '{trigger.id}': {message}")
        if found.problems:
            return None
        flow = self.flow

        def on(flows: Sequence[tuple[str, str]], states: Sequence[str]) -> dict[str, Any]:
            def one(values: list[str]) -> str | list[str]:
                return values[0] if len(values) == 1 else values

            events = sorted({e for state in states for e in STATE_EVENTS[state]})
            return {
                "type": "event",
                "match": {"prefect.resource.id": "prefect.flow-run.*"},
                "match_related": [
                    {
                        "prefect.resource.role": "flow",
                        "prefect.resource.name": one(sorted({f for _, f in flows})),
                    },
                    {
                        "prefect.resource.role": "deployment",
                        "prefect.resource.name": one(sorted({ns for ns, _ in flows})),
                    },
                ],
                "expect": events,
            }

        parts = []
        if found.flows:
            parts.append(on(found.flows, found.states))
        parts += [on([(ns, flow_id)], states) for ns, flow_id, states in found.group]
        entry: dict[str, Any] = {
            "name": f"{flow.namespace}.{flow.id}: {trigger.id}",
            "description": f"Kestra Flow trigger '{trigger.id}' of {flow.namespace}.{flow.id}",
            "enabled": True,
        }
        if len(parts) == 1:
            entry.update(parts[0])
        else:
            entry.update(
                {"type": "compound", "require": "all", "triggers": parts, **self.window(trigger)}
            )
        entry["parameters"] = {TRIGGER_PARAMETER: {"id": trigger.id, **EVENT_PARAMETERS}}
        return entry

    def window(self, trigger: ir.Trigger) -> dict[str, Any]:
        """`within` of the compound trigger of `preconditions`: Prefect's window slides; a
        Kestra window that is aligned (a duration window, by default a day from midnight) or
        daily is approximated by a sliding one as long (a day)."""
        from kflow.runtime_shims.durations import parse_duration

        pre = ir.thaw(trigger.properties).get("preconditions") or {}
        window = pre.get("timeWindow") or {}
        kind = window.get("type") or "DURATION_WINDOW"
        seconds = 86400.0
        if kind in ("DURATION_WINDOW", "SLIDING_WINDOW") and window.get("window"):
            if "{{" in str(window["window"]):
                self.trigger_error(
                    trigger,
                    f"the time window of the preconditions of '{trigger.id}' is a template; "
                    "prefect.yaml holds a fixed window",
                    "write the window as an ISO-8601 duration (PT1H, P1D)",
                )
                return {"within": number(seconds)}
            seconds = parse_duration(window["window"])
        if kind != "SLIDING_WINDOW" or window.get("windowAdvance"):
            self.trigger_warning(
                trigger,
                f"the time window of the preconditions of '{trigger.id}' is a sliding "
                f"{number(seconds)} s on Prefect",
            )
        return {"within": number(seconds)}

    def flow_retry(self) -> ir.Retry | None:
        retry = self.flow.retry
        if retry is not None and (retry.behavior or "RETRY_FAILED_TASK") != "RETRY_FAILED_TASK":
            self.diagnostics.append(
                Diagnostic(
                    "KF401",
                    f"a flow retry with behavior '{retry.behavior}' cannot be compiled for Prefect",
                    self.flow.span,
                    "use 'behavior: RETRY_FAILED_TASK' (Prefect retries each task)",
                )
            )
            return None
        return retry

    def deployment(self, entrypoint: str) -> dict[str, Any]:
        """This flow's entry of `prefect.yaml`."""
        flow = self.flow
        found: dict[str, Any] = {"name": flow.namespace, "entrypoint": entrypoint}
        # `prefect deploy` resolves `{{ … }}` in prefect.yaml (blocks, variables, environment):
        # text of the flow that holds one is left out, never resolved behind the user's back.
        if flow.description and not _templated(flow.description):
            found["description"] = flow.description
        found["tags"] = [f"{k}:{v}" for k, v in flow.labels if not _templated(f"{k}:{v}")]
        found["parameters"] = {
            self.names[f"input:{spec.id}"]: ir.thaw(spec.default)
            for spec in flow.inputs
            if spec.default is not None and not _templated(ir.thaw(spec.default))
        }
        if _templated([flow.description, flow.labels]):
            self.diagnostics.append(
                Diagnostic(
                    "KF402",
                    "prefect.yaml leaves out the description or labels holding '{{': "
                    "`prefect deploy` would resolve them as its own templates",
                    flow.span,
                )
            )
        if self.schedules:
            found["schedules"] = self.schedules
        if self.automations:
            found["triggers"] = self.automations
        concurrency = flow.concurrency
        if concurrency is not None:
            # Kestra QUEUE waits for a slot (ENQUEUE); CANCEL and FAIL end the new execution
            # at once: Prefect cancels it (there is no "fail" strategy).
            strategy = "ENQUEUE" if concurrency.behavior == "QUEUE" else "CANCEL_NEW"
            if concurrency.behavior == "FAIL":
                self.diagnostics.append(
                    Diagnostic(
                        "KF402",
                        "flow concurrency 'behavior: FAIL' cancels the new flow run on Prefect",
                        flow.span,
                    )
                )
            found["concurrency_limit"] = {
                "limit": concurrency.limit,
                "collision_strategy": strategy,
            }
        found["work_pool"] = {"name": "{{ $" + WORK_POOL_VARIABLE + " }}"}
        return found


def flow_function(flow_id: str) -> str:
    """The name of the flow function of the module compiled from the flow `flow_id`."""
    return _Writer(ir.Flow(id=flow_id, namespace="")).name("flow", flow_id)


def _inside(where: _Where) -> _Where:
    """Where the children of a flowable are: in its loop, but not direct children of it."""
    return replace(where, direct=False)


def _branch(task: ir.Task, name: str) -> tuple[ir.Task, ...]:
    return tuple(t for b in task.branches if b.name == name for t in b.tasks)


def emit(flow: ir.Flow) -> Emitted:
    """The flow module of one flow (black-formatted) and its `prefect.yaml` deployment, or
    KF401 errors and no file."""
    import black

    writer = _Writer(flow)
    source = writer.module()
    emitted = Emitted(diagnostics=writer.diagnostics)
    if any(d.code == "KF401" for d in writer.diagnostics):
        return emitted
    path = flow_path(flow, ".py")
    emitted.files[path] = black.format_str(source, mode=black.Mode(line_length=100))
    function = writer.names["flow"]
    emitted.shared[PREFECT_YAML] = [writer.deployment(f"{path}:{function}")]
    return emitted


def join(relative: str, entries: Sequence[Any]) -> str:
    """The text of a shared file from every compiled flow's entries: `prefect.yaml`, one
    deployment per flow (sorted by entrypoint)."""
    import yaml

    if relative != PREFECT_YAML:
        raise LookupError(f"the prefect target has no shared file '{relative}'")
    deployments = sorted(entries, key=lambda d: (d["entrypoint"], d["name"]))
    header = (
        "# Prefect deployments of the flows compiled by kflow (`kflow compile --target prefect`).\n"
        "# Generated: compile again rather than edit. Deploy them all with `prefect deploy --all`\n"
        f"# after setting {WORK_POOL_VARIABLE} to the name of your work pool.\n"
    )
    data = {"deployments": deployments}
    body = _yaml(data, allow_unicode=True)
    if yaml.safe_load(body) != data:
        # PyYAML writes some characters (U+0085, say) as line breaks it then reads back
        # otherwise: escape everything that is not ASCII.
        body = _yaml(data, allow_unicode=False)
    return header + body


def _yaml(data: Any, allow_unicode: bool) -> str:
    import yaml

    return str(
        yaml.safe_dump(
            data,
            sort_keys=False,
            allow_unicode=allow_unicode,
            default_flow_style=False,
            width=100,
        )
    )


def _templated(value: Any) -> bool:
    """Whether plain data holds `{{` anywhere (a template, for Kestra or for Prefect)."""
    return "{{" in json.dumps(value, default=str)

"""Checked surface flow → `ir.Flow`: aliases, deprecated spellings and defaults resolved."""

from __future__ import annotations

from typing import Any

from kflow.compiler import ir
from kflow.compiler.check import SEED_EXPRESSION_CONDITION, CheckedFlow, SurfaceTask
from kflow.compiler.diagnostics import RUN_TIME_CODES, Severity
from kflow.compiler.loader import Mapping, Node, Scalar, Sequence, to_python

RETRY_TYPES = {
    "io.kestra.plugin.core.retry.constant": "constant",
    "io.kestra.plugin.core.retry.exponential": "exponential",
    "io.kestra.plugin.core.retry.random": "random",
    "io.kestra.core.models.tasks.retrys.constant": "constant",
    "io.kestra.core.models.tasks.retrys.exponential": "exponential",
    "io.kestra.core.models.tasks.retrys.random": "random",
}


def lower(checked: CheckedFlow, run_time_errors: bool = False) -> ir.Flow:
    """Build the IR of a flow that passed `check` without errors.

    With `run_time_errors`, errors in `RUN_TIME_CODES` (expressions that will fail when rendered)
    are allowed: the structure is sound, and the failure happens at run time, as in Kestra.
    """
    root = checked.document.root
    blocking = [
        d
        for d in checked.diagnostics
        if d.level is Severity.ERROR and not (run_time_errors and d.code in RUN_TIME_CODES)
    ]
    assert root is not None and not blocking, "lower() needs a flow that checked without errors"
    lowering = _Lowering(checked)
    labels = to_python(root.get("labels"))
    if isinstance(labels, list):
        labels = {str(item["key"]): item["value"] for item in labels}
    return ir.Flow(
        id=str(to_python(root.get("id"))),
        namespace=str(to_python(root.get("namespace"))),
        description=_text(root.get("description")),
        labels=tuple((str(k), _label(v)) for k, v in (labels or {}).items()),
        inputs=tuple(_input(item) for item in _items(root.get("inputs"))),
        variables=ir.freeze(to_python(root.get("variables")) or {}),
        outputs=tuple(_output(item) for item in _items(root.get("outputs"))),
        tasks=lowering.tasks(checked.tasks),
        errors=lowering.tasks(checked.errors),
        finally_=lowering.tasks(checked.finally_),
        after_execution=lowering.tasks(checked.after_execution),
        listeners=tuple(
            ir.Listener(tuple(_condition(c) for c in conds), lowering.tasks(tasks))
            for conds, tasks in checked.listeners
        ),
        triggers=tuple(_trigger(item) for item in _items(root.get("triggers"))),
        concurrency=_concurrency(root.get("concurrency")),
        retry=_retry(root.get("retry")),
        disabled=bool(to_python(root.get("disabled"))),
        span=root.span,
    )


class _Lowering:
    def __init__(self, checked: CheckedFlow) -> None:
        self.checked = checked

    def tasks(self, tasks: list[SurfaceTask]) -> tuple[ir.Task, ...]:
        return tuple(self.task(t) for t in tasks)

    def task(self, task: SurfaceTask) -> ir.Task:
        spec = task.spec
        assert spec is not None
        node = task.node
        props = {name: _plain(value) for name, value in task.props.items()}
        if "docker" in props and isinstance(props["docker"], dict):
            image = props.pop("docker").get("image")
            if image is not None:
                props.setdefault("containerImage", image)
        if props.pop("fetch", None) is True:
            props.setdefault("fetchType", "FETCH")
        implied = self.checked.implied_output_files.get(task.id)
        if implied:
            props.setdefault("outputFiles", sorted(implied))
        run_if = [str(v) for v in [to_python(node.get("runIf"))] if v is not None]
        conditions = node.get("conditions")
        if isinstance(conditions, Sequence):
            for cond in conditions.items:
                if isinstance(cond, Mapping):
                    run_if.append(str(to_python(cond.get("expression"))))
        branches = tuple(ir.Branch(b.name, self.tasks(b.tasks), b.key) for b in task.branches)
        type_name = spec.type
        if task.as_condition:
            type_name = SEED_EXPRESSION_CONDITION
        return ir.Task(
            id=task.id,
            type=type_name,
            properties=ir.freeze(props),
            description=_text(node.get("description")),
            branches=branches,
            depends_on=tuple(task.depends_on),
            retry=_retry(node.get("retry")),
            timeout=_text(node.get("timeout")),
            disabled=bool(to_python(node.get("disabled"))),
            allow_failure=bool(to_python(node.get("allowFailure"))),
            allow_warning=bool(to_python(node.get("allowWarning"))),
            run_if=tuple(run_if),
            log_level=_text(node.get("logLevel")),
            reads=self.reads(task),
            span=node.span,
        )

    def reads(self, task: SurfaceTask) -> ir.Reads:
        found: dict[str, set[str]] = {"outputs": set(), "inputs": set(), "vars": set()}
        scalars: list[Node] = list(task.props.values())
        scalars += [v for k in ("runIf", "conditions") if (v := task.node.get(k)) is not None]
        for scalar in _scalars(scalars):
            for ref in self.checked.references.get(id(scalar), ()):
                if ref.root in found and ref.path and isinstance(ref.path[0], str):
                    found[ref.root].add(ref.path[0])
        return ir.Reads(*(tuple(sorted(found[k])) for k in ("outputs", "inputs", "vars")))


def _scalars(nodes: list[Any]) -> list[Scalar]:
    out: list[Scalar] = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, Scalar):
            out.append(node)
        elif isinstance(node, Mapping):
            stack.extend(v for _, v in node.items)
        elif isinstance(node, Sequence):
            stack.extend(node.items)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (Scalar, Mapping, Sequence)):
        return to_python(value)
    return value


def _items(node: Node | None) -> list[Mapping]:
    if isinstance(node, Sequence):
        return [item for item in node.items if isinstance(item, Mapping)]
    return []


def _text(node: Node | None) -> str | None:
    value = to_python(node)
    return None if value is None else str(value)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _input(item: Mapping) -> ir.Input:
    data = to_python(item)
    input_id = data.pop("id", None) or data.pop("name", None)
    data.pop("name", None)
    if "options" in data and "values" not in data:
        data["values"] = data.pop("options")
    return ir.Input(
        id=str(input_id),
        type=str(data.pop("type")),
        required=bool(data.pop("required", True)),
        default=ir.freeze(data.pop("defaults", None)),
        description=data.pop("description", None),
        display_name=data.pop("displayName", None),
        extra=ir.freeze(data),
        span=item.span,
    )


def _output(item: Mapping) -> ir.Output:
    data = to_python(item)
    return ir.Output(
        id=str(data.get("id")),
        type=str(data.get("type", "STRING")),
        value=ir.freeze(data.get("value")),
        description=data.get("description"),
        span=item.span,
    )


def _condition(node: Mapping) -> ir.Condition:
    data = to_python(node)
    type_name = _canonical_type(str(data.pop("type")))
    return ir.Condition(type_name, ir.freeze(data), node.span)


def _trigger(node: Mapping) -> ir.Trigger:
    data = to_python(node)
    conditions = node.get("conditions")
    data.pop("conditions", None)
    return ir.Trigger(
        id=str(data.pop("id")),
        type=_canonical_type(str(data.pop("type"))),
        disabled=bool(data.pop("disabled", False)),
        conditions=tuple(_condition(c) for c in _items(conditions)),
        properties=ir.freeze(data),
        span=node.span,
    )


def _canonical_type(name: str) -> str:
    from kflow.plugin_registry import default_registry

    found = default_registry().lookup(name)
    return found[0].type if found else name


def _concurrency(node: Node | None) -> ir.Concurrency | None:
    data = to_python(node)
    if not isinstance(data, dict) or "limit" not in data:
        return None
    return ir.Concurrency(int(data["limit"]), str(data.get("behavior", "QUEUE")))


def _retry(node: Node | None) -> ir.Retry | None:
    data = to_python(node)
    if not isinstance(data, dict):
        return None
    kind = str(data.get("type", "constant"))
    kind = RETRY_TYPES.get(kind.lower(), kind.lower())
    attempts = data.get("maxAttempts", data.get("maxAttempt"))
    factor = data.get("delayFactor")
    return ir.Retry(
        type=kind,
        max_attempts=int(attempts) if attempts is not None else None,
        max_duration=data.get("maxDuration"),
        interval=data.get("interval"),
        max_interval=data.get("maxInterval", data.get("maxDelay")),
        min_interval=data.get("minInterval"),
        delay_factor=float(factor) if factor is not None else None,
        warning_on_retry=bool(data.get("warningOnRetry", False)),
        behavior=data.get("behavior"),
    )

"""Semantic checks over the surface flow: every rule reports a coded Diagnostic.

`check(document)` walks the loader's nodes once, builds the task tree (`SurfaceTask`), applies
`pluginDefaults`, and runs the rules: flow keys and ids, plugin properties, inputs, triggers, Dag
dependencies, and expressions (syntax, names, and references to inputs, variables and task outputs,
including whether the referenced task can have run yet). `kflow.compiler.lower` turns the result
into the IR; it relies on the checks having passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ValidationError

from kflow.compiler import schema
from kflow.compiler.diagnostics import Diagnostic, Severity, did_you_mean
from kflow.compiler.loader import Document, Mapping, Node, Scalar, Sequence, to_python
from kflow.compiler.source import Span
from kflow.expr.catalogue import ROOT_VARIABLES
from kflow.expr.parser import (
    ExprError,
    Reference,
    Template,
    parse_template,
    references,
    unknown_names,
)
from kflow.plugin_registry import (
    Alias,
    ChildShape,
    Kind,
    PluginSpec,
    Registry,
    default_registry,
)
from kflow.plugin_registry.types import (
    CONDITION_COMMON_KEYS,
    TASK_COMMON_KEYS,
    TRIGGER_COMMON_KEYS,
    Concurrency,
    Retry,
    property_names,
    validate_duration,
)

FLOW_PARALLEL_TYPES = frozenset({"io.kestra.plugin.core.flow.Parallel"})
SEED_EXPRESSION_CONDITION = "io.kestra.plugin.core.condition.Expression"
SUBFLOW_TYPE = "io.kestra.plugin.core.flow.Subflow"
FOREACH_ITEM_TYPE = "io.kestra.plugin.core.flow.ForEachItem"
WAIT_FOR_TYPE = "io.kestra.plugin.core.flow.WaitFor"
# Properties rendered in the context of the child execution, not of this flow
CHILD_CONTEXT_PROPERTIES = {SUBFLOW_TYPE: "outputs", FOREACH_ITEM_TYPE: "outputs"}
# Kestra creates these tasks for a ForEachItem: their outputs are readable under these ids
FOREACH_ITEM_SUFFIXES = ("_split", "_items", "_merge")
ALLOWED_SYSTEM_LABELS = frozenset({"system.readOnly"})
NESTED_CONDITIONS = {
    "io.kestra.plugin.core.condition.MultipleCondition": ChildShape.MAP_OF_LISTS,
    "io.kestra.plugin.core.condition.Not": ChildShape.LIST,
    "io.kestra.plugin.core.condition.Or": ChildShape.LIST,
}
WORKING_DIRECTORY_TYPE = "io.kestra.plugin.core.flow.WorkingDirectory"
#: Variables a script task's own properties may read besides the root ones (Kestra's script
#: runner adds them): its working directory and the directory of files to keep.
SCRIPT_VARIABLES = frozenset({"workingDir", "outputDir"})
TEMPLATE_MARKERS = ("{{", "{%", "{#")


@dataclass(eq=False)
class Branch:
    """A list of child tasks under one property of a flowable (a Switch case has a `key`)."""

    name: str
    key: str | None
    tasks: list[SurfaceTask]
    node: Node


def _is_script(task: SurfaceTask | None) -> bool:
    return (
        task is not None
        and task.spec is not None
        and task.spec.type.startswith("io.kestra.plugin.scripts.")
    )


@dataclass(eq=False)
class SurfaceTask:
    """One task as written, resolved against the registry, with its place in the tree."""

    node: Mapping
    id: str
    type_name: str
    spec: PluginSpec | None
    parent: SurfaceTask | None
    # own properties (not common keys, not child lists), after pluginDefaults; values are nodes
    # when written in the task, plain values when they came from a default
    props: dict[str, Any] = field(default_factory=dict)
    branches: list[Branch] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    as_condition: bool = False  # a condition type written as a task (the seed's Expression)
    visible: frozenset[str] = frozenset()  # task ids whose outputs may exist when this starts
    # what the task's own properties may read: `visible`, except for a WaitFor's condition,
    # which is evaluated after each run of its children
    props_visible: frozenset[str] = frozenset()
    extra_ids: tuple[str, ...] = ()  # ids of tasks the engine creates for this one

    @property
    def in_loop(self) -> bool:
        parent = self.parent
        while parent is not None:
            if parent.spec is not None and parent.spec.loops:
                return True
            parent = parent.parent
        return False

    def walk(self) -> Iterator[SurfaceTask]:
        """This task and every task below it, in document order."""
        yield self
        for branch in self.branches:
            for task in branch.tasks:
                yield from task.walk()


@dataclass(eq=False)
class CheckedFlow:
    """What the checker learnt about one flow document."""

    document: Document
    diagnostics: list[Diagnostic]
    tasks: list[SurfaceTask] = field(default_factory=list)
    errors: list[SurfaceTask] = field(default_factory=list)
    finally_: list[SurfaceTask] = field(default_factory=list)
    after_execution: list[SurfaceTask] = field(default_factory=list)
    listeners: list[tuple[list[Mapping], list[SurfaceTask]]] = field(default_factory=list)
    task_ids: frozenset[str] = frozenset()
    input_ids: tuple[str, ...] = ()
    templates: dict[int, Template] = field(default_factory=dict)  # id(scalar) → parsed
    references: dict[int, list[Reference]] = field(default_factory=dict)  # id(scalar) → reads
    # script task id → files read as outputs.<id>.outputFiles['name'] that it does not declare
    # in `outputFiles` (the seed notes' form): lowering adds them to its `outputFiles`
    implied_output_files: dict[str, set[str]] = field(default_factory=dict)

    def all_tasks(self) -> Iterator[SurfaceTask]:
        roots = [*self.tasks, *self.errors, *self.finally_, *self.after_execution]
        roots += [t for _, tasks in self.listeners for t in tasks]
        for root in roots:
            yield from root.walk()

    @property
    def ok(self) -> bool:
        return not any(d.level is Severity.ERROR for d in self.diagnostics)


def check(document: Document, registry: Registry | None = None) -> CheckedFlow:
    """Run every rule on one loaded document."""
    result = CheckedFlow(document, list(document.diagnostics))
    if document.root is not None:
        _Checker(result, registry or default_registry()).run(document.root)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


class _Checker:
    def __init__(self, result: CheckedFlow, registry: Registry) -> None:
        self.result = result
        self.registry = registry
        self.path = result.document.source.path
        self.defaults: list[tuple[str, Mapping, bool]] = []  # (type, values node, forced)
        self.seen_task_ids: dict[str, Scalar] = {}
        self.variables: set[str] = set()
        self.inputs: set[str] = set()
        self.flow_id = ""
        self.namespace = ""
        self.dag_entries: dict[int, Mapping] = {}  # id(task) → its {task, dependsOn} entry
        self.severity: Severity | None = None  # overrides codes' defaults while set
        self._tasks_by_id: dict[str, SurfaceTask] | None = None

    # -- reporting ---------------------------------------------------------------------------

    def report(
        self,
        code: str,
        message: str,
        span: Span,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.result.diagnostics.append(
            Diagnostic(code, message, span, hint, severity or self.severity)
        )

    def _span_of(self, node: Any, fallback: Span) -> Span:
        return node.span if isinstance(node, (Scalar, Mapping, Sequence)) else fallback

    # -- flow ----------------------------------------------------------------------------------

    def run(self, root: Mapping) -> None:
        for key, _ in root.items:
            name = str(key.value)
            if name not in schema.FLOW_KEYS:
                self.report(
                    "KF202",
                    f"unknown flow property '{name}'",
                    key.span,
                    did_you_mean(name, schema.FLOW_KEYS),
                )
            elif name in schema.DEPRECATED_FLOW_KEYS:
                self.report("KF213", schema.DEPRECATED_FLOW_KEYS[name], key.span)
        self.flow_id = self._identifier(root, "id", schema.FLOW_ID, "KF301", "flow id")
        self.namespace = self._identifier(root, "namespace", schema.NAMESPACE, "KF302", "namespace")
        self._labels(root.get("labels"))
        self._plugin_defaults(root)
        self._inputs(root.get("inputs"))
        self._concurrency(root.get("concurrency"))
        variables = root.get("variables")
        if isinstance(variables, Mapping):
            self.variables = {str(k.value) for k, _ in variables.items}
        elif variables is not None and not _is_null(variables):
            self.report("KF203", "'variables' must be a mapping of names to values", variables.span)

        r = self.result
        tasks_node = root.get("tasks")
        if tasks_node is None or _is_null(tasks_node):
            self.report(
                "KF201",
                "the flow has no 'tasks'",
                (root.key("id") or root).span,
                "add a 'tasks:' list with at least one task",
            )
        r.tasks = self._task_list(tasks_node, None, "tasks", required=True)
        r.errors = self._task_list(root.get("errors"), None, "errors")
        r.finally_ = self._task_list(root.get("finally"), None, "finally")
        r.after_execution = self._task_list(root.get("afterExecution"), None, "afterExecution")
        self._listeners(root.get("listeners"))
        r.task_ids = frozenset(self.seen_task_ids)

        self._visibility()
        self._triggers(root.get("triggers"))
        self._task_rules()
        self._expressions_in_flow(root)

    def _identifier(
        self, root: Mapping, key: str, pattern: re.Pattern[str], code: str, what: str
    ) -> str:
        node = root.get(key)
        if node is None:
            self.report(
                "KF201", f"the flow has no '{key}'", root.span.at_start(), f"add '{key}: …'"
            )
            return ""
        if not isinstance(node, Scalar) or not isinstance(node.value, (str, int)):
            self.report("KF203", f"the {what} must be a string", node.span)
            return ""
        text = str(node.value)
        if not pattern.match(text) or len(text) > schema.MAX_ID_LENGTH:
            shown = pattern.pattern
            self.report(
                code,
                f"invalid {what} '{text}'" if text else f"the {what} is empty",
                node.span,
                f"it must match {shown} (at most {schema.MAX_ID_LENGTH} characters)",
            )
        return text

    def _labels(self, node: Node | None) -> None:
        if node is None or _is_null(node):
            return
        pairs: list[tuple[str, Node]] = []
        if isinstance(node, Mapping):
            pairs = [(str(k.value), k) for k, _ in node.items]
        elif isinstance(node, Sequence):
            for item in node.items:
                key = item.get("key") if isinstance(item, Mapping) else None
                if not isinstance(item, Mapping) or key is None or item.get("value") is None:
                    self.report(
                        "KF203",
                        "a label in a list must be a mapping with 'key' and 'value'",
                        item.span,
                    )
                    continue
                pairs.append((str(to_python(key)), key))
        else:
            self.report("KF203", "'labels' must be a mapping or a list of key/value", node.span)
        for name, where in pairs:
            if name.startswith("system.") and name not in ALLOWED_SYSTEM_LABELS:
                self.report(
                    "KF314",
                    f"label '{name}' uses the reserved 'system.' prefix",
                    where.span,
                    "system labels are set by the engine; rename the label",
                )

    def _plugin_defaults(self, root: Mapping) -> None:
        for key in ("pluginDefaults", "taskDefaults"):
            node = root.get(key)
            if node is None or _is_null(node):
                continue
            if not isinstance(node, Sequence):
                self.report("KF203", f"'{key}' must be a list of {{type, values}}", node.span)
                continue
            for item in node.items:
                if not isinstance(item, Mapping):
                    self.report("KF203", "a plugin default must be a mapping", item.span)
                    continue
                for k, _ in item.items:
                    if k.value not in schema.PLUGIN_DEFAULT_KEYS:
                        self.report(
                            "KF202",
                            f"unknown plugin default property '{k.value}'",
                            k.span,
                            did_you_mean(str(k.value), schema.PLUGIN_DEFAULT_KEYS),
                        )
                type_node, values = item.get("type"), item.get("values")
                if not isinstance(type_node, Scalar) or not isinstance(type_node.value, str):
                    self.report("KF201", "a plugin default needs a 'type'", item.span)
                    continue
                if values is not None and not isinstance(values, Mapping):
                    self.report("KF203", "'values' must be a mapping", values.span)
                    continue
                forced = item.get("forced")
                self.defaults.append(
                    (
                        type_node.value,
                        values or Mapping([], item.span),
                        bool(isinstance(forced, Scalar) and forced.value is True),
                    )
                )

    # -- inputs --------------------------------------------------------------------------------

    def _inputs(self, node: Node | None) -> None:
        if node is None or _is_null(node):
            return
        if not isinstance(node, Sequence):
            self.report("KF203", "'inputs' must be a list", node.span)
            return
        seen: dict[str, Scalar] = {}
        for item in node.items:
            if not isinstance(item, Mapping):
                self.report("KF203", "an input must be a mapping with 'id' and 'type'", item.span)
                continue
            id_node = item.get("id")
            if id_node is None and item.get("name") is not None:
                id_node = item.get("name")
                name_key = item.key("name")
                assert name_key is not None
                self.report(
                    "KF213",
                    "input 'name' is deprecated; write 'id' (kflow reads 'name' as the input id)",
                    name_key.span,
                )
            if not isinstance(id_node, Scalar) or id_node.value in (None, ""):
                self.report("KF201", "the input has no 'id'", item.span.at_start(), "add 'id: …'")
                continue
            input_id = str(id_node.value)
            if not schema.INPUT_ID.match(input_id):
                self.report(
                    "KF215",
                    f"invalid input id '{input_id}'",
                    id_node.span,
                    f"it must match {schema.INPUT_ID.pattern}",
                )
            if input_id in seen:
                self.report(
                    "KF304",
                    f"duplicate input id '{input_id}' (first on line {seen[input_id].span.line})",
                    id_node.span,
                    "give each input its own id",
                )
            else:
                seen[input_id] = id_node
            self._input(item, input_id)
        self.inputs = set(seen)
        self.result.input_ids = tuple(seen)

    def _input(self, item: Mapping, input_id: str) -> None:
        for k, _ in item.items:
            if k.value not in schema.INPUT_KEYS:
                self.report(
                    "KF202",
                    f"unknown input property '{k.value}'",
                    k.span,
                    did_you_mean(str(k.value), schema.INPUT_KEYS),
                )
        type_node = item.get("type")
        if not isinstance(type_node, Scalar) or not isinstance(type_node.value, str):
            self.report(
                "KF201",
                f"input '{input_id}' has no 'type'",
                item.span.at_start(),
                "add 'type: STRING' (or INT, FLOAT, BOOLEAN, DATETIME, FILE, JSON, …)",
            )
            return
        kind = type_node.value
        if kind not in schema.INPUT_TYPES:
            self.report(
                "KF209",
                f"unknown input type '{kind}'",
                type_node.span,
                did_you_mean(kind.upper(), schema.INPUT_TYPES)
                or "one of " + ", ".join(sorted(schema.INPUT_TYPES)),
            )
            return
        validator = item.get("validator")
        if isinstance(validator, Scalar):
            try:
                re.compile(str(validator.value))
            except re.error as error:
                self.report(
                    "KF215",
                    f"input '{input_id}': invalid validator regular expression: {error.msg}",
                    validator.span,
                )
        if kind == "ARRAY":
            item_type = item.get("itemType")
            if not isinstance(item_type, Scalar):
                self.report(
                    "KF201", f"ARRAY input '{input_id}' needs an 'itemType'", type_node.span
                )
            elif item_type.value not in schema.ARRAY_ITEM_TYPES:
                self.report(
                    "KF215",
                    f"ARRAY input '{input_id}' cannot hold items of type '{item_type.value}'",
                    item_type.span,
                    "one of " + ", ".join(sorted(schema.ARRAY_ITEM_TYPES)),
                )
        if kind in ("ENUM", "SELECT", "MULTISELECT"):
            values = item.get("values") or item.get("options")
            if values is None and item.get("expression") is None:
                self.report("KF201", f"{kind} input '{input_id}' needs 'values'", type_node.span)
        defaults = item.get("defaults")
        if defaults is not None and not _is_null(defaults):
            problem = _default_problem(kind, to_python(defaults), item)
            if problem:
                self.report("KF210", f"input '{input_id}': {problem}", defaults.span)

    # -- tasks ---------------------------------------------------------------------------------

    def _task_list(
        self, node: Node | None, parent: SurfaceTask | None, where: str, required: bool = False
    ) -> list[SurfaceTask]:
        if node is None or _is_null(node):
            return []
        if not isinstance(node, Sequence):
            self.report("KF203", f"'{where}' must be a list of tasks", node.span)
            return []
        if required and not node.items:
            self.report("KF212", f"'{where}' is empty", node.span, "add at least one task")
        tasks = []
        for item in node.items:
            task = self._task(item, parent)
            if task is not None:
                tasks.append(task)
        return tasks

    def _task(self, node: Node, parent: SurfaceTask | None) -> SurfaceTask | None:
        if not isinstance(node, Mapping):
            self.report("KF203", "a task must be a mapping with 'id' and 'type'", node.span)
            return None
        id_node, type_node = node.get("id"), node.get("type")
        task_id = ""
        if not isinstance(id_node, Scalar) or id_node.value in (None, ""):
            self.report("KF201", "the task has no 'id'", node.span.at_start(), "add 'id: …'")
        else:
            task_id = str(id_node.value)
            if not schema.TASK_ID.match(task_id) or len(task_id) > schema.MAX_ID_LENGTH:
                self.report(
                    "KF315",
                    f"invalid task id '{task_id}'",
                    id_node.span,
                    f"it must match {schema.TASK_ID.pattern}",
                )
            first = self.seen_task_ids.get(task_id)
            if first is not None:
                self.report(
                    "KF303",
                    f"duplicate task id '{task_id}' (first on line {first.span.line})",
                    id_node.span,
                    "task ids must be unique in the whole flow, errors and finally included",
                )
            else:
                self.seen_task_ids[task_id] = id_node
        if not isinstance(type_node, Scalar) or not isinstance(type_node.value, str):
            self.report("KF201", f"task '{task_id}' has no 'type'", node.span.at_start())
            return None
        type_name = type_node.value
        found = self.registry.lookup(type_name)
        task = SurfaceTask(node, task_id, type_name, None, parent)
        if found is None:
            self.report(
                "KF204",
                f"unknown task type '{type_name}'",
                type_node.span,
                did_you_mean(type_name, self._type_names(Kind.TASK)),
            )
            return task
        spec, alias = found
        if spec.kind is Kind.CONDITION:
            if spec.type != SEED_EXPRESSION_CONDITION:
                self.report("KF204", f"'{type_name}' is a condition, not a task", type_node.span)
                return task
            task.as_condition = True
            self.report(
                "KF213",
                "a condition used as a task (seed notes form); kflow evaluates 'expression' and "
                "sets outputs.value to the result (true/false) — in current Kestra write a "
                "Return task or 'runIf' instead",
                type_node.span,
            )
        elif spec.kind is not Kind.TASK:
            self.report(
                "KF204", f"'{type_name}' is a {spec.kind.value}, not a task", type_node.span
            )
            return task
        self._type_notes(spec, alias, type_node)
        task.spec = spec
        if spec.type == FOREACH_ITEM_TYPE and task_id:
            task.extra_ids = tuple(task_id + suffix for suffix in FOREACH_ITEM_SUFFIXES)
            for extra in task.extra_ids:
                self.seen_task_ids.setdefault(extra, id_node)  # type: ignore[arg-type]
        self._task_common(task)
        self._task_properties(task)
        for prop, shape in spec.children.items():
            self._children(task, prop, shape)
        return task

    def _type_notes(self, spec: PluginSpec, alias: Alias | None, type_node: Scalar) -> None:
        if alias is not None and alias.note:
            self.report("KF213", alias.note, type_node.span)
        elif spec.note:
            self.report("KF213", spec.note, type_node.span)

    def _type_names(self, kind: Kind) -> list[str]:
        return self.registry.names(kind)

    def _task_common(self, task: SurfaceTask) -> None:
        node = task.node
        retry = node.get("retry")
        if retry is not None and not _is_null(retry):
            self._retry(retry)
        timeout = node.get("timeout")
        if isinstance(timeout, Scalar):
            self._duration(timeout)
        worker_group = node.get("workerGroup")
        if worker_group is not None:
            key = node.key("workerGroup")
            assert key is not None
            self.report(
                "KF316",
                "'workerGroup' is a Kestra Enterprise feature",
                key.span,
                "remove it; kflow's targets choose workers by their own means (pools, queues)",
            )
        conditions = node.get("conditions")
        if conditions is not None:
            key = node.key("conditions")
            assert key is not None
            self.report(
                "KF213",
                "task-level 'conditions' are a seed-notes form; kflow runs the task only when "
                "every Expression condition is true (else SKIPPED), like 'runIf'",
                key.span,
            )
            if isinstance(conditions, Sequence):
                for cond in conditions.items:
                    self._condition(cond, allowed={SEED_EXPRESSION_CONDITION})
        docker = node.get("docker")
        if docker is not None:
            key = node.key("docker")
            assert key is not None
            self.report(
                "KF213",
                "'docker.image' is deprecated; write 'containerImage: …' (kflow reads it as such)",
                key.span,
            )

    def _retry(self, node: Node) -> None:
        if not isinstance(node, Mapping):
            self.report("KF203", "'retry' must be a mapping", node.span)
            return
        for old, new in (("maxAttempt", "maxAttempts"), ("maxDelay", "maxInterval")):
            key = node.key(old)
            if key is not None:
                self.report(
                    "KF213",
                    f"retry '{old}' is deprecated; write '{new}' (kflow reads it as such)",
                    key.span,
                )
        try:
            Retry.model_validate(to_python(node))
        except ValidationError as error:
            self._model_errors(error, node, "retry", Retry)

    def _concurrency(self, node: Node | None) -> None:
        if node is None or _is_null(node):
            return
        if not isinstance(node, Mapping):
            self.report("KF203", "'concurrency' must be a mapping with a 'limit'", node.span)
            return
        try:
            Concurrency.model_validate(to_python(node))
        except ValidationError as error:
            self._model_errors(error, node, "concurrency", Concurrency)

    def _duration(self, node: Scalar) -> None:
        if isinstance(node.value, str) and _has_template(node.value):
            return
        problem = validate_duration(node.value)
        if problem:
            self.report(
                "KF207",
                f"invalid duration '{node.raw}': {problem}",
                node.span,
                "write an ISO-8601 duration such as PT30S, PT5M, PT2H or P1D",
            )

    def _task_properties(self, task: SurfaceTask) -> None:
        spec = task.spec
        assert spec is not None
        node = task.node
        own: dict[str, Any] = {}
        keys: dict[str, Scalar] = {}
        for key, value in node.items:
            name = str(key.value)
            if name in TASK_COMMON_KEYS or name in spec.children:
                continue
            own[name] = value
            keys[name] = key
        # pluginDefaults: values fill what the task leaves out; forced ones win
        from_defaults: dict[str, Node] = {}
        for type_name, values, forced in self.defaults:
            if not _default_applies(type_name, task.type_name, spec):
                continue
            for key, value in values.items:
                name = str(key.value)
                if name in TASK_COMMON_KEYS or name in spec.children:
                    continue
                if name not in own or forced:
                    own[name] = value
                    from_defaults[name] = value
        if task.as_condition:
            own.pop("type", None)
        task.props = own
        self._deprecated_properties(spec, keys)
        data = {name: to_python(value) for name, value in own.items()}
        if "docker" in data and isinstance(data["docker"], dict):
            data.setdefault("containerImage", data.pop("docker").get("image"))
        try:
            spec.properties.model_validate(data)
        except ValidationError as error:
            self._property_errors(error, task, keys, from_defaults)

    def _deprecated_properties(self, spec: PluginSpec, keys: dict[str, Scalar]) -> None:
        fields = {f.alias or name: f for name, f in spec.properties.model_fields.items()}
        for name, key in keys.items():
            field_info = fields.get(name)
            if field_info is not None and field_info.deprecated:
                self.report("KF213", f"'{name}': {field_info.deprecated}", key.span)

    def _property_errors(
        self,
        error: ValidationError,
        task: SurfaceTask,
        keys: dict[str, Scalar],
        from_defaults: dict[str, Node],
    ) -> None:
        spec = task.spec
        assert spec is not None
        known = property_names(spec.properties)
        missing_connection: list[str] = []
        for item in error.errors():
            loc = item["loc"]
            name = str(loc[0]) if loc else ""
            kind = item["type"]
            if kind == "missing":
                if name in spec.connection:
                    missing_connection.append(name)
                    continue
                self.report(
                    "KF201",
                    f"task '{task.id}' ({_short(task.type_name)}) needs property '{name}'",
                    task.node.span.at_start(),
                    f"add '{name}: …'",
                )
                continue
            if kind == "extra_forbidden":
                if name in from_defaults and name not in keys:
                    value = from_defaults[name]
                    hint = did_you_mean(name, known)
                    if name == "runConfig":
                        hint = "container resources go under 'taskRunner' (e.g. Docker 'memory')"
                    self.report(
                        "KF202",
                        f"plugin default sets '{name}', which {_short(task.type_name)} does not "
                        "have; kflow ignores it",
                        value.span,
                        hint,
                        Severity.WARNING,
                    )
                    task.props.pop(name, None)
                    continue
                where = keys.get(name)
                self.report(
                    "KF202",
                    f"unknown property '{name}' for {_short(task.type_name)}",
                    where.span if where else task.node.span.at_start(),
                    did_you_mean(name, known),
                )
                continue
            target = task.props.get(name)
            node = (
                _descend(target, loc[1:])
                if isinstance(target, (Scalar, Mapping, Sequence))
                else None
            )
            span = node.span if node is not None else task.node.span.at_start()
            self.report(_error_code(kind), f"'{_loc(loc)}': {item['msg']}", span)
        if missing_connection:
            names = ", ".join(f"'{n}'" for n in missing_connection)
            self.report(
                "KF214",
                f"task '{task.id}' has no connection settings ({names})",
                task.node.span.at_start(),
                "set them in the task, in pluginDefaults for this type, from secrets "
                "({{ secret('…') }}), or in the environment (KFLOW_JDBC_<DB>_URL, _USERNAME, "
                "_PASSWORD); otherwise the task fails when it runs",
            )

    def _children(self, task: SurfaceTask, prop: str, shape: ChildShape) -> None:
        node = task.node.get(prop)
        if node is None or _is_null(node):
            return
        if shape is ChildShape.LIST:
            tasks = self._task_list(node, task, prop)
            task.branches.append(Branch(prop, None, tasks, node))
        elif shape is ChildShape.MAP_OF_LISTS:
            if not isinstance(node, Mapping):
                self.report("KF203", f"'{prop}' must map values to task lists", node.span)
                return
            for case_key, case_tasks in node.items:
                tasks = self._task_list(case_tasks, task, prop)
                task.branches.append(Branch(prop, str(case_key.value), tasks, case_tasks))
        elif shape is ChildShape.DAG:
            if not isinstance(node, Sequence):
                self.report("KF203", f"'{prop}' must be a list of {{task, dependsOn}}", node.span)
                return
            tasks = []
            for item in node.items:
                inner = item.get("task") if isinstance(item, Mapping) else None
                if inner is None:
                    self.report(
                        "KF201", "a Dag entry needs 'task' (and optional 'dependsOn')", item.span
                    )
                    continue
                child = self._task(inner, task)
                if child is None:
                    continue
                assert isinstance(item, Mapping)
                deps = item.get("dependsOn")
                if isinstance(deps, Sequence):
                    child.depends_on = [str(to_python(d)) for d in deps.items]
                tasks.append(child)
                self.dag_entries[id(child)] = item
            task.branches.append(Branch(prop, None, tasks, node))

    def _listeners(self, node: Node | None) -> None:
        if node is None or _is_null(node) or not isinstance(node, Sequence):
            return
        for item in node.items:
            if not isinstance(item, Mapping):
                continue
            tasks_node = item.get("tasks")
            conditions = item.get("conditions")
            conds: list[Mapping] = []
            if isinstance(conditions, Sequence):
                for cond in conditions.items:
                    self._condition(cond)
                    if isinstance(cond, Mapping):
                        conds.append(cond)
            if tasks_node is None or (isinstance(tasks_node, Sequence) and not tasks_node.items):
                self.report(
                    "KF212",
                    "a listener needs at least one task",
                    (tasks_node or item).span,
                    "add tasks, or remove the listener",
                )
            tasks = self._task_list(tasks_node, None, "listeners.tasks")
            self.result.listeners.append((conds, tasks))

    # -- rules over the task tree ---------------------------------------------------------------

    def _task_rules(self) -> None:
        for task in self.result.all_tasks():
            spec = task.spec
            if spec is None:
                continue
            self._empty_flowable(task)
            if spec.type == SUBFLOW_TYPE:
                ns, flow = task.props.get("namespace"), task.props.get("flowId")
                if (
                    isinstance(ns, Scalar)
                    and isinstance(flow, Scalar)
                    and ns.value == self.namespace
                    and flow.value == self.flow_id
                ):
                    self.report(
                        "KF313",
                        f"task '{task.id}' starts its own flow '{self.namespace}.{self.flow_id}'",
                        flow.span,
                        "a flow cannot be its own subflow; it would never end",
                    )
            if spec.type == WORKING_DIRECTORY_TYPE:
                for branch in task.branches:
                    for child in branch.tasks:
                        if (
                            branch.name == "tasks"
                            and child.spec is not None
                            and child.spec.flowable
                        ):
                            self.report(
                                "KF317",
                                f"'{child.id}' is a flowable task; a WorkingDirectory runs only "
                                "runnable tasks (scripts, queries, …)",
                                (child.node.get("type") or child.node).span,
                                "move it out of the WorkingDirectory",
                            )
            if spec.children and any(s is ChildShape.DAG for s in spec.children.values()):
                self._dag_rules(task)

    def _empty_flowable(self, task: SurfaceTask) -> None:
        spec = task.spec
        assert spec is not None
        required = [p for p in spec.children if p not in ("errors", "finally", "else")]
        if not required or not spec.children_required:
            return
        if any(b.tasks for b in task.branches if b.name in required):
            return
        written = [p for p in required if (n := task.node.get(p)) is not None and not _is_null(n)]
        type_span = (task.node.get("type") or task.node).span
        if spec.children.get("cases") is ChildShape.MAP_OF_LISTS:
            message = f"Switch '{task.id}' has no cases and no defaults"
        elif not written:
            names = " or ".join(f"'{p}'" for p in required)
            message = f"{_short(task.type_name)} '{task.id}' has no {names}"
        else:
            message = f"{_short(task.type_name)} '{task.id}' has an empty '{written[0]}'"
        self.report("KF212", message, type_span, "add at least one child task")

    def _dag_rules(self, task: SurfaceTask) -> None:
        children = [c for b in task.branches if b.name == "tasks" for c in b.tasks]
        ids = {c.id for c in children}
        graph: dict[str, list[str]] = {}
        for child in children:
            entry = self.dag_entries.get(id(child))
            deps_node = entry.get("dependsOn") if entry is not None else None
            deps_items = deps_node.items if isinstance(deps_node, Sequence) else []
            graph[child.id] = []
            for dep, dep_node in zip(child.depends_on, deps_items, strict=False):
                if dep not in ids:
                    self.report(
                        "KF307",
                        f"'{child.id}' depends on '{dep}', which is not a task of Dag '{task.id}'",
                        dep_node.span,
                        did_you_mean(dep, ids),
                    )
                else:
                    graph[child.id].append(dep)
        cycle = _find_cycle(graph)
        if cycle:
            first = next(c for c in children if c.id == cycle[0])
            entry = self.dag_entries.get(id(first))
            where = entry.get("dependsOn") if entry is not None else None
            self.report(
                "KF306",
                "Dag dependencies form a cycle: " + " → ".join([*cycle, cycle[0]]),
                (where or first.node).span,
                "remove one of the dependencies in the cycle",
            )

    def _visibility(self) -> None:
        """Which task outputs may exist when each task starts (Kestra's run order)."""
        r = self.result
        main = _assign_visible(r.tasks, frozenset(), parallel=False)
        _assign_visible(r.errors, main, parallel=False)
        _assign_visible(r.finally_, main, parallel=False)
        _assign_visible(r.after_execution, main, parallel=False)
        for _, tasks in r.listeners:
            _assign_visible(tasks, main, parallel=False)

    # -- triggers and conditions ---------------------------------------------------------------

    def _triggers(self, node: Node | None) -> None:
        if node is None or _is_null(node):
            return
        if not isinstance(node, Sequence):
            self.report("KF203", "'triggers' must be a list", node.span)
            return
        seen: dict[str, Scalar] = {}
        for item in node.items:
            if not isinstance(item, Mapping):
                self.report("KF203", "a trigger must be a mapping with 'id' and 'type'", item.span)
                continue
            id_node, type_node = item.get("id"), item.get("type")
            if not isinstance(id_node, Scalar) or id_node.value in (None, ""):
                self.report("KF201", "the trigger has no 'id'", item.span.at_start())
            else:
                trigger_id = str(id_node.value)
                if trigger_id in seen:
                    self.report(
                        "KF305",
                        f"duplicate trigger id '{trigger_id}' "
                        f"(first on line {seen[trigger_id].span.line})",
                        id_node.span,
                        "give each trigger its own id",
                    )
                else:
                    seen[trigger_id] = id_node
            if not isinstance(type_node, Scalar) or not isinstance(type_node.value, str):
                self.report("KF201", "the trigger has no 'type'", item.span.at_start())
                continue
            found = self.registry.lookup(type_node.value)
            if found is None or found[0].kind is not Kind.TRIGGER:
                self.report(
                    "KF205",
                    f"unknown trigger type '{type_node.value}'",
                    type_node.span,
                    did_you_mean(type_node.value, self._type_names(Kind.TRIGGER)),
                )
                continue
            spec, alias = found
            self._type_notes(spec, alias, type_node)
            conditions = item.get("conditions")
            if isinstance(conditions, Sequence):
                for cond in conditions.items:
                    self._condition(cond)
            self._validate_model(spec, item, TRIGGER_COMMON_KEYS, "trigger")

    def _condition(self, node: Node, allowed: set[str] | None = None) -> None:
        if not isinstance(node, Mapping):
            self.report("KF203", "a condition must be a mapping with 'type'", node.span)
            return
        type_node = node.get("type")
        if not isinstance(type_node, Scalar) or not isinstance(type_node.value, str):
            self.report("KF201", "the condition has no 'type'", node.span.at_start())
            return
        found = self.registry.lookup(type_node.value)
        if found is None or found[0].kind is not Kind.CONDITION:
            self.report(
                "KF206",
                f"unknown condition type '{type_node.value}'",
                type_node.span,
                did_you_mean(type_node.value, self._type_names(Kind.CONDITION)),
            )
            return
        spec, alias = found
        if allowed is not None and spec.type not in allowed:
            self.report(
                "KF211",
                f"only {', '.join(sorted(allowed))} can be used here",
                type_node.span,
            )
            return
        self._type_notes(spec, alias, type_node)
        self._validate_model(spec, node, CONDITION_COMMON_KEYS, "condition")
        nested = node.get("conditions")
        shape = NESTED_CONDITIONS.get(spec.type)
        if shape is ChildShape.MAP_OF_LISTS and isinstance(nested, Mapping):
            for _, inner in nested.items:
                self._condition(inner)
        elif shape is ChildShape.LIST and isinstance(nested, Sequence):
            for inner in nested.items:
                self._condition(inner)

    def _validate_model(
        self, spec: PluginSpec, node: Mapping, common: frozenset[str], what: str
    ) -> None:
        data = {str(k.value): to_python(v) for k, v in node.items if k.value not in common}
        try:
            spec.properties.model_validate(data)
        except ValidationError as error:
            self._model_errors(error, node, f"{what} {_short(spec.type)}", spec.properties)

    def _model_errors(
        self, error: ValidationError, node: Mapping, what: str, model: type[BaseModel]
    ) -> None:
        """Report a model's validation errors at the nodes they are about."""
        for item in error.errors():
            loc = item["loc"]
            name = str(loc[0]) if loc else ""
            if item["type"] == "missing":
                self.report(
                    "KF201",
                    f"{what} needs property '{name}'",
                    node.span.at_start(),
                    f"add '{name}: …'",
                )
            elif item["type"] == "extra_forbidden":
                self.report(
                    "KF202",
                    f"unknown property '{name}' for {what}",
                    (node.key(name) or node).span,
                    did_you_mean(name, property_names(model)),
                )
            else:
                self.report(
                    _error_code(item["type"]),
                    f"'{_loc(loc)}': {item['msg']}",
                    (_descend(node, loc) or node).span,
                )

    # -- expressions ---------------------------------------------------------------------------

    def _expressions_in_flow(self, root: Mapping) -> None:
        everything = frozenset(self.seen_task_ids)
        for task in self.result.all_tasks():
            child_context = CHILD_CONTEXT_PROPERTIES.get(task.spec.type if task.spec else "")
            for name, value in task.props.items():
                checked = name != child_context
                self._scan(value, task, task.props_visible, references_checked=checked)
            for key in ("runIf", "conditions"):
                value = task.node.get(key)
                if value is not None:
                    self._scan(value, task, task.visible)
        outputs = root.get("outputs")
        if outputs is not None:
            self._scan(outputs, None, everything)
        variables = root.get("variables")
        if variables is not None:
            self._scan(variables, None, everything, references_checked=False)
        triggers = root.get("triggers")
        if triggers is not None:
            self._scan(triggers, None, frozenset(), references_checked=False)
        inputs = root.get("inputs")
        if inputs is not None:
            self._scan(inputs, None, frozenset(), references_checked=False)

    def _scan(
        self,
        node: Any,
        task: SurfaceTask | None,
        visible: frozenset[str],
        references_checked: bool = True,
    ) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, Mapping):
                stack.extend(v for _, v in current.items)
            elif isinstance(current, Sequence):
                stack.extend(current.items)
            elif (
                isinstance(current, Scalar)
                and isinstance(current.value, str)
                and _has_template(current.value)
            ):
                template = self._parse(current)
                if template is not None:
                    self._names(template, current)
                    if references_checked:
                        self._references(template, current, task, visible)

    def _parse(self, scalar: Scalar) -> Template | None:
        key = id(scalar)
        cached = self.result.templates.get(key)
        if cached is not None:
            return cached
        try:
            template = parse_template(scalar.value, self.result.task_ids)
        except ExprError as error:
            self.report(
                "KF501",
                error.message,
                scalar.locate(error.start, max(error.end, error.start + 1)),
                error.hint,
            )
            return None
        self.result.templates[key] = template
        return template

    def _names(self, template: Template, scalar: Scalar) -> None:
        for unknown in unknown_names(template):
            code = {"filter": "KF502", "function": "KF503", "test": "KF504"}[unknown.kind]
            from kflow.expr import catalogue

            names = {"filter": catalogue.FILTERS, "function": catalogue.FUNCTIONS}.get(
                unknown.kind, catalogue.TESTS
            )
            self.report(
                code,
                f"unknown {unknown.kind} '{unknown.name}'",
                scalar.locate(unknown.start, unknown.end),
                did_you_mean(unknown.name, names),
            )

    def _references(
        self, template: Template, scalar: Scalar, task: SurfaceTask | None, visible: frozenset[str]
    ) -> None:
        refs = self.result.references.setdefault(id(scalar), references(template))
        for ref in refs:
            span = scalar.locate(ref.start, ref.end)
            # a read on a path that may not be taken fails only if taken: a warning
            self.severity = Severity.WARNING if ref.conditional else None
            if ref.root not in ROOT_VARIABLES:
                if ref.root in SCRIPT_VARIABLES and _is_script(task):
                    continue
                if not ref.guarded:
                    self.report(
                        "KF505",
                        f"unknown variable '{ref.root}'",
                        span,
                        did_you_mean(ref.root, ROOT_VARIABLES)
                        or "Kestra expressions read flow, execution, inputs, outputs, vars, …",
                    )
                continue
            if ref.guarded or not ref.path or not isinstance(ref.path[0], str):
                continue
            name = ref.path[0]
            if ref.root == "inputs" and name not in self.inputs:
                self.report(
                    "KF308",
                    f"the flow has no input '{name}'",
                    span,
                    did_you_mean(name, self.inputs) or "declare it under 'inputs:'",
                )
            elif ref.root == "vars" and name not in self.variables:
                self.report(
                    "KF309",
                    f"the flow has no variable '{name}'",
                    span,
                    did_you_mean(name, self.variables) or "declare it under 'variables:'",
                )
            elif ref.root == "outputs":
                self._output_reference(name, ref.path[1:], span, task, visible)
        self.severity = None

    def tasks_by_id(self) -> dict[str, SurfaceTask]:
        if self._tasks_by_id is None:
            self._tasks_by_id = {t.id: t for t in self.result.all_tasks()}
        return self._tasks_by_id

    def _output_reference(
        self,
        name: str,
        rest: tuple[str | int | None, ...],
        span: Span,
        task: SurfaceTask | None,
        visible: frozenset[str],
    ) -> None:
        ids = self.result.task_ids
        if name not in ids:
            self.report(
                "KF310",
                f"no task '{name}' in this flow",
                span,
                did_you_mean(name, ids) or "outputs.<task id> reads the outputs of an earlier task",
            )
            return
        if task is not None and name not in visible:
            when = "itself" if name == task.id else f"'{name}'"
            self.report(
                "KF312",
                f"task '{task.id}' reads outputs of {when}, which cannot have run before it",
                span,
                "only tasks that run earlier in sequence (or that a Dag task depends on) have "
                "outputs; guard with '??' if the read is optional",
            )
            return
        target = self.tasks_by_id().get(name)
        if target is None or target.spec is None or not rest or not isinstance(rest[0], str):
            return
        outputs = ("value",) if target.as_condition else target.spec.outputs
        if outputs is None or target.in_loop or target.spec.flowable:
            return
        if rest[0] not in outputs:
            shown = ", ".join(outputs) if outputs else "none"
            self.report(
                "KF311",
                f"task '{name}' ({_short(target.type_name)}) has no output '{rest[0]}'",
                span,
                did_you_mean(rest[0], outputs) or f"its outputs: {shown}",
            )
        elif rest[0] == "outputFiles" and len(rest) > 1 and isinstance(rest[1], str):
            self._implied_output_file(target, rest[1], span)

    def _implied_output_file(self, target: SurfaceTask, file: str, span: Span) -> None:
        """The seed notes read `outputs.<script>.outputFiles['x']` of a script task that lists
        no `outputFiles`: kflow keeps the file the expression names, and says so."""
        if not _is_script(target) or "outputFiles" in target.props:
            return
        implied = self.result.implied_output_files.setdefault(target.id, set())
        if file in implied:
            return
        implied.add(file)
        self.report(
            "KF213",
            f"task '{target.id}' lists no 'outputFiles'; kflow keeps '{file}' because this "
            "expression reads it (seed notes form)",
            span,
            f"add `outputFiles: [{file}]` to task '{target.id}'",
        )


# -- helpers ----------------------------------------------------------------------------------


def _assign_visible(
    tasks: list[SurfaceTask], visible: frozenset[str], parallel: bool
) -> frozenset[str]:
    """Set `visible` on each task of a list; return what is visible once the list has run.

    In a sequence each task sees what ran before it; in a Parallel each sees only what ran
    before the Parallel started.
    """
    after = visible
    for task in tasks:
        task.visible = visible if parallel else after
        after = after | _assign_children(task)
    return after


def _assign_children(task: SurfaceTask) -> frozenset[str]:
    """Set visibility below `task`; return the ids of its subtree (its own included)."""
    spec = task.spec
    base = task.visible
    own = frozenset({task.id, *task.extra_ids})
    concurrent = spec is not None and spec.type in FLOW_PARALLEL_TYPES
    if spec is not None and spec.type == WAIT_FOR_TYPE:
        base = base | {task.id}  # children read the WaitFor's iterationCount
    main: frozenset[str] = base
    for branch in task.branches:
        if branch.name in ("errors", "finally"):
            continue
        if spec is not None and spec.children.get(branch.name) is ChildShape.DAG:
            _assign_dag(branch.tasks, base)
            main = main | frozenset(i for c in branch.tasks for i in _subtree_ids(c))
        else:
            main = _assign_visible(branch.tasks, base, parallel=concurrent) | main
    task.props_visible = main if spec is not None and spec.type == WAIT_FOR_TYPE else task.visible
    everything = main | own
    for branch in task.branches:
        if branch.name in ("errors", "finally"):
            everything = everything | _assign_visible(branch.tasks, main, parallel=False)
    return everything - task.visible | own


def _subtree_ids(task: SurfaceTask) -> Iterator[str]:
    for t in task.walk():
        yield t.id
        yield from t.extra_ids


def _assign_dag(tasks: list[SurfaceTask], base: frozenset[str]) -> None:
    """Each Dag task sees what its (transitive) dependencies produced."""
    by_id = {t.id: t for t in tasks}
    subtree = {t.id: frozenset(_subtree_ids(t)) for t in tasks}
    for task in tasks:
        upstream: set[str] = set()
        todo = list(task.depends_on)
        while todo:
            dep = todo.pop()
            if dep in upstream or dep not in by_id:
                continue
            upstream.add(dep)
            todo.extend(by_id[dep].depends_on)
        task.visible = base | frozenset(i for dep in upstream for i in subtree[dep])
        _assign_children(task)


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in `graph` (node → dependencies) as a list of nodes, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, deps = stack[-1]
            nxt = next(deps, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(nxt) == GREY:
                return path[path.index(nxt) :]
            elif colour.get(nxt) == WHITE:
                colour[nxt] = GREY
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)
    return None


def _default_applies(default_type: str, written_type: str, spec: PluginSpec) -> bool:
    names = {written_type, spec.type, *(a.name for a in spec.aliases)}
    if default_type in names:
        return True
    return any(n.startswith(default_type + ".") for n in names)


def _has_template(text: str) -> bool:
    return any(marker in text for marker in TEMPLATE_MARKERS)


def _is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.value is None


def _short(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _descend(node: Node | None, loc: Iterable[Any]) -> Node | None:
    """The node at a pydantic error location, as deep as it can be found."""
    current = node
    for part in loc:
        if isinstance(current, Mapping) and isinstance(part, str):
            nxt = current.get(part)
        elif isinstance(current, Sequence) and isinstance(part, int) and part < len(current.items):
            nxt = current.items[part]
        else:
            nxt = None
        if nxt is None:
            break
        current = nxt
    return current


_ERROR_CODES = {
    "kflow_duration": "KF207",
    "kflow_cron": "KF208",
    "literal_error": "KF211",
    "enum": "KF211",
}


def _error_code(kind: str) -> str:
    return _ERROR_CODES.get(kind, "KF203")


def _default_problem(kind: str, value: Any, item: Mapping) -> str | None:
    """Why `value` cannot be the default of an input of type `kind`, or None."""
    if isinstance(value, str) and _has_template(value):
        return None
    if kind == "FILE":
        return "FILE inputs cannot have a default (the file is given when the flow starts)"
    checks: dict[str, Any] = {
        "INT": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "FLOAT": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "BOOLEAN": lambda v: isinstance(v, bool),
        "BOOL": lambda v: isinstance(v, bool),
        "DATETIME": lambda v: _parses(datetime.fromisoformat, v),
        "DATE": lambda v: _parses(date.fromisoformat, v),
        "TIME": lambda v: _parses(time.fromisoformat, v),
        "DURATION": lambda v: isinstance(v, str) and validate_duration(v) is None,
        "ARRAY": lambda v: isinstance(v, list) or (isinstance(v, str) and _json_list(v)),
    }
    check_ = checks.get(kind)
    if check_ is not None and not check_(value):
        return f"default {value!r} is not a valid {kind}"
    if kind in ("ENUM", "SELECT"):
        allowed = to_python(item.get("values") or item.get("options"))
        if (
            isinstance(allowed, list)
            and value not in allowed
            and not to_python(item.get("allowCustomValue"))
        ):
            return f"default {value!r} is not one of the values {allowed}"
    return None


def _parses(parse: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _json_list(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False


# -- across flows: Flow trigger upstreams ---------------------------------------------------------

FLOW_TRIGGER_TYPE = "io.kestra.plugin.core.trigger.Flow"
# conditions that name one upstream flow by `namespace` and `flowId`
_UPSTREAM_CONDITIONS = frozenset(
    {
        "io.kestra.plugin.core.condition.ExecutionFlow",
        "io.kestra.plugin.core.condition.FlowCondition",
        "io.kestra.plugin.core.condition.Execution",
    }
)


def check_upstream_flows(
    flows: list[CheckedFlow], whole_directory: bool, registry: Registry | None = None
) -> list[Diagnostic]:
    """KF318 for each Flow trigger upstream (a condition's or `preconditions.flows`' namespace
    and flowId) that is not among `flows`, the flows validated together.

    Only where the set can be expected to hold it: when a directory was validated
    (`whole_directory`), or when another validated flow is in the upstream's namespace.
    """
    registry = registry or default_registry()
    known: dict[str, set[str]] = {}  # namespace → flow ids
    for checked in flows:
        namespace, flow_id = _identity(checked)
        if namespace and flow_id:
            known.setdefault(namespace, set()).add(flow_id)
    found: list[Diagnostic] = []
    for checked in flows:
        namespace, flow_id = _identity(checked)
        for trigger_id, up_namespace, up_flow in _upstreams(checked, registry):
            wanted = str(up_flow.value)
            others = known.get(up_namespace, set()) - (
                {flow_id} if up_namespace == namespace else set()
            )
            if wanted in known.get(up_namespace, ()) or not (whole_directory or others):
                continue
            if up_namespace in known:
                hint = did_you_mean(wanted, others)
            else:  # perhaps the namespace is mistyped
                full_names = [f"{ns}.{i}" for ns, ids in known.items() for i in ids]
                hint = did_you_mean(f"{up_namespace}.{wanted}", full_names)
            found.append(
                Diagnostic(
                    "KF318",
                    f"Flow trigger '{trigger_id}' waits for flow '{up_namespace}.{wanted}', "
                    "which is not among the flows validated",
                    up_flow.span,
                    hint
                    or "check its namespace and id; validate the directory holding every flow "
                    "(kflow validate DIR) so that kflow sees it",
                )
            )
    return found


def _identity(checked: CheckedFlow) -> tuple[str, str]:
    root = checked.document.root
    if not isinstance(root, Mapping):
        return "", ""
    values = [root.get(key) for key in ("namespace", "id")]
    namespace, flow_id = (str(v.value) if isinstance(v, Scalar) else "" for v in values)
    return namespace, flow_id


def _upstreams(checked: CheckedFlow, registry: Registry) -> Iterator[tuple[str, str, Scalar]]:
    """(trigger id, upstream namespace, upstream flowId node) of the flow's Flow triggers."""
    root = checked.document.root
    triggers = root.get("triggers") if isinstance(root, Mapping) else None
    for item in triggers.items if isinstance(triggers, Sequence) else ():
        if not isinstance(item, Mapping):
            continue
        type_node, id_node = item.get("type"), item.get("id")
        found = registry.lookup(type_node.value) if isinstance(type_node, Scalar) else None
        if found is None or found[0].type != FLOW_TRIGGER_TYPE:
            continue
        trigger_id = str(id_node.value) if isinstance(id_node, Scalar) else "?"
        pre = item.get("preconditions")
        flows = pre.get("flows") if isinstance(pre, Mapping) else None
        for entry in flows.items if isinstance(flows, Sequence) else ():
            yield from _named_flow(trigger_id, entry)
        conditions = item.get("conditions")
        for condition in conditions.items if isinstance(conditions, Sequence) else ():
            yield from _condition_upstreams(trigger_id, condition, registry)


def _condition_upstreams(
    trigger_id: str, node: Node, registry: Registry
) -> Iterator[tuple[str, str, Scalar]]:
    if not isinstance(node, Mapping):
        return
    type_node = node.get("type")
    found = registry.lookup(type_node.value) if isinstance(type_node, Scalar) else None
    if found is not None and found[0].type in _UPSTREAM_CONDITIONS:
        yield from _named_flow(trigger_id, node)
    nested = node.get("conditions")  # Not, Or (a list), MultipleCondition (a mapping)
    children = (
        nested.items
        if isinstance(nested, Sequence)
        else [v for _, v in nested.items]
        if isinstance(nested, Mapping)
        else []
    )
    for child in children:
        yield from _condition_upstreams(trigger_id, child, registry)


def _named_flow(trigger_id: str, node: Node) -> Iterator[tuple[str, str, Scalar]]:
    if not isinstance(node, Mapping):
        return
    namespace, flow_id = node.get("namespace"), node.get("flowId")
    if (
        isinstance(namespace, Scalar)
        and isinstance(flow_id, Scalar)
        and isinstance(namespace.value, str)
        and isinstance(flow_id.value, str)
    ):
        yield trigger_id, namespace.value, flow_id

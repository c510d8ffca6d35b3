"""No flow content can inject code into a generated Prefect flow module or its prefect.yaml.

Hypothesis puts adversarial text (quotes, triple quotes, backslashes, newlines, `{{ }}`, `{% %}`,
Python code) into every string a user writes — ids, descriptions, labels, input ids, defaults
and SELECT values, task properties, Switch case keys — and checks the generated module: it
parses, every call in it is one the emitter writes, every name it defines is an identifier the
emitter made, and every string comes back exactly (the literals evaluate to the flow's own
data). The golden case `adversarial-strings` runs such a flow in Prefect (tests/engines).
"""

from __future__ import annotations

import ast
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kflow.compiler import ir
from kflow.compiler.check import check
from kflow.compiler.loader import load_text
from kflow.compiler.lower import lower
from kflow.runtime_shims.step import flow_data, tree
from kflow.targets.prefect import PREFECT_YAML, emit, join

from .test_airflow_injection import IDS, TEXT

#: Every call the emitter writes (`<task>` is a task function of the module).
CALLS = {
    "task",
    "flow",
    "kestra.run_task",
    "kestra.execution",
    "run.add",
    "run.outputs",
    "run.wait",
    "run.condition",
    "run.case",
    "run.values",
    "run.concurrently",
    "run.each",
    "run.subflow",
    "run.end",
    "contextlib.suppress",
    "unmapped",
    "range",
    "len",
    "enumerate",
    "<task>",
    "<task>.submit",
    "<task>.map",
    "<branch>",
}


def flow_document(
    flow_id: str,
    task_ids: list[str],
    texts: list[str],
    label: tuple[str, str],
    input_id: str,
) -> str:
    tasks: list[dict[str, Any]] = [
        {
            "id": task_id,
            "type": "io.kestra.plugin.core.debug.Return",
            "description": texts[i % len(texts)],
            "format": "{% raw %}"
            + texts[(i + 1) % len(texts)].replace("{%", "{ %")
            + "{% endraw %}",
        }
        for i, task_id in enumerate(task_ids)
    ]
    tasks.append(
        {
            "id": "branch-on-" + task_ids[0],
            "type": "io.kestra.plugin.core.flow.Switch",
            "value": "x",
            "cases": {
                texts[0]: [
                    {"id": "in-case", "type": "io.kestra.plugin.core.log.Log", "message": "hello"}
                ]
            },
        }
    )
    tasks.append(
        {
            "id": "fan-out",
            "type": "io.kestra.plugin.core.flow.Parallel",
            "tasks": [
                {"id": "in-parallel", "type": "io.kestra.plugin.core.log.Log", "message": "p"},
                {
                    "id": "loop",
                    "type": "io.kestra.plugin.core.flow.ForEach",
                    "values": texts,
                    "tasks": [
                        {
                            "id": "in-loop",
                            "type": "io.kestra.plugin.core.debug.Return",
                            "format": "{{ taskrun.value }}",
                        }
                    ],
                },
            ],
        }
    )
    document = {
        "id": flow_id,
        "namespace": "attack.ns",
        "description": texts[0],
        "labels": {label[0]: label[1]},
        "inputs": [
            {"id": "i", "type": "STRING", "defaults": texts[-1], "description": texts[0]},
            {"id": input_id, "type": "SELECT", "values": sorted(set(texts)), "required": False},
        ],
        "tasks": tasks,
    }
    return yaml.safe_dump(document, allow_unicode=True)


def call_name(node: ast.Call, tasks: set[str], branches: set[str]) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id in tasks:
            return "<task>"
        if func.id in branches:
            return "<branch>"
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = "<task>" if func.value.id in tasks else func.value.id
        return f"{owner}.{func.attr}"
    return ast.dump(func)


SPECIAL = {"in-case", "in-parallel", "loop", "in-loop", "fan-out", "i"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flow_id=IDS,
    task_ids=st.lists(IDS, min_size=1, max_size=4, unique=True),
    texts=st.lists(TEXT, min_size=1, max_size=4),
    label=st.tuples(TEXT, TEXT),
    input_id=IDS,
)
@example(
    flow_id="class",
    task_ids=["import", "None", "run", "kestra"],
    texts=['""" + __import__("os").system("x") + """', "'''\\\\ {{ 7 * 7 }}"],
    label=("owner", '"); import os; ("'),
    input_id="return_state",
)
def test_flow_content_cannot_inject_code(
    flow_id: str, task_ids: list[str], texts: list[str], label: tuple[str, str], input_id: str
) -> None:
    if SPECIAL & {*task_ids, input_id} or f"branch-on-{task_ids[0]}" in task_ids:
        return
    document = flow_document(flow_id, task_ids, texts, label, input_id)
    checked = check(load_text("attack.yml", document))
    if not checked.ok:  # e.g. a `{% raw %}` cut by the attack text: a KF501, nothing emitted
        # the explicit example must compile
        assert task_ids != ["import", "None", "run", "kestra"], checked.diagnostics
        return
    flow = lower(checked)
    emitted = emit(flow)
    assert not [d for d in emitted.diagnostics if d.code == "KF401"]
    (source,) = emitted.files.values()
    module = ast.parse(source)

    # Structure: a docstring, imports, FLOW and TREE, then functions: tasks and the flow.
    kinds = [type(node).__name__ for node in module.body]
    assert kinds[0] == "Expr"
    assert kinds[-1] == "FunctionDef"
    assert set(kinds[1:]) <= {"Import", "ImportFrom", "Assign", "FunctionDef"}
    assigned = [t.id for n in module.body if isinstance(n, ast.Assign) for t in n.targets]  # type: ignore[attr-defined]
    assert assigned == ["FLOW", "TREE", "PARAMETERS"]
    functions = [n for n in module.body if isinstance(n, ast.FunctionDef)]
    tasks = {f.name for f in functions[:-1]}
    branches = {n.name for n in ast.walk(functions[-1]) if isinstance(n, ast.FunctionDef)}
    branches.discard(functions[-1].name)
    for node in ast.walk(module):
        assert not isinstance(node, (ast.Lambda, ast.Global, ast.Nonlocal, ast.Starred))
        if isinstance(node, ast.Call):
            assert call_name(node, tasks, branches) in CALLS, ast.unparse(node)
        if isinstance(node, ast.FunctionDef):
            assert node.name.isidentifier() and node.name.isascii()

    # Round trip: the literals are the flow's own data, string for string.
    literals = {t.id: n.value for n in module.body if isinstance(n, ast.Assign) for t in n.targets}  # type: ignore[attr-defined]
    assert ast.literal_eval(literals["FLOW"]) == flow_data(flow)
    assert ast.literal_eval(literals["TREE"]) == tree(flow)
    mapping = ast.literal_eval(literals["PARAMETERS"])
    assert list(mapping) == [spec.id for spec in flow.inputs]
    run_tasks = {}
    for function in functions[:-1]:
        (decorator,) = function.decorator_list
        assert isinstance(decorator, ast.Call)
        options = {kw.arg: ast.literal_eval(kw.value) for kw in decorator.keywords}
        (statement,) = function.body
        assert isinstance(statement, ast.Return) and isinstance(statement.value, ast.Call)
        args = [ast.literal_eval(a) for a in statement.value.args[3:]]
        assert options["name"] == args[0]
        run_tasks[args[0]] = (options, args)
    for task in flow.all_tasks():
        if task.type.endswith((".Parallel", ".Sequential")):
            continue
        options, (_, task_type, properties) = run_tasks[task.id]
        assert (task_type, properties) == (task.type, ir.thaw(task.properties))
        assert options.get("description") == (task.description or None)
    flow_function = functions[-1]
    (decorator,) = flow_function.decorator_list
    assert isinstance(decorator, ast.Call)
    options = {kw.arg: ast.literal_eval(kw.value) for kw in decorator.keywords}
    assert options.get("name") == flow.id
    assert options.get("description") == (flow.description or None)
    cases = [
        ast.literal_eval(node.comparators[0])
        for node in ast.walk(flow_function)
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq)
    ]
    switch = next(t for t in flow.tasks if t.type.endswith(".Switch"))
    assert cases == [b.key for b in switch.branches]
    parameters = [a.arg for a in flow_function.args.args]
    assert sorted(mapping.values()) == sorted(parameters)
    assert len(parameters) == len(set(parameters)) == 2
    assert not {*parameters} & {*tasks, "run", "kestra", "FLOW", "TREE", "return_state"}

    # prefect.yaml: plain YAML data, the flow's own strings.
    text = join(PREFECT_YAML, emitted.shared[PREFECT_YAML])
    (deployment,) = yaml.safe_load(text)["deployments"]
    # text holding `{{` is left out: `prefect deploy` would resolve it as its own template
    description = flow.description if flow.description and "{{" not in flow.description else None
    assert deployment.get("description") == description
    assert deployment["tags"] == [f"{k}:{v}" for k, v in flow.labels if "{{" not in f"{k}:{v}"]
    assert "{{" not in yaml.safe_dump({k: v for k, v in deployment.items() if k != "work_pool"})
    default = flow.inputs[0].default
    templated = "{{" in default  # a template default is the flow's to render, not Prefect's
    assert deployment["parameters"] == ({} if templated else {parameters[0]: default})
    assert [line for line in text.splitlines() if line.startswith("#")] == text.splitlines()[:3]

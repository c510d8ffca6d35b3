"""No flow content can inject code into a generated DAG.

Hypothesis puts adversarial text (quotes, triple quotes, backslashes, newlines, `{{ }}`, `{% %}`,
Python code) into every string a user writes — ids, descriptions, labels, input defaults, task
properties — and checks the generated module: it parses, every call in it is one the emitter
writes, and every string comes back exactly (the literals evaluate to the flow's own data).
The golden case `adversarial-strings` runs such a DAG in Airflow (tests/engines).
"""

from __future__ import annotations

import ast
import string
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kflow.compiler import ir
from kflow.compiler.check import check
from kflow.compiler.loader import load_text
from kflow.compiler.lower import lower
from kflow.runtime_shims.step import flow_data
from kflow.targets.airflow import emit

ATTACKS = [
    '"""',
    "'''",
    "\\",
    "\n",
    "\r\n",
    '"); import os; os.system("x"); ("',
    "__import__('os').system('x')",
    "{{ 7 * 7 }}",
    "{% raw %}",
    "# comment",
    "\x00",
    "\u2028",
    "${HOME}",
    "'+'",
]
TEXT = st.lists(
    st.one_of(st.sampled_from(ATTACKS), st.text(max_size=8)), min_size=1, max_size=5
).map("".join)
# Ids are checked by the compiler (KF2xx): what passes may still be a Python keyword or builtin.
IDS = st.one_of(
    st.sampled_from(
        [
            "class",
            "import",
            "None",
            "dag",
            "FLOW",
            "end",
            "start",
            "KestraTask",
            "loop",
            "EmptyOperator",
            "TaskGroup",
            "task_group",
            "DAG",
            "float",
            "Param",
            "pendulum",
        ]
    ),
    st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=12),
).filter(lambda s: s[0].isalnum())

CALLS = {
    "DAG",
    "Param",
    "TaskGroup",
    "task_group",
    "EmptyOperator",
    "KestraStart",
    "KestraEnded",
    "AssetAlias",
    "KestraTask",
    "KestraBranch",
    "KestraValues",
    "KestraEnd",
    "KestraGate",
    "timedelta",
    "float",
    "pendulum.datetime",
    "end.set_upstream",
}


def flow_document(
    flow_id: str, task_ids: list[str], texts: list[str], label: tuple[str, str]
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
    document = {
        "id": flow_id,
        "namespace": "attack.ns",
        "description": texts[0],
        "labels": {label[0]: label[1]},
        "inputs": [{"id": "i", "type": "STRING", "defaults": texts[-1], "description": texts[0]}],
        "tasks": tasks,
    }
    return yaml.safe_dump(document, allow_unicode=True)


def call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.attr == "expand":
            return "expand"
        return f"{func.value.id}.{func.attr}"
    return ast.dump(func)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flow_id=IDS,
    task_ids=st.lists(IDS, min_size=1, max_size=4, unique=True),
    texts=st.lists(TEXT, min_size=1, max_size=4),
    label=st.tuples(TEXT, TEXT),
)
@example(
    flow_id="explicit-example",
    task_ids=["import", "None"],
    texts=['""" + __import__("os").system("x") + """', "'''\\\\ {{ 7 * 7 }}"],
    label=("owner", '"); import os; ("'),
)
def test_flow_content_cannot_inject_code(
    flow_id: str, task_ids: list[str], texts: list[str], label: tuple[str, str]
) -> None:
    if "in-case" in task_ids or f"branch-on-{task_ids[0]}" in task_ids:
        return
    checked = check(load_text("attack.yml", flow_document(flow_id, task_ids, texts, label)))
    if not checked.ok:  # e.g. a `{% raw %}` cut by the attack text: a KF501, nothing emitted
        assert flow_id != "explicit-example", checked.diagnostics  # it must compile
        return
    flow = lower(checked)
    emitted = emit(flow)
    assert not [d for d in emitted.diagnostics if d.code == "KF401"]
    (source,) = emitted.files.values()
    module = ast.parse(source)

    # Structure: a docstring, imports, FLOW and TREE, one `with DAG(...)` block.
    kinds = [type(node).__name__ for node in module.body]
    assert kinds[0] == "Expr" and kinds[-1] == "With"
    assert set(kinds[1:-1]) <= {"Import", "ImportFrom", "Assign"}
    assigned = [t.id for n in module.body if isinstance(n, ast.Assign) for t in n.targets]  # type: ignore[attr-defined]
    assert assigned == ["FLOW", "TREE"]
    for node in ast.walk(module):
        assert not isinstance(node, (ast.Lambda, ast.Subscript, ast.Global, ast.Starred))
        if isinstance(node, ast.Call):
            name = call_name(node)
            assert name in CALLS or name == "expand", name

    # Round trip: the literals are the flow's own data, string for string.
    literals = {t.id: n.value for n in module.body if isinstance(n, ast.Assign) for t in n.targets}  # type: ignore[attr-defined]
    assert ast.literal_eval(literals["FLOW"]) == flow_data(flow)
    operators = {
        ast.literal_eval(kw.value): node
        for node in ast.walk(module)
        if isinstance(node, ast.Call) and call_name(node).startswith("Kestra")
        for kw in node.keywords
        if kw.arg == "task_id"
    }
    for task in flow.all_tasks():
        call = operators[task.id]
        keywords = {kw.arg: kw.value for kw in call.keywords}
        properties = ast.literal_eval(keywords["properties"]) if "properties" in keywords else {}
        assert properties == ir.thaw(task.properties)
        if task.description:
            assert ast.literal_eval(keywords["doc_md"]) == task.description

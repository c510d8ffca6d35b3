"""inputs-all-types: compiled by kflow from Kestra flow kflow.golden.inputs-all-types.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "inputs-all-types",
    "inputs": [
        {
            "id": "text",
            "type": "STRING",
            "required": True,
            "default": "hello",
            "description": None,
            "display_name": None,
            "extra": {"validator": "^[a-z]+$"},
        },
        {
            "id": "count",
            "type": "INT",
            "required": True,
            "default": 3,
            "description": None,
            "display_name": None,
            "extra": {"min": 1, "max": 10},
        },
        {
            "id": "ratio",
            "type": "FLOAT",
            "required": True,
            "default": 0.5,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "enabled",
            "type": "BOOLEAN",
            "required": True,
            "default": False,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "when",
            "type": "DATETIME",
            "required": False,
            "default": None,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "day",
            "type": "DATE",
            "required": True,
            "default": "2024-01-31",
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "wait",
            "type": "DURATION",
            "required": True,
            "default": "PT5M",
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "payload",
            "type": "JSON",
            "required": True,
            "default": '{"a": 1}',
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "tags",
            "type": "ARRAY",
            "required": True,
            "default": ["x", "y"],
            "description": None,
            "display_name": None,
            "extra": {"itemType": "STRING"},
        },
        {
            "id": "upload",
            "type": "FILE",
            "required": False,
            "default": None,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "token",
            "type": "SECRET",
            "required": False,
            "default": None,
            "description": None,
            "display_name": None,
            "extra": {},
        },
    ],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "show", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}
PARAMETERS = {
    "text": "text",
    "count": "count",
    "ratio": "ratio",
    "enabled": "enabled",
    "when": "when",
    "day": "day",
    "wait": "wait",
    "payload": "payload",
    "tags": "tags",
    "upload": "upload",
    "token": "token",
}


@task(name="show")
def show(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "show",
        "io.kestra.plugin.core.log.Log",
        {
            "message": "{{ inputs.text }} {{ inputs.count }} {{ inputs.ratio }} {{ inputs.enabled }} {{ inputs.day }} {{ inputs.wait }} {{ inputs.tags }}"
        },
    )


@flow(name="inputs-all-types")
def inputs_all_types(
    text: str = "hello",
    count: int = 3,
    ratio: float = 0.5,
    enabled: bool = False,
    when: str | None = None,
    day: str = "2024-01-31",
    wait: str = "PT5M",
    payload: Any = '{"a": 1}',
    tags: list[Any] = ["x", "y"],
    upload: str | None = None,
    token: str | None = None,
) -> Any:
    with kestra.execution(
        FLOW,
        TREE,
        {
            "text": text,
            "count": count,
            "ratio": ratio,
            "enabled": enabled,
            "when": when,
            "day": day,
            "wait": wait,
            "payload": payload,
            "tags": tags,
            "upload": upload,
            "token": token,
        },
    ) as run:
        run.add(show(run.execution, run.outputs(), return_state=True))
    return run.end()

"""adversarial-strings: compiled by kflow from Kestra flow kflow.golden.adversarial-strings.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "adversarial-strings",
    "inputs": [
        {
            "id": "note",
            "type": "STRING",
            "required": True,
            "default": '"""); import os #',
            "description": "''' \\ \n {{ inputs.note }}",
            "display_name": None,
            "extra": {},
        }
    ],
    "variables": {},
    "outputs": [],
    "labels": {'owner"); import os; ("': "x'''y"},
}
TREE = {
    "tasks": [
        {"id": "quotes", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "code", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "braces", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "unicode", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "echo", "type": "io.kestra.plugin.core.log.Log"},
        {
            "id": "loop",
            "type": "io.kestra.plugin.core.flow.ForEach",
            "branches": {
                "tasks": [{"id": "each-value", "type": "io.kestra.plugin.core.debug.Return"}]
            },
        },
    ],
    "errors": [],
    "finally": [],
}
PARAMETERS = {"note": "note"}


@task(name="quotes", description='""" ) ; __import__(\'os\').system(\'x\') ; ( """')
def quotes(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "quotes",
        "io.kestra.plugin.core.debug.Return",
        {"format": 'it\'s "quoted" \'\'\' and """ and \\ backslash'},
    )


@task(name="code")
def code(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "code",
        "io.kestra.plugin.core.debug.Return",
        {"format": "__import__('os').system('echo pwned'); exit(1)\n# newline\r\ttab"},
    )


@task(name="braces")
def braces(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "braces",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{% raw %}{{ 7 * 7 }} {% if x %}{% endraw %} and {{ inputs.note }}"},
    )


@task(name="unicode")
def unicode(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "unicode",
        "io.kestra.plugin.core.debug.Return",
        {"format": "é ß 漢字 \x00-free 😀 \u2028 line separator"},
    )


@task(name="echo")
def echo(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "echo",
        "io.kestra.plugin.core.log.Log",
        {
            "message": "{{ outputs.quotes.value }} | {{ outputs.code.value }} | {{ outputs.braces.value }}"
        },
    )


@task(name="loop")
def loop(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "loop",
        "io.kestra.plugin.core.flow.ForEach",
        {"values": ["{% raw %}{{ 7 * 7 }} {% if %}{% endraw %}", '"""\'', "\\"]},
    )


@task(name="each-value", task_run_name="each-value[{value}]")
def each_value(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "each-value",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ taskrun.value }}"},
        value=value,
        iteration=iteration,
        direct=True,
    )


@flow(
    name="adversarial-strings",
    description='""" \'\'\' \\"quotes\\" and a backslash \\ then\nimport os; os.system("echo pwned")  # a comment\n{{ not a template here }} {% neither %}\n',
)
def adversarial_strings(note: str = '"""); import os #') -> Any:
    with kestra.execution(FLOW, TREE, {"note": note}) as run:
        run.add(quotes(run.execution, run.outputs(), return_state=True))
        run.add(code(run.execution, run.outputs(), return_state=True))
        run.add(braces(run.execution, run.outputs(), return_state=True))
        run.add(unicode(run.execution, run.outputs(), return_state=True))
        run.add(echo(run.execution, run.outputs("braces", "code", "quotes"), return_state=True))
        values = run.values(loop(run.execution, run.outputs(), return_state=True))
        for iteration, value in enumerate(values):
            run.add(each_value(run.execution, run.outputs(), value, iteration, return_state=True))
    return run.end()

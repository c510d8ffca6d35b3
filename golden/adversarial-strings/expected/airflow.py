"""kflow.golden__adversarial-strings: compiled by kflow from Kestra flow kflow.golden.adversarial-strings.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, Param, task_group
from airflow.providers.standard.operators.empty import EmptyOperator

from kflow.runtime_shims.airflow import (
    KestraEnd,
    KestraEnded,
    KestraStart,
    KestraTask,
    KestraValues,
)

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

with DAG(
    dag_id="kflow.golden__adversarial-strings",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description='""" \'\'\' \\"quotes\\" and a backslash \\ then',
    doc_md='""" \'\'\' \\"quotes\\" and a backslash \\ then\nimport os; os.system("echo pwned")  # a comment\n{{ not a template here }} {% neither %}\n',
    tags=["owner\"); import os; (\":x'''y"],
    params={
        "note": Param('"""); import os #', type="string", description="''' \\ \n {{ inputs.note }}")
    },
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    quotes = KestraTask(
        task_id="quotes",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": 'it\'s "quoted" \'\'\' and """ and \\ backslash'},
        doc_md='""" ) ; __import__(\'os\').system(\'x\') ; ( """',
    )
    start >> quotes
    code = KestraTask(
        task_id="code",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "__import__('os').system('echo pwned'); exit(1)\n# newline\r\ttab"},
    )
    quotes >> code
    braces = KestraTask(
        task_id="braces",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "{% raw %}{{ 7 * 7 }} {% if x %}{% endraw %} and {{ inputs.note }}"},
    )
    code >> braces
    unicode = KestraTask(
        task_id="unicode",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "é ß 漢字 \x00-free 😀 \u2028 line separator"},
    )
    braces >> unicode
    echo = KestraTask(
        task_id="echo",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={
            "message": "{{ outputs.quotes.value }} | {{ outputs.code.value }} | {{ outputs.braces.value }}"
        },
        reads=["braces", "code", "quotes"],
    )
    unicode >> echo
    loop_2 = KestraValues(
        task_id="loop",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.ForEach",
        properties={"values": ["{% raw %}{{ 7 * 7 }} {% if %}{% endraw %}", '"""\'', "\\"]},
    )
    echo >> loop_2

    @task_group(group_id="loop__iteration", prefix_group_id=False)
    def loop__iteration(loop):
        each_value = KestraTask(
            task_id="each-value",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ taskrun.value }}"},
            loop=loop,
            loop_direct=True,
            max_active_tis_per_dagrun=1,
        )

    loop__iterations = loop__iteration.expand(loop=loop_2.output)
    loop_join = EmptyOperator(task_id="loop.join", trigger_rule="none_failed_min_one_success")
    [loop_2, loop__iterations] >> loop_join
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/adversarial-strings")],
    )

"""kflow.golden__nested-edges: compiled by kflow from Kestra flow kflow.golden.nested-edges.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, TaskGroup, task_group
from airflow.providers.standard.operators.empty import EmptyOperator

from kflow.runtime_shims.airflow import (
    KestraBranch,
    KestraEnd,
    KestraEnded,
    KestraGate,
    KestraStart,
    KestraTask,
    KestraValues,
)

FLOW = {
    "namespace": "kflow.golden",
    "id": "nested-edges",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "choose",
            "type": "io.kestra.plugin.core.flow.If",
            "branches": {
                "then": [{"id": "taken", "type": "io.kestra.plugin.core.debug.Return"}],
                "else": [
                    {
                        "id": "guarded",
                        "type": "io.kestra.plugin.core.flow.Sequential",
                        "branches": {
                            "tasks": [{"id": "inside", "type": "io.kestra.plugin.core.log.Log"}],
                            "errors": [
                                {"id": "guarded-errors", "type": "io.kestra.plugin.core.log.Log"}
                            ],
                            "finally": [
                                {"id": "guarded-finally", "type": "io.kestra.plugin.core.log.Log"}
                            ],
                        },
                    }
                ],
            },
        },
        {
            "id": "each",
            "type": "io.kestra.plugin.core.flow.ForEach",
            "branches": {
                "tasks": [
                    {
                        "id": "check",
                        "type": "io.kestra.plugin.core.flow.If",
                        "branches": {
                            "then": [{"id": "is-a", "type": "io.kestra.plugin.core.debug.Return"}],
                            "else": [{"id": "not-a", "type": "io.kestra.plugin.core.debug.Return"}],
                        },
                    }
                ]
            },
        },
        {
            "id": "graph",
            "type": "io.kestra.plugin.core.flow.Dag",
            "branches": {
                "tasks": [
                    {"id": "second", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "first", "type": "io.kestra.plugin.core.debug.Return"},
                ]
            },
        },
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__nested-edges",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description="Handlers of a block in a branch not taken, flowables inside a loop, a Dag written out of order.",
    doc_md="Handlers of a block in a branch not taken, flowables inside a loop, a Dag written out of order.",
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    choose = KestraBranch(
        task_id="choose",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.If",
        properties={"condition": "{{ true }}"},
        branches={"then": ["taken"], "else": ["guarded"]},
        join="choose.join",
    )
    start >> choose
    taken = KestraTask(
        task_id="taken",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "yes"},
    )
    choose >> taken
    with TaskGroup(group_id="guarded", prefix_group_id=False):
        inside = KestraTask(
            task_id="inside",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "never"},
        )
        choose >> inside
    guarded_errors = KestraGate(
        task_id="guarded.errors",
        flow=FLOW,
        kind="errors",
        scope=["inside"],
        trigger_rule="all_done",
    )
    inside >> guarded_errors
    guarded_errors_2 = KestraTask(
        task_id="guarded-errors",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "never either"},
    )
    guarded_errors >> guarded_errors_2
    guarded_finally = KestraGate(
        task_id="guarded.finally",
        flow=FLOW,
        kind="finally",
        scope=["inside", "guarded-errors"],
        trigger_rule="all_done",
    )
    [inside, guarded_errors, guarded_errors_2] >> guarded_finally
    guarded_finally_2 = KestraTask(
        task_id="guarded-finally",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "nor this"},
    )
    guarded_finally >> guarded_finally_2
    choose_join = EmptyOperator(task_id="choose.join", trigger_rule="none_failed_min_one_success")
    [choose, taken, inside, guarded_finally_2] >> choose_join
    each = KestraValues(
        task_id="each",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.ForEach",
        properties={"values": ["a", "b"], "concurrencyLimit": 0},
    )
    choose_join >> each

    @task_group(group_id="each__iteration", prefix_group_id=False)
    def each__iteration(loop):
        check = KestraBranch(
            task_id="check",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.flow.If",
            properties={"condition": "{{ taskrun.value == 'a' }}"},
            loop=loop,
            loop_direct=True,
            branches={"then": ["is-a"], "else": ["not-a"]},
            join="check.join",
        )
        is_a = KestraTask(
            task_id="is-a",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ parent.taskrun.value }}-a"},
            loop=loop,
            branch=["check", "then"],
        )
        check >> is_a
        not_a = KestraTask(
            task_id="not-a",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ parent.taskrun.value }}-other"},
            loop=loop,
            branch=["check", "else"],
        )
        check >> not_a
        check_join = EmptyOperator(task_id="check.join", trigger_rule="none_failed_min_one_success")
        [check, is_a, not_a] >> check_join

    each__iterations = each__iteration.expand(loop=each.output)
    each_join = EmptyOperator(task_id="each.join", trigger_rule="none_failed_min_one_success")
    [each, each__iterations] >> each_join
    with TaskGroup(group_id="graph", prefix_group_id=False):
        first = KestraTask(
            task_id="first",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "1"},
        )
        each_join >> first
        second = KestraTask(
            task_id="second",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ outputs.first.value }}-2"},
            reads=["first"],
        )
        first >> second
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/nested-edges")],
    )

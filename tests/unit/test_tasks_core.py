"""The runnable core tasks: each one's outputs, and the message of each way it fails.

Tests run against a real StateStore and LocalStorage under tmp_path. Properties holding templates
need the templating shim; the others pass plain text, which renders to itself.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.state import ExecutionRecord, StateStore
from kflow.runtime_shims.storage import LocalStorage
from kflow.runtime_shims.tasks import implementation, implemented_types
from kflow.runtime_shims.templating import is_truthy as truthy

try:
    from kflow.runtime_shims.templating import render_value
except ImportError:  # the templating shim is written alongside; plain values need none
    render_value = None

needs_templating = pytest.mark.skipif(render_value is None, reason="templating shim not there")

CORE = "io.kestra.plugin.core"


def _render(value: Any, variables: dict[str, Any]) -> Any:
    if render_value is not None:
        return render_value(value, variables)
    return value


@dataclass
class Run:
    """A task run environment: state, storage, the logs written and the services given."""

    tmp: Path
    store: StateStore
    storage: LocalStorage
    logs: list[tuple[str, str]] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    workdir: Path | None = None

    def context(self, type_name: str, task_id: str = "t1") -> TaskContext:
        variables = {
            "flow": {"id": "flow", "namespace": "dev"},
            "execution": {"id": "exec1"},
            "task": {"id": task_id, "type": type_name},
            "taskrun": {"id": "run1", "value": None},
            "outputs": {},
            "inputs": {},
            **self.variables,
        }
        return TaskContext(
            execution_id="exec1",
            namespace="dev",
            flow_id="flow",
            task_id=task_id,
            task_run_id="run1",
            task_type=type_name,
            variables=variables,
            storage=self.storage,
            log=lambda level, message: self.logs.append((level, message)),
            renderer=_render,
            workdir=self.workdir,
            services={"state": self.store, **self.services},
        )

    def __call__(self, short_type: str, **props: Any) -> dict[str, Any]:
        type_name = f"{CORE}.{short_type}"
        run = implementation(type_name)
        assert run is not None, type_name
        return run(self.context(type_name), props)

    def fails(self, short_type: str, **props: Any) -> str:
        with pytest.raises(TaskFailure) as caught:
            self(short_type, **props)
        return str(caught.value)

    def put(self, name: str, data: bytes) -> str:
        return self.storage.put(f"test/{name}", data)

    def read(self, uri: str) -> bytes:
        return self.storage.path(uri).read_bytes()


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path, StateStore(tmp_path / "state"), LocalStorage(tmp_path / "storage"))


# -- registry --------------------------------------------------------------------------------------


def test_every_implemented_type_loads() -> None:
    for type_name in implemented_types():
        assert callable(implementation(type_name)), type_name


def test_unknown_types_have_no_implementation() -> None:
    assert implementation(f"{CORE}.flow.ForEach") is None
    assert implementation("io.kestra.plugin.core.flow.WaitFor") is None


# -- truthiness ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    # Kestra's TruthUtils compares rendered text: "False" and 0.0 ("0.0") are true
    [True, "true", "TRUE", "False", "yes", "1", 1, -2, 0.5, 0.0, "anything", {"value": False}],
)
def test_truthy_values(value: Any) -> None:
    assert truthy(value) is True


@pytest.mark.parametrize("value", [None, False, 0, "", "  ", "false", "0", "-0"])
def test_falsy_values(value: Any) -> None:
    assert truthy(value) is False


# -- debug, log, output ----------------------------------------------------------------------------


def test_return_gives_the_format_as_value(run: Run) -> None:
    assert run("debug.Return", format="hello") == {"value": "hello"}
    assert run("debug.Return") == {"value": None}
    assert run("debug.Return", format=42) == {"value": "42"}


@needs_templating
def test_return_renders_its_format(run: Run) -> None:
    run.variables["inputs"] = {"name": "kflow"}
    assert run("debug.Return", format="hi {{ inputs.name }}") == {"value": "hi kflow"}


def test_echo_logs_at_its_level(run: Run) -> None:
    assert run("debug.Echo", format="task 1") == {}
    assert run("debug.Echo", format="careful", level="warn") == {}
    assert run.logs == [("INFO", "task 1"), ("WARN", "careful")]


def test_log_logs_one_or_many_messages(run: Run) -> None:
    assert run("log.Log", message="one") == {}
    assert run("log.Log", message=["two", "three"], level="DEBUG") == {}
    assert run.logs == [("INFO", "one"), ("DEBUG", "two"), ("DEBUG", "three")]


def test_log_failures(run: Run) -> None:
    assert run.fails("log.Log") == "log.Log: property 'message' is required"
    assert run.fails("log.Log", message="x", level="LOUD") == (
        "log.Log: invalid level 'LOUD'; use one of TRACE, DEBUG, INFO, WARN, ERROR"
    )
    assert run.fails("log.Log", message={"a": 1}) == (
        "log.Log: 'message' must be a text or a list of texts"
    )


@needs_templating
def test_log_renders_each_message(run: Run) -> None:
    run.variables["inputs"] = {"n": 3}
    run("log.Log", message=["n={{ inputs.n }}", "{{ inputs.n + 1 }}"])
    assert run.logs == [("INFO", "n=3"), ("INFO", "4")]


def test_output_values(run: Run) -> None:
    values = {"a": "x", "n": 1, "nested": {"list": [1, "b"]}}
    assert run("output.OutputValues", values=values) == {"values": values}
    assert run("output.OutputValues") == {"values": {}}
    assert run.fails("output.OutputValues", values=["a"]) == (
        "output.OutputValues: 'values' must be a mapping, not list"
    )


@needs_templating
def test_output_values_are_rendered(run: Run) -> None:
    run.variables["inputs"] = {"who": "me"}
    result = run("output.OutputValues", values={"greeting": "hi {{ inputs.who }}", "n": 2})
    assert result == {"values": {"greeting": "hi me", "n": 2}}


# -- execution -------------------------------------------------------------------------------------


def test_fail_without_condition_fails_with_its_message(run: Run) -> None:
    assert run.fails("execution.Fail") == "Task failure"
    assert run.fails("execution.Fail", errorMessage="bad input") == "bad input"


@pytest.mark.parametrize("condition", ["true", "1", "yes"])
def test_fail_with_a_true_condition_fails(run: Run, condition: str) -> None:
    assert run.fails("execution.Fail", condition=condition, errorMessage="stop") == "stop"


@pytest.mark.parametrize("condition", ["false", "", "0", "-0", False])
def test_fail_with_a_false_condition_passes(run: Run, condition: Any) -> None:
    assert run("execution.Fail", condition=condition) == {}


@needs_templating
def test_fail_renders_its_condition(run: Run) -> None:
    run.variables["inputs"] = {"param": "FAIL"}
    assert run.fails("execution.Fail", condition="{{ inputs.param == 'FAIL' }}") == "Task failure"
    run.variables["inputs"] = {"param": "OK"}
    assert run("execution.Fail", condition="{{ inputs.param == 'FAIL' }}") == {}


def test_labels_from_a_mapping_a_list_or_json(run: Run) -> None:
    seen: list[dict[str, str]] = []
    run.services["set_labels"] = seen.append
    assert run("execution.Labels", labels={"team": "data", "n": 3, "ok": True}) == {}
    run("execution.Labels", labels=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    run("execution.Labels", labels='{"c": "3"}')
    run("execution.Labels", labels={"meta": {"x": 1}})
    assert seen == [
        {"team": "data", "n": "3", "ok": "true"},
        {"a": "1", "b": "2"},
        {"c": "3"},
        {"meta": '{"x":1}'},
    ]


def test_labels_failures(run: Run) -> None:
    assert run.fails("execution.Labels", labels={"a": "1"}) == (
        "execution.Labels: this target cannot change the labels of an execution"
    )
    run.services["set_labels"] = lambda labels: None
    assert run.fails("execution.Labels", labels={"system.correlationId": "x"}) == (
        "execution.Labels: system labels can only be set by kflow itself: 'system.correlationId'"
    )
    assert run.fails("execution.Labels", labels=[{"key": "a"}]) == (
        "execution.Labels: a label in a list must be a mapping with 'key' and 'value'"
    )
    assert run.fails("execution.Labels", labels="{not json") == (
        "execution.Labels: 'labels' is not valid JSON: Expecting property name enclosed in "
        "double quotes"
    )
    assert run.fails("execution.Labels") == "execution.Labels: property 'labels' is required"


def test_resume_calls_the_engine_hook(run: Run) -> None:
    assert run.fails("execution.Resume") == (
        "execution.Resume: resuming an execution from a task is not supported by the runner yet"
    )
    calls: list[tuple[str, Any]] = []
    run.services["resume"] = lambda execution_id, inputs: calls.append((execution_id, inputs))
    assert run("execution.Resume", executionId="other", inputs={"ok": True}) == {}
    assert run("execution.Resume") == {}
    assert calls == [("other", {"ok": True}), ("exec1", None)]


def test_sleep_waits_its_duration(run: Run) -> None:
    start = time.monotonic()
    assert run("flow.Sleep", duration="PT0.05S") == {}
    assert time.monotonic() - start >= 0.05


def test_sleep_stops_when_the_task_is_stopped(run: Run) -> None:
    type_name = f"{CORE}.flow.Sleep"
    ctx, sleep = run.context(type_name), implementation(type_name)
    assert sleep is not None
    threading.Timer(0.05, ctx.stop).start()
    start = time.monotonic()
    with pytest.raises(TaskFailure, match=r"^flow\.Sleep: cancelled while sleeping$"):
        sleep(ctx, {"duration": "PT30S"})
    assert time.monotonic() - start < 5


def test_sleep_failures(run: Run) -> None:
    assert run.fails("flow.Sleep") == "flow.Sleep: property 'duration' is required"
    assert run.fails("flow.Sleep", duration="soon").startswith("flow.Sleep: 'soon' is not an ISO")
    assert run.fails("flow.Sleep", duration="-PT1S") == "flow.Sleep: duration '-PT1S' is negative"


@pytest.mark.parametrize(("expression", "value"), [("true", True), ("false", False), ("", False)])
def test_expression_task(run: Run, expression: str, value: bool) -> None:
    assert run("condition.Expression", expression=expression) == {"value": value}


def test_expression_task_needs_an_expression(run: Run) -> None:
    assert run.fails("condition.Expression") == (
        "condition.Expression: property 'expression' is required"
    )


@needs_templating
def test_expression_task_renders(run: Run) -> None:
    run.variables["inputs"] = {"hour": 9}
    assert run("condition.Expression", expression="{{ inputs.hour > 8 }}") == {"value": True}
    assert run("condition.Expression", expression="{{ inputs.hour > 10 }}") == {"value": False}


def test_toggle_needs_the_server(run: Run) -> None:
    assert run.fails("trigger.Toggle", trigger="schedule") == (
        "trigger.Toggle: toggling trigger 'schedule' needs the kflow server; "
        "`kflow run` runs no triggers"
    )


# -- log.Fetch -------------------------------------------------------------------------------------


def _ion_messages(run: Run, uri: str) -> list[str]:
    lines = run.read(uri).decode().splitlines()
    return [line.split("message:", 1)[1].rstrip("}") for line in lines]


def test_fetch_reads_the_logs_of_the_current_execution(run: Run) -> None:
    run.store.log("exec1", "INFO", "task 1", "r1", "task-1")
    run.store.log("exec1", "DEBUG", "quiet", "r1", "task-1")
    run.store.log("exec1", "ERROR", 'say "hi"\n', "r2", "task-2")
    run.store.log("other", "INFO", "elsewhere", "r3", "task-1")
    result = run("log.Fetch")
    assert result["size"] == 2
    assert _ion_messages(run, result["uri"]) == ['"task 1"', '"say \\"hi\\"\\n"']
    first = run.read(result["uri"]).decode().splitlines()[0]
    assert first.startswith('{namespace:"dev",flowId:"flow",taskId:"task-1",executionId:"exec1"')
    assert ",timestamp:20" in first and ',level:"INFO"' in first


def test_fetch_filters_by_level_and_task(run: Run) -> None:
    run.store.log("exec1", "INFO", "a", "r1", "task-1")
    run.store.log("exec1", "WARN", "b", "r2", "task-2")
    run.store.log("exec1", "ERROR", "c", "r1", "task-1")
    assert run("log.Fetch", level="WARN")["size"] == 2
    result = run("log.Fetch", tasksId=["task-2", "task-1"], level="TRACE")
    assert _ion_messages(run, result["uri"]) == ['"b"', '"a"', '"c"']


def test_fetch_reads_another_execution_of_the_flow(run: Run) -> None:
    run.store.create_execution(
        ExecutionRecord(
            "exec0", "dev", "flow", None, "SUCCESS", {}, None, {}, None, None, "2024", None, None
        )
    )
    run.store.log("exec0", "INFO", "before", "r0", "t")
    assert run("log.Fetch", executionId="exec0")["size"] == 1
    assert run.fails("log.Fetch", executionId="nope") == "log.Fetch: execution 'nope' not found"
    assert run.fails("log.Fetch", executionId="exec0", flowId="other") == (
        "log.Fetch: execution 'exec0' is not an execution of flow dev.other"
    )


def test_fetch_needs_the_state_store(run: Run) -> None:
    ctx = run.context(f"{CORE}.log.Fetch")
    ctx.services.pop("state")
    run_fetch = implementation(f"{CORE}.log.Fetch")
    assert run_fetch is not None
    with pytest.raises(TaskFailure, match=r"log\.Fetch: needs the runner's state store"):
        run_fetch(ctx, {})


# -- KV store --------------------------------------------------------------------------------------


def test_kv_set_get_delete(run: Run) -> None:
    assert run("kv.Set", key="my_key", value="hello") == {}
    assert run("kv.Get", key="my_key") == {"value": "hello"}
    assert run.store.kv_get("dev", "my_key") == (True, "hello")
    assert run("kv.Delete", key="my_key") == {"deleted": True}
    assert run("kv.Delete", key="my_key") == {"deleted": False}
    assert run("kv.Get", key="my_key") == {"value": None}


def test_kv_namespace_and_structured_values(run: Run) -> None:
    run("kv.Set", key="cfg", value={"a": [1, 2]}, namespace="prod")
    assert run("kv.Get", key="cfg", namespace="prod") == {"value": {"a": [1, 2]}}
    assert run("kv.Get", key="cfg") == {"value": None}


@pytest.mark.parametrize(
    ("kv_type", "text", "stored"),
    [
        ("NUMBER", "42", 42),
        ("NUMBER", "4.5", 4.5),
        ("BOOLEAN", "TRUE", True),
        ("DATETIME", "2024-01-01T02:00:00+02:00", "2024-01-01T00:00:00Z"),
        ("DATE", "2024-03-01", "2024-03-01"),
        ("DURATION", "P1D", "PT24H"),
        ("JSON", '{"k": [1]}', {"k": [1]}),
        ("STRING", "12", "12"),
    ],
)
def test_kv_set_types(run: Run, kv_type: str, text: str, stored: Any) -> None:
    run("kv.Set", key="k", value=text, kvType=kv_type)
    assert run("kv.Get", key="k") == {"value": stored}


def test_kv_failures(run: Run) -> None:
    assert run.fails("kv.Get", key="x", errorOnMissing=True) == (
        "kv.Get: key 'x' not found in namespace 'dev'"
    )
    assert run.fails("kv.Delete", key="x", errorOnMissing="true") == (
        "kv.Delete: key 'x' not found in namespace 'dev'"
    )
    run("kv.Set", key="x", value="1")
    assert run.fails("kv.Set", key="x", value="2", overwrite=False) == (
        "kv.Set: key 'x' already has a value in namespace 'dev' (overwrite: false)"
    )
    assert run("kv.Get", key="x") == {"value": "1"}
    assert run.fails("kv.Set", key="n", value="many", kvType="NUMBER") == (
        "kv.Set: value 'many' is not a NUMBER"
    )
    assert run.fails("kv.Set", key="n", value="1", kvType="COLOR") == (
        "kv.Set: unknown kvType 'COLOR'"
    )
    assert run.fails("kv.Set", key="bad key", value="1").startswith(
        "kv.Set: invalid key 'bad key': a key is letters"
    )
    assert run.fails("kv.Set", key="k") == "kv.Set: property 'value' is required"
    assert run.fails("kv.Get") == "kv.Get: property 'key' is required"
    assert run.fails("kv.Get", key="x", errorOnMissing="maybe") == (
        "kv.Get: property 'errorOnMissing' must be true or false, not 'maybe'"
    )


def test_kv_ttl_expires(run: Run) -> None:
    run("kv.Set", key="short", value="v", ttl="PT0.05S")
    assert run("kv.Get", key="short") == {"value": "v"}
    time.sleep(0.1)
    assert run("kv.Get", key="short") == {"value": None}
    assert run.fails("kv.Set", key="k", value="v", ttl="1 hour").startswith("kv.Set: ttl: ")


# -- state store -----------------------------------------------------------------------------------


def test_state_set_merges_and_get_reads(run: Run) -> None:
    assert run("state.Get") == {"count": 0, "data": {}}
    first = run("state.Set", data={"a": 1, "nested": {"x": 1}})
    assert first == {"count": 2, "key": "__state__/flow/default"}
    assert run("state.Set", data={"b": "2", "nested": {"y": 2}})["count"] == 3
    assert run("state.Get") == {
        "count": 3,
        "data": {"a": 1, "b": "2", "nested": {"x": 1, "y": 2}},
    }
    assert run("state.Delete") == {"deleted": True}
    assert run("state.Delete") == {"deleted": False}


def test_state_is_kept_per_name_flow_and_taskrun_value(run: Run) -> None:
    run("state.Set", name="s", data={"v": "flow"})
    run("state.Set", name="s", namespace=True, data={"v": "namespace"})
    run.variables["taskrun"] = {"id": "r", "value": "a"}
    run("state.Set", name="s", data={"v": "in a"})
    assert run("state.Get", name="s") == {"count": 1, "data": {"v": "in a"}}
    assert run("state.Get", name="s", taskrunValue=False) == {"count": 1, "data": {"v": "flow"}}
    assert run("state.Get", name="s", namespace=True, taskrunValue=False)["data"] == {
        "v": "namespace"
    }
    assert run("state.Get", name="other") == {"count": 0, "data": {}}


def test_state_failures(run: Run) -> None:
    assert run.fails("state.Get", name="s", errorOnMissing=True) == (
        "state.Get: no state named 's'"
    )
    assert run.fails("state.Delete", name="s", errorOnMissing=True) == (
        "state.Delete: no state named 's'"
    )
    assert run.fails("state.Set", data=["x"]) == "state.Set: 'data' must be a mapping"


# -- storage ---------------------------------------------------------------------------------------


def test_size_and_delete(run: Run) -> None:
    uri = run.put("a.txt", b"12345")
    assert run("storage.Size", uri=uri) == {"size": 5}
    assert run("storage.Delete", uri=uri) == {"uri": uri, "deleted": True}
    assert run("storage.Delete", uri=uri) == {"uri": uri, "deleted": False}
    assert run.fails("storage.Size", uri=uri) == (
        f"storage.Size: file: no file in internal storage at {uri}"
    )
    assert run.fails("storage.Delete", uri=uri, errorOnMissing=True) == (
        f"storage.Delete: no file in internal storage at {uri}"
    )
    assert run.fails("storage.Delete", uri="/etc/passwd") == (
        "storage.Delete: not an internal storage URI: '/etc/passwd'"
    )
    assert run.fails("storage.Size") == "storage.Size: property 'uri' is required"


def test_concat(run: Run) -> None:
    first, second = run.put("1.txt", b"Hello John"), run.put("2.txt", b"Hello Jane")
    result = run("storage.Concat", files=[first, second])
    assert run.read(result["uri"]) == b"Hello JohnHello Jane"
    assert result["uri"].endswith("/concat.tmp")
    result = run(
        "storage.Concat", files=json.dumps([first, second]), separator="\n", extension=".txt"
    )
    assert run.read(result["uri"]) == b"Hello John\nHello Jane\n"
    assert result["uri"].endswith(".txt")


def test_concat_failures(run: Run) -> None:
    assert run.fails("storage.Concat") == "storage.Concat: property 'files' is required"
    assert run.fails("storage.Concat", files="nope") == (
        "storage.Concat: 'files' must be a list of kestra:// URIs or a JSON array of them"
    )
    assert run.fails("storage.Concat", files=["kestra:///missing"]) == (
        "storage.Concat: files: no file in internal storage at kestra:///missing"
    )


@pytest.fixture
def lines(run: Run) -> str:
    return run.put("lines.csv", b"".join(f"row{i}\n".encode() for i in range(10)))


def _parts(run: Run, uris: list[str]) -> list[str]:
    return [run.read(uri).decode() for uri in uris]


def test_split_by_rows(run: Run, lines: str) -> None:
    parts = _parts(run, run("storage.Split", **{"from": lines, "rows": 4})["uris"])
    assert [p.count("\n") for p in parts] == [4, 4, 2]
    assert "".join(parts) == "".join(f"row{i}\n" for i in range(10))


def test_split_by_partitions(run: Run, lines: str) -> None:
    result = run("storage.Split", **{"from": lines, "partitions": 3})
    parts = _parts(run, result["uris"])
    assert parts[0] == "row0\nrow3\nrow6\nrow9\n"
    assert len(parts) == 3
    assert all(uri.endswith(".csv") for uri in result["uris"])
    few = run.put("few.txt", b"a\nb")
    assert _parts(run, run("storage.Split", **{"from": few, "partitions": 5})["uris"]) == [
        "a\n",
        "b\n",
    ]


def test_split_by_bytes(run: Run, lines: str) -> None:
    parts = _parts(run, run("storage.Split", **{"from": lines, "bytes": "10"})["uris"])
    assert parts[:2] == ["row0\nrow1\n", "row2\nrow3\n"]
    assert len(parts) == 5


def test_split_by_pattern_with_separator(run: Run) -> None:
    uri = run.put("log.txt", b"[a] 1\r\n[b] 2\r\nnoise\r\n[a] 3")
    result = run("storage.Split", **{"from": uri, "regexPattern": r"\[(\w+)\]", "separator": ";"})
    assert _parts(run, result["uris"]) == ["[a] 1;[a] 3;", "[b] 2;"]


def test_split_failures(run: Run, lines: str) -> None:
    assert run.fails("storage.Split", **{"from": lines}) == (
        "storage.Split: give one of 'regexPattern', 'bytes', 'partitions' or 'rows'"
    )
    assert run.fails("storage.Split", **{"from": lines, "bytes": "big"}) == (
        "storage.Split: invalid size 'big'; write e.g. 10MB, 512KB or a number of bytes"
    )
    assert run.fails("storage.Split", **{"from": lines, "regexPattern": "x"}) == (
        "storage.Split: regexPattern needs a capture group: lines are grouped by its value"
    )
    assert run.fails("storage.Split", **{"from": lines, "rows": "a few"}) == (
        "storage.Split: property 'rows' must be an integer, not 'a few'"
    )
    assert run.fails("storage.Split", rows=1) == "storage.Split: property 'from' is required"


def test_local_files_writes_inputs_and_stores_outputs(run: Run) -> None:
    run.workdir = run.tmp / "wd"
    run.workdir.mkdir()
    source = run.put("src.json", b'{"a": 1}')
    result = run(
        "storage.LocalFiles",
        inputs={"hello.txt": "Hello World\n", "sub/dir/data.json": source},
    )
    assert result == {"uris": {}}
    assert (run.workdir / "hello.txt").read_text() == "Hello World\n"
    assert (run.workdir / "sub/dir/data.json").read_bytes() == b'{"a": 1}'
    result = run("storage.LocalFiles", outputs=["*.txt", "sub/**"])
    assert sorted(result["uris"]) == ["hello.txt", "sub/dir/data.json"]
    assert run.read(result["uris"]["hello.txt"]) == b"Hello World\n"
    assert run("storage.LocalFiles", outputs=["sub/*"]) == {"uris": {}}
    assert list(run("storage.LocalFiles", outputs=["{hello,nothing}.txt"])["uris"]) == ["hello.txt"]


def test_local_files_failures(run: Run) -> None:
    run.workdir = run.tmp / "wd"
    run.workdir.mkdir()
    assert run.fails("storage.LocalFiles", inputs={"../escape.txt": "x"}) == (
        "storage.LocalFiles: file name '../escape.txt' points outside the working directory"
    )
    assert run.fails("storage.LocalFiles", inputs="[1]") == (
        "storage.LocalFiles: 'inputs' must be a mapping of file names to contents"
    )


def test_json_reads_a_storage_file_or_a_path(run: Run) -> None:
    uri = run.put("doc.json", b'{"items": [1, 2], "ok": true}')
    assert run("types.Json", **{"from": uri}) == {"value": {"items": [1, 2], "ok": True}}
    run.workdir = run.tmp
    (run.tmp / "local.json").write_text("[1]")
    assert run("types.Json", **{"from": "local.json"}) == {"value": [1]}


def test_json_failures(run: Run) -> None:
    bad = run.put("bad.json", b'{"a": }')
    assert run.fails("types.Json", **{"from": bad}) == (
        f"types.Json: {bad} is not JSON: Expecting value at line 1 column 7"
    )
    assert run.fails("types.Json", **{"from": "/no/such.json"}) == (
        "types.Json: from: no file at /no/such.json"
    )


# -- run through a template ------------------------------------------------------------------------


@needs_templating
def test_kv_key_and_value_are_rendered(run: Run) -> None:
    run.variables["inputs"] = {"k": "answer", "v": 42}
    run("kv.Set", key="{{ inputs.k }}", value="{{ inputs.v }}", kvType="NUMBER")
    assert run("kv.Get", key="answer") == {"value": 42}

"""The script tasks (python/shell Script and Commands): real processes in real directories.

Most tests call the task with a TaskContext over a LocalStorage in tmp_path, to see its outputs,
logs and messages; a few run whole flows with `kflow run` to see tasks hand files to each other,
a failure stop the flow and a timeout kill the process. The dependencies tests install a small
package from PyPI with uv into a cache under tmp_path.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kflow.cli import main
from kflow.runtime_shims.context import TaskContext, TaskFailure, TaskWarning
from kflow.runtime_shims.state import StateStore
from kflow.runtime_shims.storage import LocalStorage
from kflow.runtime_shims.tasks import implementation
from kflow.runtime_shims.templating import render_value

SCRIPTS = "io.kestra.plugin.scripts"


@dataclass
class Run:
    """Runs one script task with a real storage; keeps the logs it wrote."""

    storage: LocalStorage
    logs: list[tuple[str, str]] = field(default_factory=list)
    workdir: Path | None = None
    last: TaskContext | None = None

    def context(self, type_name: str) -> TaskContext:
        variables = {
            "flow": {"id": "flow", "namespace": "dev"},
            "execution": {"id": "exec1"},
            "task": {"id": "t1", "type": type_name},
            "taskrun": {"id": "run1", "value": None},
            "outputs": {},
            "inputs": {"name": "world"},
        }
        self.last = TaskContext(
            execution_id="exec1",
            namespace="dev",
            flow_id="flow",
            task_id="t1",
            task_run_id="run1",
            task_type=type_name,
            variables=variables,
            storage=self.storage,
            log=lambda level, message: self.logs.append((level, message)),
            renderer=render_value,
            workdir=self.workdir,
        )
        return self.last

    def __call__(self, short_type: str, **props: Any) -> dict[str, Any]:
        type_name = f"{SCRIPTS}.{short_type}"
        found = implementation(type_name)
        assert found is not None, type_name
        return found(self.context(type_name), props)

    def lines(self, level: str = "INFO") -> list[str]:
        return [message for at, message in self.logs if at == level]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(LocalStorage(tmp_path / "storage"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("KFLOW_CACHE_DIR", str(path))
    return path


def vars_line(outputs: dict[str, Any]) -> str:
    """A shell command printing Kestra's `::{"outputs": …}::` line."""
    return "echo '::" + json.dumps({"outputs": outputs}) + "::'"


# -- Python ---------------------------------------------------------------------------------------


def test_python_script_outputs_vars_and_exit_code(run: Run) -> None:
    outputs = run(
        "python.Script",
        script=textwrap.dedent(
            """
            import json, sys
            print("hello {{ inputs.name }}")
            print("::" + json.dumps({"outputs": {"a": 1, "exe": sys.executable}}) + "::")
            print("::" + json.dumps({"outputs": {"b": [1, 2]}}) + "::")
            """
        ),
    )
    assert outputs == {
        "vars": {"a": 1, "b": [1, 2], "exe": sys.executable},
        "exitCode": 0,
        "outputFiles": {},
    }
    assert run.lines() == ["hello world"]  # the `::` lines are read, not logged


def test_python_commands_have_kflow_python_first_on_path(run: Run) -> None:
    outputs = run(
        "python.Commands",
        commands=[
            'python -c \'import sys, json; print("::" + json.dumps('
            '{"outputs": {"exe": sys.executable}}) + "::")\'',
            "python3 -c 'print(42)'",
        ],
    )
    assert outputs["vars"] == {"exe": sys.executable}
    assert run.lines() == ["42"]


def test_python_script_imports_modules_from_input_files(run: Run) -> None:
    outputs = run(
        "python.Script",
        inputFiles={"helpers.py": "def double(x):\n    return 2 * x\n"},
        script='import helpers\nprint(\'::{"outputs": {"d": %d}}::\' % helpers.double(21))\n',
    )
    assert outputs["vars"] == {"d": 42}


def test_log_and_metric_lines(run: Run) -> None:
    run(
        "shell.Commands",
        commands=[
            'echo \'::{"logs": [{"level": "WARNING", "message": "careful"}]}::\'',
            'echo \'::{"metrics": [{"name": "rows", "type": "counter", "value": 3}]}::\'',
            "echo '::{not json}::'",
        ],
    )
    assert ("WARN", "careful") in run.logs
    assert any(level == "DEBUG" and '"rows"' in message for level, message in run.logs)
    assert any(level == "WARN" and "Invalid outputs" in message for level, message in run.logs)


# -- files ----------------------------------------------------------------------------------------


def test_input_files_inline_are_rendered(run: Run) -> None:
    run(
        "shell.Commands",
        inputFiles={"in/{{ inputs.name }}.txt": "hi {{ inputs.name }}", "empty.txt": None},
        commands=["cat in/world.txt", "echo", "wc -c < empty.txt"],
    )
    assert run.lines() == ["hi world", "0"]


def test_input_files_as_json_text(run: Run) -> None:
    run("shell.Commands", inputFiles='{"a.txt": "from json"}', commands=["cat a.txt"])
    assert run.lines() == ["from json"]


def test_input_file_from_storage(run: Run) -> None:
    uri = run.storage.put("dev/flow/executions/e0/tasks/prev/r0/data.csv", b"x,y\n1,2\n")
    run("shell.Commands", inputFiles={"data.csv": uri}, commands=["cat data.csv"])
    assert run.lines() == ["x,y", "1,2"]


def test_missing_storage_input_file_fails(run: Run) -> None:
    with pytest.raises(TaskFailure) as failed:
        run(
            "shell.Commands",
            inputFiles={"data.csv": "kestra:///dev/flow/nothing.csv"},
            commands=["cat data.csv"],
        )
    assert str(failed.value) == (
        "shell.Commands: input file 'data.csv': "
        "no file in internal storage at kestra:///dev/flow/nothing.csv"
    )


def test_input_file_outside_the_working_directory_fails(run: Run) -> None:
    with pytest.raises(TaskFailure, match="outside the working directory"):
        run("shell.Commands", inputFiles={"../evil.txt": "x"}, commands=["true"])


def test_storage_uri_in_a_script_reads_a_local_copy(run: Run) -> None:
    uri = run.storage.put("dev/flow/executions/e0/tasks/prev/r0/data.txt", b"stored text")
    outputs = run(
        "python.Script",
        script=(
            f"import json\ntext = open('{uri}').read()\n"
            "print('::' + json.dumps({'outputs': {'text': text}}) + '::')\n"
        ),
    )
    assert outputs["vars"] == {"text": "stored text"}


def test_output_files_globs_are_stored(run: Run) -> None:
    outputs = run(
        "shell.Commands",
        outputFiles=["*.csv", "reports/**.json", "missing.txt"],
        commands=[
            "echo a > one.csv",
            "mkdir -p reports/2024 && echo '{}' > reports/2024/r.json",
            "echo no > other.txt",
        ],
    )
    files = outputs["outputFiles"]
    assert sorted(files) == ["one.csv", "reports/2024/r.json"]
    assert run.storage.path(files["one.csv"]).read_text() == "a\n"
    assert files["one.csv"].startswith("kestra:///dev/flow/executions/exec1/tasks/t1/run1/")


def test_output_directory(run: Run) -> None:
    outputs = run(
        "shell.Script",
        outputDirectory=True,
        script='echo hi > "$OUTPUT_DIR/a.txt"\necho there > {{ outputDir }}/b.txt',
    )
    files = outputs["outputFiles"]
    assert sorted(files) == ["a.txt", "b.txt"]
    assert run.storage.path(files["b.txt"]).read_text() == "there\n"


def test_inside_a_working_directory_files_stay(run: Run, tmp_path: Path) -> None:
    run.workdir = tmp_path / "wd"
    run.workdir.mkdir()
    run("python.Script", script="open('made.txt', 'w').write('kept')")
    run("shell.Commands", commands=["cat made.txt"])
    assert run.lines() == ["kept"]
    assert [p.name for p in run.workdir.iterdir()] == ["made.txt"]  # the script file is gone


def test_an_own_working_directory_is_removed(run: Run) -> None:
    run("shell.Commands", commands=['echo "$WORKING_DIR"', "pwd"])
    where, pwd = run.lines()
    assert where == pwd
    assert not Path(where).exists()


# -- environment and commands ---------------------------------------------------------------------


def test_env_is_merged_over_the_parent_environment(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KFLOW_TEST_PARENT", "from parent")
    monkeypatch.setenv("KFLOW_TEST_OVERRIDDEN", "old")
    run(
        "shell.Commands",
        env={"KFLOW_TEST_OVERRIDDEN": "new {{ inputs.name }}", "KFLOW_TEST_NUMBER": 3},
        commands=[
            'echo "$KFLOW_TEST_PARENT|$KFLOW_TEST_OVERRIDDEN|$KFLOW_TEST_NUMBER"',
            'test "$WORKING_DIR" = "{{ workingDir }}" && test "$WORKING_DIR" = "$(pwd)"',
            "echo ok",
        ],
    )
    assert run.lines() == ["from parent|new world|3", "ok"]


def test_before_commands_run_first(run: Run) -> None:
    run(
        "shell.Commands",
        beforeCommands=["echo before", "export KFLOW_TEST_SET=yes"],
        commands=['echo "command $KFLOW_TEST_SET"'],
    )
    assert run.lines() == ["before", "command yes"]


def test_fail_fast_stops_at_the_first_failing_command(run: Run) -> None:
    with pytest.raises(TaskFailure, match="Command failed with exit code 1"):
        run("shell.Commands", commands=["echo one", "false", "echo two"])
    assert run.lines() == ["one"]


def test_without_fail_fast_the_last_command_decides(run: Run) -> None:
    outputs = run("shell.Commands", failFast=False, commands=["false", "echo two"])
    assert outputs["exitCode"] == 0
    assert run.lines() == ["two"]


def test_exit_code_fails_with_the_last_stderr_lines(run: Run) -> None:
    with pytest.raises(TaskFailure) as failed:
        run(
            "python.Script",
            script="import sys\nprint('working')\nsys.stderr.write('bad input\\n')\nsys.exit(3)",
        )
    assert str(failed.value) == "python.Script: Command failed with exit code 3\nbad input"
    assert ("ERROR", "bad input") in run.logs


def test_stderr_is_logged_at_error_and_ends_in_warning(run: Run) -> None:
    with pytest.raises(TaskWarning) as warned:
        run("shell.Commands", commands=["echo out", "echo err >&2", vars_line({"k": "v"})])
    assert str(warned.value) == "shell.Commands: 1 line written to stderr (warningOnStdErr)"
    assert warned.value.outputs["vars"] == {"k": "v"}
    # stdout and stderr are separate pipes: their relative order is not defined.
    assert sorted(run.logs) == [("ERROR", "err"), ("INFO", "out")]


def test_stderr_without_warning_on_stderr(run: Run) -> None:
    outputs = run("shell.Script", warningOnStdErr=False, script="echo err >&2")
    assert outputs["exitCode"] == 0


def test_interpreter(run: Run) -> None:
    run(
        "shell.Commands",
        interpreter=["/bin/bash", "-c"],
        commands=["echo ${BASH_VERSION:+bash}", "[[ 1 == 1 ]] && echo double-brackets"],
    )
    assert run.lines() == ["bash", "double-brackets"]


def test_bad_properties_fail_with_readable_messages(run: Run) -> None:
    with pytest.raises(TaskFailure, match=r"shell.Commands: property 'commands' is required"):
        run("shell.Commands")
    with pytest.raises(TaskFailure, match=r"python.Script: property 'script' is required"):
        run("python.Script")
    with pytest.raises(TaskFailure, match="'interpreter' must not be empty"):
        run("shell.Commands", interpreter=[], commands=["true"])
    with pytest.raises(TaskFailure, match="cannot start /no/such/shell"):
        run("shell.Commands", interpreter=["/no/such/shell"], commands=["true"])
    with pytest.raises(TaskFailure, match="namespaceFiles are not supported"):
        run("shell.Commands", namespaceFiles={"enabled": True}, commands=["true"])
    assert run("shell.Commands", namespaceFiles={"enabled": False}, commands=["true"])


def test_container_image_is_ignored_with_a_warning(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KFLOW_CONTAINERS", raising=False)
    run("python.Script", containerImage="python:3.11-slim", script="print('local')")
    assert run.logs[0] == (
        "WARN",
        "container image python:3.11-slim ignored: kflow runs no containers; "
        "running as a local process",
    )
    assert run.lines() == ["local"]
    run.logs.clear()
    run(
        "shell.Commands",
        containerImage="ubuntu",
        taskRunner={"type": "io.kestra.plugin.core.runner.Process"},
        commands=["true"],
    )
    assert run.logs == []


def test_containers_can_be_an_error(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFLOW_CONTAINERS", "error")
    with pytest.raises(TaskFailure) as failed:
        run(
            "shell.Commands",
            taskRunner={"type": "io.kestra.plugin.scripts.runner.docker.Docker"},
            commands=["true"],
        )
    assert str(failed.value) == (
        "shell.Commands: task runner io.kestra.plugin.scripts.runner.docker.Docker: "
        "kflow runs no containers (KFLOW_CONTAINERS=error)"
    )
    with pytest.raises(TaskFailure, match=r"container image python:3\.9-slim"):
        run("python.Script", docker={"image": "python:3.9-slim"}, script="print(1)")


def test_stopping_the_task_kills_the_process_group(run: Run, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    errors: list[BaseException] = []

    def target() -> None:
        try:
            # the shell waits for a child: the whole group has to go
            run("shell.Commands", commands=[f"sleep 30 & echo $! > {pid_file}; wait"])
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 10
    while not (pid_file.is_file() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert run.last is not None
    run.last.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5
    assert len(errors) == 1 and "stopped" in str(errors[0])
    _assert_gone(int(pid_file.read_text()))


def _assert_gone(pid: int) -> None:
    deadline = time.monotonic() + 5
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        stat = Path(f"/proc/{pid}/stat")
        if stat.is_file() and stat.read_text().split(")")[-1].split()[0] == "Z":
            return  # killed, waiting for its parent (init) to reap it
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.05)


# -- dependencies ---------------------------------------------------------------------------------

SIX = "six==1.16.0"
SIX_SCRIPT = (
    "import json, six, sys\n"
    "print('::' + json.dumps({'outputs': {'six': six.__version__, 'exe': sys.executable}}) + '::')"
)


def test_dependencies_are_installed_once_then_reused(run: Run, cache: Path) -> None:
    first = run("python.Script", dependencies=[SIX], script=SIX_SCRIPT)
    assert first["vars"]["six"] == "1.16.0"
    exe = Path(first["vars"]["exe"])
    assert cache in exe.parents
    assert any(m.startswith("Installing Python dependencies six==1.16.0") for m in run.lines())
    (env,) = [p for p in (cache / "python-envs").iterdir() if p.is_dir()]
    made = (env / "kflow-env.json").stat().st_mtime_ns

    run.logs.clear()
    second = run("python.Commands", dependencies=[SIX], commands=["python -c 'import six'"])
    assert second["exitCode"] == 0
    assert run.lines() == ["Using the cached Python environment for six==1.16.0"]
    assert (env / "kflow-env.json").stat().st_mtime_ns == made


def test_parallel_tasks_share_one_install(cache: Path, tmp_path: Path) -> None:
    runs = [Run(LocalStorage(tmp_path / "storage")) for _ in range(2)]
    results: list[Any] = []

    def target(one: Run) -> None:
        try:
            results.append(one("python.Script", dependencies=[SIX], script=SIX_SCRIPT))
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=target, args=(one,)) for one in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [r["vars"]["six"] for r in results] == ["1.16.0", "1.16.0"]
    installs = [m for one in runs for m in one.lines() if m.startswith("Installing")]
    assert len(installs) == 1


def test_a_failed_install_fails_with_the_installer_output(run: Run, cache: Path) -> None:
    with pytest.raises(TaskFailure) as failed:
        run("python.Script", dependencies=["/no/such/kflow-package"], script="print(1)")
    message = str(failed.value)
    assert message.startswith("python.Script: installing dependencies /no/such/kflow-package")
    assert "/no/such/kflow-package" in message.split("\n", 1)[1]  # the installer's own words
    assert not [p for p in (cache / "python-envs").iterdir() if p.is_dir()]  # nothing half-made


def test_dependency_options_are_checked(run: Run, cache: Path) -> None:
    with pytest.raises(TaskFailure, match="is not a package requirement"):
        run("python.Script", dependencies=["--index-url=http://x"], script="print(1)")
    with pytest.raises(TaskFailure, match="packageManager must be UV or PIP"):
        run("python.Script", dependencies=[SIX], packageManager="CONDA", script="print(1)")


# -- whole flows ----------------------------------------------------------------------------------


def run_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flow: str
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """`kflow run FLOW --output json`: (exit code, report, log lines)."""
    state = tmp_path / "state"
    monkeypatch.setenv("KFLOW_HOME", str(state))  # `run --state-dir` sets it; restored after
    path = tmp_path / "flow.yml"
    path.write_text(textwrap.dedent(flow), encoding="utf-8")
    code = main(["run", str(path), "--output", "json", "--state-dir", str(state)])
    report = json.loads(capsys.readouterr().out)
    store = StateStore(state)
    try:
        return code, report, store.logs(report["id"])
    finally:
        store.close()


def test_flow_hands_output_files_to_later_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, logs = run_flow(
        tmp_path,
        monkeypatch,
        capsys,
        f"""
        id: files
        namespace: dev
        tasks:
          - id: make
            type: {SCRIPTS}.python.Script
            outputFiles: ["out.csv"]
            script: |
              open("out.csv", "w").write("a,b\\n1,2\\n")
              print('::{{"outputs": {{"rows": 1}}}}::')
          - id: size
            type: io.kestra.plugin.core.storage.Size
            uri: "{{{{ outputs.make.outputFiles['out.csv'] }}}}"
          - id: read
            type: {SCRIPTS}.shell.Commands
            inputFiles:
              copy.csv: "{{{{ outputs.make.outputFiles['out.csv'] }}}}"
            commands:
              - cat copy.csv
              - echo "rows={{{{ outputs.make.vars.rows }}}}"
        """,
    )
    assert code == 0 and report["state"] == "SUCCESS"
    outputs = {run["taskId"]: run["outputs"] for run in report["taskRuns"]}
    assert outputs["size"] == {"size": 8}
    assert [line["message"] for line in logs if line["task_id"] == "read"] == [
        "a,b",
        "1,2",
        "rows=1",
    ]


def test_flow_stops_at_a_failing_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, logs = run_flow(
        tmp_path,
        monkeypatch,
        capsys,
        f"""
        id: failing
        namespace: dev
        tasks:
          - id: fail
            type: {SCRIPTS}.shell.Script
            script: |
              echo "no such table" >&2
              exit 3
          - id: after
            type: io.kestra.plugin.core.log.Log
            message: not reached
        """,
    )
    assert code != 0 and report["state"] == "FAILED"
    assert [run["taskId"] for run in report["taskRuns"]] == ["fail"]
    errors = [line["message"] for line in logs if line["level"] == "ERROR"]
    assert "shell.Script: Command failed with exit code 3\nno such table" in errors


def test_flow_with_stderr_ends_in_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report, _ = run_flow(
        tmp_path,
        monkeypatch,
        capsys,
        f"""
        id: warns
        namespace: dev
        tasks:
          - id: noisy
            type: {SCRIPTS}.python.Script
            script: |
              import sys
              print("progress", file=sys.stderr)
        """,
    )
    assert report["state"] == "WARNING"
    assert report["taskRuns"][0]["outputs"]["exitCode"] == 0


def test_timeout_kills_a_sleeping_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    _, report, logs = run_flow(
        tmp_path,
        monkeypatch,
        capsys,
        f"""
        id: slow
        namespace: dev
        tasks:
          - id: sleepy
            type: {SCRIPTS}.python.Script
            timeout: PT1S
            script: |
              import os, time
              open({str(pid_file)!r}, "w").write(str(os.getpid()))
              time.sleep(60)
        """,
    )
    assert time.monotonic() - started < 10
    assert report["state"] == "FAILED"
    assert any("timed out after PT1S" in line["message"] for line in logs)
    _assert_gone(int(pid_file.read_text()))

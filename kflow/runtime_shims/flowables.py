"""What each flowable task means in the bundled runner (and Subflow and Pause, which wait).

Every handler gets the `Call` of its task run, runs the children through the engine's walk and
returns the task run's state; `call.record.outputs` holds the outputs it produces. Kestra's rules
(core plugin docs and `FlowableUtils`): a flowable's state is the worst of its children (a
failure handled by its local `errors` still fails it); after a child fails no new child starts;
ForEach iterates the distinct values of its list, and null values are an error.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kflow.compiler import ir
from kflow.runtime_shims.durations import parse_duration
from kflow.runtime_shims.engine import MAX_SUBFLOW_DEPTH, Call, TaskStopped
from kflow.runtime_shims.execution import (
    FAILED,
    KILLED,
    PAUSED,
    RUNNING,
    STOPPING,
    SUCCESS,
    TERMINAL,
    WARNING,
    worst,
)
from kflow.runtime_shims.templating import TemplateError, render_value

FLOW = "io.kestra.plugin.core.flow."

Handler = Callable[[Call], str]


def branch(task: ir.Task, name: str) -> tuple[ir.Task, ...]:
    """The child tasks of a flowable under one property (empty if absent)."""
    for found in task.branches:
        if found.name == name:
            return found.tasks
    return ()


def _block(call: Call, body: Callable[[], str] | None = None, tasks: str = "tasks") -> str:
    """Run a flowable's children (or `body`) in its own scope, then its `errors` and `finally`."""
    scope = call.child_scope()
    return call.run.run_block(
        branch(call.task, tasks),
        branch(call.task, "errors"),
        branch(call.task, "finally"),
        scope,
        body,
    )


def _int(call: Call, name: str, default: int) -> int:
    value = call.props.get(name, default)
    if isinstance(value, str):
        value = call.run.evaluate(value, call.variables)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TaskStopped(f"{name} must be an integer, got '{value}'") from None


def _bool(call: Call, name: str, default: bool) -> bool:
    value = call.props.get(name, default)
    if isinstance(value, str):
        value = call.run.evaluate(value, call.variables)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# -- grouping ------------------------------------------------------------------------------------


def sequential(call: Call) -> str:
    """Sequential: the children one after the other."""
    return _block(call)


def allow_failure(call: Call) -> str:
    """AllowFailure: a Sequential whose failure ends in WARNING."""
    state = _block(call)
    return WARNING if state == FAILED else state


def parallel(call: Call) -> str:
    """Parallel: the children at once, at most `concurrent` (0: all)."""
    run = call.run
    limit = _int(call, "concurrent", 0)
    scope = call.child_scope()
    children = branch(call.task, "tasks")
    jobs = (_job(run.run_task, child, scope) for child in children)
    return _block(call, lambda: run.run_concurrently(jobs, limit))


def _job(function: Callable[..., str | None], *args: Any) -> Callable[[], str | None]:
    return lambda: function(*args)


# -- branching -----------------------------------------------------------------------------------


def if_(call: Call) -> str:
    """If: `then` when the condition is true (Kestra's truth: not false/0/-0/empty/null)."""
    record = call.record
    if record.outputs is None or "evaluationResult" not in record.outputs:
        result = call.run.truthy(call.props.get("condition"), call.variables)
        record.outputs = {"evaluationResult": result}
        call.run.save(record)
    chosen = "then" if record.outputs["evaluationResult"] else "else"
    return _block(call, tasks=chosen)


def switch(call: Call) -> str:
    """Switch: the tasks of the case whose key is the rendered `value`, else `defaults`; with
    neither, the Switch fails (as in Kestra's SwitchTest.switchImpossible)."""
    record = call.record
    if record.outputs is None or "value" not in record.outputs:
        value = call.run.render(call.props.get("value", ""), call.variables)
        cases = {b.key for b in call.task.branches if b.name == "cases"}
        record.outputs = {"value": value, "defaults": value not in cases}
        call.run.save(record)
    value = record.outputs["value"]
    for found in call.task.branches:
        if found.name == "cases" and found.key == value:
            tasks = found.tasks
            break
    else:
        tasks = branch(call.task, "defaults")
        if not tasks:
            raise TaskStopped(f"no case matches the value '{value}' and there are no defaults")
    run = call.run
    scope = call.child_scope()
    return _block(call, lambda: run.run_sequence(tasks, scope))


# -- loops ---------------------------------------------------------------------------------------


def for_each(call: Call) -> str:
    """ForEach, EachSequential, EachParallel: the children once per distinct value."""
    run = call.run
    kind = call.task.type.rsplit(".", 1)[-1]
    if kind == "ForEach":
        raw = call.props.get("values")
        limit = _int(call, "concurrencyLimit", 1)
    else:
        raw = call.props.get("value", call.props.get("values"))
        limit = 1 if kind == "EachSequential" else _int(call, "concurrent", 0)
    values = loop_values(
        run.render_value(raw, call.variables)
        if not isinstance(raw, str)
        else run.evaluate(raw, call.variables)
    )
    children = branch(call.task, "tasks")

    def iteration(index: int, value: str) -> str:
        scope = call.child_scope(suffix=f"[{value}]", value=value, iteration=index)
        return run.run_sequence(children, scope)

    jobs = (_job(iteration, index, value) for index, value in enumerate(values))
    return _block(call, lambda: run.run_concurrently(jobs, limit))


def loop_values(raw: Any) -> list[str]:
    """The distinct values of a loop as `taskrun.value` strings (JSON for non-strings)."""
    values = raw
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except json.JSONDecodeError:
            raise TaskStopped(f"values must be a list or a JSON array, got '{raw}'") from None
    if not isinstance(values, (list, tuple)):
        raise TaskStopped(f"values must be a list or a JSON array, got '{raw}'")
    nulls = sum(1 for value in values if value is None)
    if nulls:
        raise TaskStopped(f"found {nulls} null value(s) in the values to loop over")
    seen: dict[str, None] = {}
    for value in values:
        text = value if isinstance(value, str) else _json(value)
        seen.setdefault(text, None)
    return list(seen)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


# -- Dag -----------------------------------------------------------------------------------------


def dag(call: Call) -> str:
    """Dag: each child once all its `dependsOn` ended (not failed), at most `concurrent` at once."""
    run = call.run
    limit = _int(call, "concurrent", 0)
    scope = call.child_scope()
    children = branch(call.task, "tasks")

    def body() -> str:
        from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

        done: dict[str, str | None] = {}
        waiting = list(children)
        workers = run.engine.max_threads if limit <= 0 else min(limit, run.engine.max_threads)
        stop = False
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kflow-dag") as pool:
            running: dict[Future[str | None], str] = {}
            while True:
                if not stop:
                    for child in list(waiting):
                        if len(running) >= workers:
                            break
                        if all(dep in done for dep in child.depends_on):
                            waiting.remove(child)
                            running[pool.submit(run.run_task, child, scope)] = child.id
                if not running:
                    break
                finished, _ = wait(set(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    state = future.result()
                    done[running.pop(future)] = state
                    stop = stop or state in STOPPING
        return worst(done.values())

    return _block(call, body)


# -- working directory ---------------------------------------------------------------------------


def working_directory(call: Call) -> str:
    """WorkingDirectory: the children share one temporary directory.

    `inputFiles` are written to it first; the files matching `outputFiles` are put in internal
    storage afterwards (`outputs.<id>.outputFiles`: name → URI). A WorkingDirectory found
    running on resume runs all its children again: the directory did not survive the crash.
    """
    run = call.run
    record = call.record
    directory = Path(tempfile.mkdtemp(prefix="kflow-wd-"))
    try:
        files = call.props.get("inputFiles")
        if files:
            rendered = run.render_value(files, call.variables)
            if isinstance(rendered, str):
                rendered = json.loads(rendered)
            for name, content in (rendered or {}).items():
                _write_input_file(run, directory, str(name), content)
        # Kestra gives the children the WorkingDirectory's own loop value (WorkingDirectoryTest).
        scope = call.child_scope(
            workdir=directory, rerun=call.previous is not None, value=record.value
        )
        body = _block_in(call, scope)
        patterns = call.props.get("outputFiles")
        if patterns and body not in (PAUSED,):
            rendered = run.render_value(patterns, call.variables)
            if isinstance(rendered, str):
                rendered = json.loads(rendered) if rendered.startswith("[") else [rendered]
            collected: dict[str, str] = {}
            for pattern in rendered:
                for path in sorted(directory.glob(str(pattern))):
                    if path.is_file():
                        name = path.relative_to(directory).as_posix()
                        key = _storage_key(call, name)
                        collected[name] = run.engine.storage.put(key, path)
            record.outputs = {"outputFiles": collected}
        return body
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _block_in(call: Call, scope: Any) -> str:
    run = call.run
    return run.run_block(
        branch(call.task, "tasks"), branch(call.task, "errors"), branch(call.task, "finally"), scope
    )


def _write_input_file(run: Any, directory: Path, name: str, content: Any) -> None:
    target = (directory / name).resolve()
    if directory.resolve() not in target.parents:
        raise TaskStopped(f"inputFiles: '{name}' is outside the working directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else _json(content)
    if text.startswith("kestra://"):
        shutil.copyfile(run.engine.storage.path(text), target)
    else:
        target.write_text(text, encoding="utf-8")


def _storage_key(call: Call, name: str) -> str:
    run = call.run
    return "/".join(
        [
            *run.flow.namespace.split("."),
            *(run.flow.id, "executions", run.record.id, "tasks", call.task.id, call.record.id),
            name,
        ]
    )


# -- waiting ---------------------------------------------------------------------------------------


def pause(call: Call) -> str:
    """Pause: wait, then go on.

    With `pauseDuration` (or the older `delay`) the task waits that long and then ends as
    `behavior` says (RESUME: SUCCESS, WARN, FAIL, CANCEL: KILLED). With only a `timeout` (Kestra
    0.x), it waits that long for a resume that a single process cannot get, then fails, as in
    Kestra's PauseTest.runTimeout. With neither, the execution is PAUSED (the process exits) until
    `kflow executions resume`. The deprecated `tasks` run after the pause.
    """
    run = call.run
    record = call.record
    props = call.props
    duration = props.get("pauseDuration") or props.get("delay")
    if duration is None and call.task.timeout is None:
        if call.previous != PAUSED:
            record.state = PAUSED
            run.save(record)
            return PAUSED
        record.outputs = {"onResume": {}, "resumed": True}
        state = SUCCESS
    else:
        text = str(duration if duration is not None else call.task.timeout)
        if "{{" in text:
            text = run.render(text, call.variables)
        seconds = parse_duration(text)
        record.state = PAUSED
        run.save(record)
        run.set_execution_state(PAUSED)
        started = _timestamp(record.start_date)
        remaining = seconds - (time.time() - started) if started is not None else seconds
        if remaining > 0:
            time.sleep(remaining)
        run.set_execution_state(RUNNING)
        record.state = RUNNING
        if duration is None:
            raise TaskStopped(f"the pause timed out after {text} without being resumed")
        behavior = str(run.render(props.get("behavior", "RESUME"), call.variables)).upper()
        state = {"WARN": WARNING, "FAIL": FAILED, "CANCEL": KILLED}.get(behavior, SUCCESS)
        if state != SUCCESS:
            return state
    if branch(call.task, "tasks"):
        return worst((state, _block(call)))
    return state


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def subflow(call: Call) -> str:
    """One attempt of a Subflow: run `namespace.flowId` (from the flows directory) as a child
    execution.

    `wait` (default true) runs it to its end first; with `transmitFailed` (default true) its
    FAILED or KILLED fails this task and its WARNING ends it WARNING. Outputs: `executionId`,
    `state`, and `outputs`: the child flow's outputs, plus the deprecated `outputs` property of
    the task rendered in the child execution's context.
    """
    run = call.run
    engine = run.engine
    record = call.record
    props = call.props
    if engine.loader is None:
        raise TaskStopped("subflows need a flows directory (--flows-dir)")
    if run.depth >= MAX_SUBFLOW_DEPTH:
        raise TaskStopped(f"subflows nest more than {MAX_SUBFLOW_DEPTH} deep: a flow calls itself")
    wait_for_it = _bool(call, "wait", True)
    transmit = _bool(call, "transmitFailed", True)
    child = _unfinished_child(call)
    if child is None:
        namespace = run.render(props.get("namespace", ""), call.variables)
        flow_id = run.render(props.get("flowId", ""), call.variables)
        try:
            loaded = engine.loader.find(namespace, flow_id)
        except LookupError as error:
            raise TaskStopped(str(error)) from None
        inputs = run.render_value(props.get("inputs") or {}, call.variables)
        labels = _labels(run.render_value(props.get("labels") or {}, call.variables))
        if _bool(call, "inheritLabels", False):
            labels = {**run.record.labels, **labels}
        child = engine.create(loaded, inputs, parent_id=run.record.id, labels=labels)
        record.outputs = {"executionId": child.id}
        run.save(record)
        flow = loaded.flow
    else:
        flow = engine.flow_of(child)
    if call.attempt is not None:
        call.attempt["executionId"] = child.id
    if child.state not in TERMINAL:
        if not wait_for_it:
            target = child
            engine.start_background(
                lambda: engine.run(target, flow, run.depth + 1), f"subflow-{child.id}"
            )
        else:
            child = engine.run(child, flow, run.depth + 1)
    outputs = dict(child.outputs or {})
    record.outputs = {
        "executionId": child.id,
        "state": child.state if wait_for_it else RUNNING,
        "outputs": outputs,
    }
    if not wait_for_it:
        return SUCCESS
    if child.state == PAUSED:
        return PAUSED
    legacy = props.get("outputs")
    if legacy:
        try:
            outputs.update(_render_in_child(call, child, flow, legacy))
        except TemplateError as error:
            raise TaskStopped(f"outputs of subflow execution {child.id}: {error}") from None
    if child.state in (FAILED, KILLED):
        if transmit:
            raise TaskStopped(f"subflow execution {child.id} ended {child.state}")
        return SUCCESS
    if child.state == WARNING and transmit:
        return WARNING
    return SUCCESS


def _unfinished_child(call: Call) -> Any:
    """The child execution an interrupted attempt started (resume), if it is not an earlier
    attempt's."""
    child_id = (call.record.outputs or {}).get("executionId")
    if not child_id:
        return None
    used = {a.get("executionId") for a in call.record.attempts if a is not call.attempt}
    if child_id in used:
        return None
    return call.run.engine.store.execution(child_id)


def _render_in_child(call: Call, child: Any, flow: ir.Flow, value: Any) -> Any:
    from kflow.runtime_shims.engine import outputs_tree

    run = call.run
    variables = {
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": 1},
        "execution": {"id": child.id, "startDate": child.start_date, "state": child.state},
        "inputs": child.inputs,
        "labels": child.labels,
        "outputs": outputs_tree(run.engine.store.task_runs(child.id)),
    }
    task_ids = frozenset(t.id for t in flow.all_tasks())
    return render_value(value, variables, services=run.services, task_ids=task_ids)


def _labels(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(item.get("key")): item.get("value") for item in value if isinstance(item, dict)}
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


HANDLERS: dict[str, Handler] = {
    FLOW + "Sequential": sequential,
    FLOW + "Parallel": parallel,
    FLOW + "If": if_,
    FLOW + "Switch": switch,
    FLOW + "ForEach": for_each,
    FLOW + "EachSequential": for_each,
    FLOW + "EachParallel": for_each,
    FLOW + "Dag": dag,
    FLOW + "AllowFailure": allow_failure,
    FLOW + "WorkingDirectory": working_directory,
    FLOW + "Pause": pause,
    FLOW + "Subflow": subflow,
}

"""A real Prefect in its own virtual environment, for the engine tests (`pytest -m prefect`).

The environment lives in `<repo>/.engines/prefect-<version>/` (gitignored) and is built, stamped,
locked and reused exactly like the Airflow one (`airflow_env.ensure_engine_venv`): one
`uv pip install --compile-bytecode prefect==3.8.8 'fastapi<0.140' -e <repo>`, then `uv pip check`.
`fastapi<0.140` is needed: with fastapi 0.165 Prefect 3.8.8's server fails to import
(`Body() got an unexpected keyword argument 'min_items'`), and prefect 3.9 does not install here.

`PrefectEnv` is one throwaway `PREFECT_HOME` (results stored under it) plus `run_flows(requests)`,
which runs flows *inside* that environment, all in ONE subprocess (`ENV_SCRIPT`, result as JSON in a
file, like the Airflow probe): it enters `prefect.testing.utilities.prefect_test_harness()` once
(which starts a temporary API server, uvicorn in a child process, on a fresh SQLite database), then
for each request imports the module from its file path (`spec_from_file_location`, a unique module
name, the file's folder put first on `sys.path`), finds the flow (attribute name, else flow name),
calls it with `return_state=True`, and reads the flow run and its task runs back through
`get_client()` (`read_flow_run`, `read_flow`, `read_task_runs` filtered by the flow run id). A flow
that raises (or a file that does not import) is reported in its result and the next one still runs.

What Prefect 3.8.8 does, and what the script does about it:

- Task results are not kept anywhere by default: a task run state read from the API has
  `data=None` and `state.result()` raises `MissingResult` ("result persistence is disabled"). The
  script sets `PREFECT_RESULTS_PERSIST_BY_DEFAULT=true` (results pickled to
  `PREFECT_LOCAL_STORAGE_PATH=<home>/storage`); the API state then carries a `ResultRecordMetadata`
  and `await state.aresult(raise_on_failure=False, retry_result_failure=False)` in the same
  process loads the value (for a failed task: the exception it raised; without
  `retry_result_failure=False` a missing record costs 10 reads 0.25 s apart).
- Persisting also makes the DEFAULT cache policy (inputs + task source + flow run id) bite: a
  second call of a task with the same inputs in the same flow run ends `Cached`, not `Completed`.
  The settings offer no fix: `PREFECT_TASKS_DISABLE_CACHING` / `..._DEFAULT_NO_CACHE` (NO_CACHE)
  leave the transaction without a key, so nothing is written although the state points at a
  storage key (reading it: "Path ... does not exist"); `PREFECT_TASKS_REFRESH_CACHE=true` never
  reads the cache but both runs share ONE storage key, so the first run reads the second's value.
  The script therefore replaces `prefect.tasks.DEFAULT`, the policy given to tasks that set no
  `cache_policy` / `cache_key_fn` / `result_storage_key`, by a key per task run id
  (`CacheKeyFnPolicy`): no cache hits, as without persistence, and one record per run. Tasks
  that choose their own policy keep it. Both are fixed when a task is *defined*, i.e. when the
  module is imported in the subprocess, after the patch.
- A task result that cannot be pickled is not persisted: the task ends `RolledBack` (type
  COMPLETED) instead of `Completed`, with a warning, and its result is missing (`result_error`).
  The flow goes on. A flow's own unpicklable return value only logs a warning.
- Task runs reach the database asynchronously: the client emits task-run state events over a
  websocket and the server's TaskRunRecorder service writes them. After each flow the script drains
  the client's `EventsWorker`, then reads the task runs until two reads 0.15 s apart agree (and,
  while any is not final, until they have not changed for 1 s; at most 10 s).
- Flow runs, on the other hand, are orchestrated through the API synchronously: the flow run's
  state is final when the call returns. The flow's return value comes from the returned state
  (`state.result(raise_on_failure=False)`), in memory.
- Task run names are `<task name>-<first 3 characters of the dynamic key>`, and inside a flow the
  dynamic key is a random UUID (`dynamic_key_for_task_run(stable=False)`): `TaskRunResult.task`
  strips that suffix back to the task's name; match task runs on it, never on `name`.
- Time: the server start is ~12 s on this 2-core VM, ~5 s importing the server and ~7.5 s
  creating the tables of the fresh SQLite database; a 2-task flow then takes ~0.2-0.5 s once
  flow-run heartbeats are off (`PREFECT_FLOWS_HEARTBEAT_FREQUENCY=None` in-process, it cannot be
  None from the environment: the heartbeat thread sleeps in 1 s steps and is joined when a sync
  flow ends, ~0.9 s per flow). Now and then a request fails with SQLite "database is locked" and
  the server answers 503; the client retries after ~2 s by itself, so some flows take ~2.5 s.
  The event persister service is off (nothing here reads stored events; its writes only
  compete for that lock).
- Telemetry: `DO_NOT_TRACK=1` (client) and `PREFECT_SERVER_ANALYTICS_ENABLED=false` (server
  heartbeat to prefect.io); the harness server runs with the UI off. The caller's own `PREFECT_*`
  variables (an API URL, a profile), `PYTHONPATH`, `PYTHONHOME` and `VIRTUAL_ENV` are not passed
  through.
- Semantics worth knowing when comparing with the runner: a flow's state follows its return value
  and what it raises, not its tasks: a `.submit()`ted task that fails, with a downstream future
  left `NotReady` (type PENDING), still ends a flow that returns normally `Completed`. The API
  records the parameters as passed plus the defaults, before type coercion (`{"n": "21"}` for
  `n: int`); a value that does not validate fails the flow run (`ParameterTypeError`) with no task
  run.
- Values travel as JSON: tuples come back as lists, non-string dict keys as strings, anything JSON
  cannot hold as its `repr()`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .airflow_env import (
    REPO,
    SKIP_ENV_VAR,
    EngineSetupError,
    _tail,
    ensure_engine_venv,
    venv_python,
)

__all__ = [
    "ENV_DIR",
    "PREFECT_SPECS",
    "PREFECT_VERSION",
    "SKIP_ENV_VAR",
    "EngineSetupError",
    "FlowRequest",
    "FlowRunResult",
    "PrefectCommandError",
    "PrefectEnv",
    "RequestLike",
    "TaskRunResult",
    "ensure_venv",
]

PREFECT_VERSION = "3.8.8"
# fastapi 0.140+ breaks Prefect 3.8.8's server (see the module docstring).
PREFECT_SPECS = (f"prefect=={PREFECT_VERSION}", "fastapi<0.140")
ENV_DIR = REPO / ".engines" / f"prefect-{PREFECT_VERSION}"

COMMAND_TIMEOUT = 900.0
SERVER_STARTUP_TIMEOUT = 180  # seconds; the harness's own default (30 s) is tight on 2 busy cores


class PrefectCommandError(RuntimeError):
    """The process running flows inside the Prefect environment failed without a result."""


def ensure_venv(env_dir: Path = ENV_DIR, repo: Path = REPO) -> tuple[Path, float | None]:
    """Create (or reuse) the Prefect environment; return its python and the install time."""
    return ensure_engine_venv(env_dir, PREFECT_SPECS, repo, label="Prefect")


# --------------------------------------------------------------------------------------------------
# requests and results


@dataclass(frozen=True)
class FlowRequest:
    """One flow to run: the Python file defining it, the flow (attribute or flow name), params."""

    path: Path
    flow: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


RequestLike = (
    FlowRequest | tuple[Path | str, str] | tuple[Path | str, str, Mapping[str, Any] | None]
)


def _as_request(req: RequestLike) -> FlowRequest:
    if isinstance(req, FlowRequest):
        return req
    path, flow, *rest = req
    params = rest[0] if rest and rest[0] is not None else {}
    return FlowRequest(Path(path), flow, params)


@dataclass
class TaskRunResult:
    id: str
    name: str  # task run name: "<task>-<3 characters>", unique in practice, random
    task: str  # the task's name (run name without its suffix): match on this
    state_type: str | None  # "COMPLETED", "FAILED", "PENDING", ...
    state_name: str | None  # "Completed", "Failed", "Cached", "NotReady", ...
    message: str | None = None
    result: Any = None  # the task's return value, JSON-decoded (None when missing)
    exception: str | None = None  # "ValueError: ..." when the state holds a raised exception
    result_error: str | None = None  # why the result could not be read (e.g. MissingResult)
    start_time: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskRunResult:
        return cls(**data)


@dataclass
class FlowRunResult:
    key: str  # the request's key in run_flows()
    flow_name: str | None = None
    flow_run_id: str | None = None
    flow_run_name: str | None = None
    state_type: str | None = None  # "COMPLETED", "FAILED", "CRASHED", ...; None: did not run
    state_name: str | None = None  # "Completed", "Failed", ...
    message: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # as recorded by the API
    task_runs: list[TaskRunResult] = field(default_factory=list)  # by start time
    result: Any = None  # the flow's return value, JSON-decoded
    exception: str | None = None  # "ValueError: ..." when the flow ended on an exception
    error: str | None = None  # the harness could not import/find/run/read the flow (traceback)
    seconds: float = 0.0  # the flow call plus reading its results back

    @property
    def state(self) -> str | None:
        return self.state_type

    @property
    def task_states(self) -> dict[str, list[str | None]]:
        """Task name -> the state names of its runs, sorted."""
        out: dict[str, list[str | None]] = {}
        for tr in self.task_runs:
            out.setdefault(tr.task, []).append(tr.state_name)
        return {k: sorted(v, key=str) for k, v in out.items()}

    def runs_of(self, task: str) -> list[TaskRunResult]:
        return [tr for tr in self.task_runs if tr.task == task]

    def task_run(self, task: str) -> TaskRunResult:
        """The one run of `task` (AssertionError when it ran zero or several times)."""
        runs = self.runs_of(task)
        assert len(runs) == 1, f"{task!r} ran {len(runs)} times in {self.key}: {runs}"
        return runs[0]

    def task_result(self, task: str) -> Any:
        return self.task_run(task).result

    def task_results(self, task: str) -> list[Any]:
        """Results of every run of `task`, in start order."""
        return [tr.result for tr in self.runs_of(task)]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlowRunResult:
        fields = dict(data)
        fields["task_runs"] = [TaskRunResult.from_json(t) for t in fields.get("task_runs", [])]
        return cls(**fields)


# --------------------------------------------------------------------------------------------------
# code run inside the Prefect environment:
# `python <script> <requests.json> <result.json> <server startup timeout>`

ENV_SCRIPT = r"""
import asyncio
import importlib.util
import inspect
import json
import sys
import time
import traceback
from pathlib import Path

T0 = time.perf_counter()
requests_path, result_path, startup_timeout = sys.argv[1:]
result = {"runs": [], "server_start_seconds": None, "harness_exit_seconds": None}


def emit():
    with open(result_path, "w") as fh:
        json.dump(result, fh, default=repr)


import prefect  # noqa: E402
import prefect.settings  # noqa: E402
import prefect.tasks  # noqa: E402
from prefect import Flow, get_client  # noqa: E402
from prefect.cache_policies import CacheKeyFnPolicy  # noqa: E402
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId  # noqa: E402
from prefect.events.worker import EventsWorker  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

result["prefect_version"] = prefect.__version__
# One persisted result per task run, never a cache hit (see the docstring of prefect_env.py).
prefect.tasks.DEFAULT = CacheKeyFnPolicy(cache_key_fn=lambda ctx, _: f"task-run-{ctx.task_run.id}")
result["process_import_seconds"] = time.perf_counter() - T0


def jsonable(value):
    try:
        return json.loads(json.dumps(value, default=repr))
    except Exception:
        return repr(value)


def describe(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def value_fields(value):
    if isinstance(value, BaseException):
        return {"result": None, "exception": describe(value)}
    return {"result": jsonable(value), "exception": None}


MODULES = {}


def load_module(path):
    path = str(Path(path).resolve())
    if path not in MODULES:
        name = f"kflow_prefect_flow_{len(MODULES)}_{Path(path).stem}"
        try:
            folder = str(Path(path).parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            MODULES[path] = module
        except BaseException:
            sys.modules.pop(name, None)
            MODULES[path] = f"importing {path} failed:\n{traceback.format_exc()}"
    module = MODULES[path]
    if isinstance(module, str):
        raise RuntimeError(module)
    return module


def find_flow(module, target):
    obj = getattr(module, target, None)
    if isinstance(obj, Flow):
        return obj
    flows = {v.name: v for v in vars(module).values() if isinstance(v, Flow)}
    if target in flows:
        return flows[target]
    raise LookupError(f"no flow {target!r} in {module.__file__}; flows there: {sorted(flows)}")


def task_name(tr):
    key = str(tr.dynamic_key or "")
    suffix = "-" + key[:3]
    if key and tr.name.endswith(suffix):
        return tr.name[: -len(suffix)]
    return tr.name


async def read_task_runs(client, flow_run_id):
    flt = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    start = last_change = time.perf_counter()
    previous = None
    while True:
        runs = await client.read_task_runs(flow_run_filter=flt)
        sig = sorted((str(t.id), t.state_type, t.state_name) for t in runs)
        now = time.perf_counter()
        if sig != previous:
            previous, last_change = sig, now
        elif all(t.state is not None and t.state.is_final() for t in runs):
            return runs
        elif now - last_change >= 1.0:
            return runs
        if now - start > 10:
            return runs
        await asyncio.sleep(0.15)


async def collect(flow_run_id):
    drained = EventsWorker.drain_all()
    if inspect.isawaitable(drained):
        await drained
    out = {}
    async with get_client() as client:
        fr = await client.read_flow_run(flow_run_id)
        out["flow_run_name"] = fr.name
        out["flow_name"] = (await client.read_flow(fr.flow_id)).name
        out["parameters"] = jsonable(fr.parameters)
        if fr.state is not None:
            out["state_type"] = fr.state.type.value
            out["state_name"] = fr.state.name
            out["message"] = fr.state.message
        task_runs = []
        runs = await read_task_runs(client, flow_run_id)
        runs.sort(key=lambda t: (str(t.start_time or t.expected_start_time or ""), t.name))
        for tr in runs:
            item = {
                "id": str(tr.id),
                "name": tr.name,
                "task": task_name(tr),
                "state_type": None if tr.state is None else tr.state.type.value,
                "state_name": None if tr.state is None else tr.state.name,
                "message": None if tr.state is None else tr.state.message,
                "start_time": None if tr.start_time is None else str(tr.start_time),
            }
            if tr.state is not None and tr.state.is_final():
                try:
                    value = await tr.state.aresult(
                        raise_on_failure=False, retry_result_failure=False
                    )
                    item.update(value_fields(value))
                except Exception as exc:
                    item["result_error"] = describe(exc)
            task_runs.append(item)
        out["task_runs"] = task_runs
    return out


def run_one(key, path, target, params):
    out = {"key": key}
    flow = find_flow(load_module(path), target)
    out["flow_name"] = flow.name
    state = flow(**params, return_state=True)
    if inspect.isawaitable(state):  # an async flow
        state = asyncio.run(state)
    out["state_type"] = state.type.value
    out["state_name"] = state.name
    out["message"] = state.message
    out.update(value_fields(state.result(raise_on_failure=False)))
    flow_run_id = state.state_details.flow_run_id
    if flow_run_id is None:
        out["error"] = "the returned state has no flow run id: nothing to read from the API"
        return out
    out["flow_run_id"] = str(flow_run_id)
    try:
        out.update(asyncio.run(collect(flow_run_id)))
    except BaseException:
        out["error"] = f"reading the flow run back failed:\n{traceback.format_exc()}"
    return out


with open(requests_path) as fh:
    requests = json.load(fh)  # [[key, file, flow, params], ...]
t = time.perf_counter()
# No flow-run heartbeats: their thread sleeps in 1 s steps and is joined when a sync flow ends,
# which added ~0.9 s to every flow (the setting cannot be None from the environment).
no_heartbeats = prefect.settings.temporary_settings(
    updates={prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
)
with no_heartbeats, prefect_test_harness(server_startup_timeout=int(startup_timeout)):
    result["server_start_seconds"] = time.perf_counter() - t
    emit()
    for key, path, target, params in requests:
        t = time.perf_counter()
        try:
            out = run_one(key, path, target, params)
        except BaseException:
            out = {"key": key, "error": traceback.format_exc()}
        out["seconds"] = time.perf_counter() - t
        result["runs"].append(out)
        emit()  # after each flow, so a crash later keeps what ran
    t = time.perf_counter()
result["harness_exit_seconds"] = time.perf_counter() - t
emit()
"""


# --------------------------------------------------------------------------------------------------
# one PREFECT_HOME


class PrefectEnv:
    """A throwaway PREFECT_HOME on the Prefect virtual environment at `env_dir`."""

    def __init__(self, env_dir: Path, home: Path) -> None:
        self.env_dir = env_dir
        self.python = venv_python(env_dir)
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.prefect_home = home / "prefect-home"
        (home / "tmp").mkdir(exist_ok=True)
        self.script = home / "kflow_prefect_probe.py"
        self.script.write_text(ENV_SCRIPT)
        self.timings: dict[str, float] = {}  # seconds, for reports and docs
        # Extra variables for every run (e.g. PREFECT_LOGGING_LEVEL); the caller's own PREFECT_*
        # variables are never passed through.
        self.extra_env: dict[str, str] = {}
        self._calls = 0

    @classmethod
    def create(cls, home: Path, env_dir: Path = ENV_DIR, repo: Path = REPO) -> PrefectEnv:
        """Ensure the virtual environment; the home is used from the first `run_flows` on."""
        _, install_seconds = ensure_venv(env_dir, repo)
        env = cls(env_dir, home)
        if install_seconds is not None:
            env.timings["install"] = install_seconds
        return env

    def environ(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PREFECT")
            and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DO_NOT_TRACK")
        }
        env.update(
            VIRTUAL_ENV=str(self.env_dir),
            PATH=f"{self.env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            PREFECT_HOME=str(self.prefect_home),
            TMPDIR=str(self.home / "tmp"),  # the harness's database goes to a mkdtemp()
            PREFECT_LOCAL_STORAGE_PATH=str(self.prefect_home / "storage"),
            PREFECT_RESULTS_PERSIST_BY_DEFAULT="true",
            # no telemetry: client side, server heartbeat, resource metrics
            DO_NOT_TRACK="1",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS="false",
            PREFECT_SERVER_UI_ENABLED="false",
            # nothing reads the events table; its writes only compete for the SQLite lock
            PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED="false",
        )
        env.update(self.extra_env)
        return env

    def run_flows(
        self,
        requests: Iterable[RequestLike] | Mapping[str, RequestLike],
        *,
        timeout: float = COMMAND_TIMEOUT,
    ) -> dict[str, FlowRunResult]:
        """Run flows one after another in ONE process and ONE temporary Prefect server.

        `requests`: (file, flow, parameters) tuples or `FlowRequest`s, keyed by the flow (attribute
        or flow name), or a mapping key -> request when one flow runs more than once. A flow that
        raises is reported in its result and the next one still runs.
        """
        if isinstance(requests, Mapping):
            items = [(key, _as_request(req)) for key, req in requests.items()]
        else:
            items = [(req.flow, req) for req in map(_as_request, requests)]
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate request keys {keys}: pass a mapping key -> request")
        payload = [
            [key, str(req.path.resolve()), req.flow, dict(req.parameters)] for key, req in items
        ]
        self._calls += 1
        requests_path = self.home / f"requests-{self._calls}.json"
        result_path = self.home / f"result-{self._calls}.json"
        requests_path.write_text(json.dumps(payload))
        start = time.perf_counter()
        returncode, output, timed_out = self._run_probe(requests_path, result_path, timeout)
        self.timings["run_flows_process"] = time.perf_counter() - start
        (self.home / f"output-{self._calls}.log").write_text(output)
        if not result_path.exists():
            raise PrefectCommandError(
                ("timed out" if timed_out else f"no result (exit {returncode})")
                + f"\n{_tail(output, 80)}"
            )
        data: dict[str, Any] = json.loads(result_path.read_text())
        for name, key in (
            ("prefect_import", "process_import_seconds"),
            ("server_start", "server_start_seconds"),
            ("harness_exit", "harness_exit_seconds"),
        ):
            if data.get(key) is not None:
                self.timings[name] = data[key]
        results = {r["key"]: FlowRunResult.from_json(r) for r in data["runs"]}
        self.timings["flows"] = sum(r.seconds for r in results.values())
        if timed_out:
            why = f"run_flows timed out after {timeout:.0f} s"
        elif data.get("server_start_seconds") is None:
            why = "the Prefect test server did not start"
        else:
            why = f"the process died before it (exit {returncode})"
        for key in keys:
            if key not in results:
                results[key] = FlowRunResult(key=key, error=f"not run: {why}\n{_tail(output, 80)}")
        return results

    def _run_probe(
        self, requests_path: Path, result_path: Path, timeout: float
    ) -> tuple[int | None, str, bool]:
        """Run ENV_SCRIPT in its own process group; return (exit code, output, timed out).

        The group is killed at the end, so a server left behind (the probe killed on timeout,
        or dead before the harness stopped it) does not outlive the call.
        """
        cmd = [self.python, self.script, requests_path, result_path, SERVER_STARTUP_TIMEOUT]
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            env=self.environ(),
            cwd=self.home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        timed_out = False
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            output, _ = proc.communicate()
        finally:
            _kill_group(proc.pid)
        return proc.returncode, output or "", timed_out


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)

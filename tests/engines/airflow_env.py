"""A real Airflow in its own virtual environment, for the engine tests (`pytest -m airflow`).

The environment lives in `<repo>/.engines/airflow-<version>/` (gitignored). `ensure_venv()`
creates it with `uv venv` + `uv pip install --compile-bytecode apache-airflow==<version> -e <repo>`
(Airflow and the local kflow resolved together, so a conflict fails the install), checks it with
`uv pip check`, and writes a stamp file; a later session whose stamp matches (Airflow spec, Python
version, hash of kflow's `pyproject.toml`) reuses it. A file lock keeps two sessions from building
it at once.

`AirflowEnv` is one throwaway `AIRFLOW_HOME` (SQLite metadata DB, `airflow db migrate` once) plus
helpers that run code *inside* that environment, always in a subprocess:

- `dagbag(dags_dir)` / `dagbag_errors(dags_dir)`: parse a folder in one `DagBag`, report import
  errors;
- `run_dags(dags_dir, dag_ids)`: serialize the folder's DAGs to the metadata DB, then run each
  listed DAG with `dag.test()` in ONE process, and return final states, task states and XComs;
- `run_dag_cli(dags_dir, dag_id)`: the same for one DAG through `airflow dags test` (slower: one
  Airflow process start for the run plus one for reading the results).

See docs/engines.md for the timings and the reasons behind each step.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AIRFLOW_VERSION = "3.3.2"
AIRFLOW_SPEC = f"apache-airflow=={AIRFLOW_VERSION}"
REPO = Path(__file__).resolve().parents[2]
ENV_DIR = REPO / ".engines" / f"airflow-{AIRFLOW_VERSION}"
STAMP_NAME = ".kflow-engine-stamp"
SKIP_ENV_VAR = "KFLOW_SKIP_ENGINES"

INSTALL_TIMEOUT = 1200.0
COMMAND_TIMEOUT = 600.0


class EngineSetupError(RuntimeError):
    """An engine's environment (Airflow's, Prefect's) could not be created or initialised."""


class AirflowCommandError(RuntimeError):
    """A command run inside the Airflow environment failed."""


# --------------------------------------------------------------------------------------------------
# the virtual environment


def uv_command() -> list[str]:
    """`uv` if on PATH, else `python3 -m uv`; EngineSetupError when neither works."""
    exe = shutil.which("uv")
    if exe:
        return [exe]
    for python in (sys.executable, shutil.which("python3")):
        if python and _quiet_ok([python, "-m", "uv", "--version"]):
            return [python, "-m", "uv"]
    raise EngineSetupError(
        "uv is needed to create the engine test environments: neither `uv` on PATH nor "
        "`python3 -m uv` works (install it with `pip install uv`)"
    )


def _quiet_ok(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def stamp_text(repo: Path = REPO, specs: Sequence[str] = (AIRFLOW_SPEC,)) -> str:
    """What a reusable environment must have been built from."""
    pyproject = hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest()[:16]
    python = ".".join(map(str, sys.version_info[:3]))
    return f"{' '.join(specs)}\npython {python}\nkflow -e {repo} pyproject {pyproject}\n"


def venv_python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_venv(env_dir: Path = ENV_DIR, repo: Path = REPO) -> tuple[Path, float | None]:
    """Create (or reuse) the Airflow environment; return its python and the install time."""
    return ensure_engine_venv(env_dir, (AIRFLOW_SPEC,), repo, label="Airflow")


def ensure_engine_venv(
    env_dir: Path, specs: Sequence[str], repo: Path = REPO, *, label: str, kflow: bool = True
) -> tuple[Path, float | None]:
    """Create (or reuse) a virtual environment with `specs` and kflow (editable) resolved together
    (without kflow when `kflow` is false: an engine as a user's workers have it).

    Returns its python and the install time in seconds (None: an environment with the same stamp
    was reused). `label` names the engine in error messages.
    """
    stamp = env_dir / STAMP_NAME
    want = stamp_text(repo, specs) + ("" if kflow else "without kflow\n")
    with _file_lock(env_dir.parent / f"{env_dir.name}.lock"):
        python = venv_python(env_dir)
        if python.exists() and stamp.exists() and stamp.read_text() == want:
            return python, None
        start = time.perf_counter()
        uv = uv_command()
        if env_dir.exists():
            shutil.rmtree(env_dir)
        steps = [
            ("create the virtual environment", [*uv, "venv", "--python", sys.executable, env_dir]),
            (
                f"install {' '.join(specs)} and kflow",
                [
                    *uv,
                    "pip",
                    "install",
                    "--python",
                    python,
                    "--compile-bytecode",
                    *specs,
                    *(["-e", repo] if kflow else []),
                ],
            ),
            ("check installed requirements", [*uv, "pip", "check", "--python", python]),
        ]
        for what, cmd in steps:
            _setup_step(what, [str(c) for c in cmd], env_dir, label)
        stamp.write_text(want)
        return python, time.perf_counter() - start


def _setup_step(what: str, cmd: list[str], env_dir: Path, label: str = "Airflow") -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise EngineSetupError(
            f"{label} test environment: could not {what} within {INSTALL_TIMEOUT:.0f} s "
            f"({' '.join(cmd)}). Set {SKIP_ENV_VAR}=1 to skip the engine tests."
        ) from exc
    if proc.returncode != 0:
        out = _tail(proc.stdout + proc.stderr, 60)
        raise EngineSetupError(
            f"{label} test environment in {env_dir}: could not {what} "
            f"(exit {proc.returncode}): {' '.join(cmd)}\n{out}\n"
            f"No network or no package index? Set {SKIP_ENV_VAR}=1 to skip the engine tests."
        )


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------------------------------
# results


@dataclass
class DagBagReport:
    dag_ids: list[str]
    errors: dict[str, str]  # absolute file path -> error text (traceback)
    seconds: float  # DagBag fill time inside the process (Airflow import excluded)


@dataclass
class TaskInstanceResult:
    task_id: str
    map_index: int
    state: str | None
    try_number: int

    @property
    def key(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str | None
    state: str | None  # "success", "failed", ... ; None when the run did not start
    task_instances: list[TaskInstanceResult] = field(default_factory=list)
    # task key ("id" or "id[map_index]") -> XCom key -> value (JSON-decoded)
    xcoms: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None  # exception raised by the run itself (not task failures)
    seconds: float = 0.0

    @property
    def task_states(self) -> dict[str, str | None]:
        return {ti.key: ti.state for ti in self.task_instances}

    def xcom(self, task: str, key: str = "return_value") -> Any:
        return self.xcoms[task][key]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DagRunResult:
        return cls(
            dag_id=data["dag_id"],
            run_id=data.get("run_id"),
            state=data.get("state"),
            task_instances=[TaskInstanceResult(**ti) for ti in data.get("task_instances", [])],
            xcoms=data.get("xcoms", {}),
            error=data.get("error"),
            seconds=data.get("seconds", 0.0),
        )


# --------------------------------------------------------------------------------------------------
# code run inside the Airflow environment: `python <script> <mode> <result.json> [args]`

ENV_SCRIPT = r"""
import json
import os
import sys
import time
import traceback

T0 = time.perf_counter()
mode, result_path, *args = sys.argv[1:]


def emit(result):
    result["process_import_seconds"] = T_IMPORT
    with open(result_path, "w") as fh:
        json.dump(result, fh, default=repr)


def collect(dag_id, run_id, session):
    from sqlalchemy import select

    from airflow.models import DagRun, TaskInstance
    from airflow.models.xcom import XComModel

    if run_id is None:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
        ).first()
        if run is None:
            return {"dag_id": dag_id, "run_id": None, "state": None, "error": "no DAG run found"}
        run_id = run.run_id
    else:
        run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        ).one()
    tis = session.scalars(
        select(TaskInstance)
        .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
        .order_by(TaskInstance.task_id, TaskInstance.map_index)
    ).all()
    xcoms = {}
    rows = session.scalars(
        select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id)
    ).all()
    for x in rows:
        task = x.task_id if x.map_index < 0 else f"{x.task_id}[{x.map_index}]"
        xcoms.setdefault(task, {})[x.key] = XComModel.deserialize_value(x)
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "state": None if run.state is None else str(run.state),
        "task_instances": [
            {
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "state": None if ti.state is None else str(ti.state),
                "try_number": ti.try_number,
            }
            for ti in tis
        ],
        "xcoms": xcoms,
    }


if mode == "dagbag":
    from airflow.dag_processing.dagbag import DagBag

    T_IMPORT = time.perf_counter() - T0
    t = time.perf_counter()
    bag = DagBag(dag_folder=args[0])
    emit(
        {
            "dag_ids": sorted(bag.dags),
            "errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "seconds": time.perf_counter() - t,
        }
    )

elif mode == "run":
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    T_IMPORT = time.perf_counter() - T0
    requests = json.loads(args[0])  # [[dag_id, conf or null], ...]
    t = time.perf_counter()
    # What `airflow dags reserialize` does: dag.test() needs the DAG serialized in the metadata DB.
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    dags, errors = {}, {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
        dags.update(bag.dags)
        errors.update({str(k): str(v) for k, v in bag.import_errors.items()})
    result = {"serialize_seconds": time.perf_counter() - t, "errors": errors, "runs": []}
    emit(result)
    for dag_id, conf in requests:
        t = time.perf_counter()
        if dag_id not in dags:
            out = {"dag_id": dag_id, "run_id": None, "state": None,
                   "error": f"DAG {dag_id!r} not found; import errors: {sorted(errors)}"}
        else:
            try:
                # dag.test(), plus the runs its Subflows trigger (kflow is installed here).
                from kflow.targets.airflow_local import test_with_children

                dags_folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
                run = test_with_children(dags[dag_id], conf, None, dags_folder)
                with create_session() as session:
                    out = collect(dag_id, run.run_id, session)
            except BaseException:
                out = {"dag_id": dag_id, "run_id": None, "state": None,
                       "error": traceback.format_exc()}
        out["seconds"] = time.perf_counter() - t
        result["runs"].append(out)
        emit(result)  # after each run, so a crash later keeps what ran

elif mode == "results":
    from airflow.utils.session import create_session

    T_IMPORT = time.perf_counter() - T0
    with create_session() as session:
        emit(collect(args[0], None, session))

else:
    raise SystemExit(f"unknown mode {mode!r}")
"""


# --------------------------------------------------------------------------------------------------
# one AIRFLOW_HOME


class AirflowEnv:
    """A throwaway AIRFLOW_HOME on the Airflow virtual environment at `env_dir`."""

    def __init__(self, env_dir: Path, home: Path) -> None:
        self.env_dir = env_dir
        self.python = venv_python(env_dir)
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.script = home / "kflow_airflow_probe.py"
        self.script.write_text(ENV_SCRIPT)
        self.timings: dict[str, float] = {}  # seconds, for reports and docs/engines.md
        # Extra variables for every command (e.g. AIRFLOW__LOGGING__LOGGING_LEVEL); the caller's own
        # AIRFLOW* variables are never passed through.
        self.extra_env: dict[str, str] = {}
        self._calls = 0

    @classmethod
    def create(
        cls, home: Path, env_dir: Path = ENV_DIR, repo: Path = REPO, kflow: bool = True
    ) -> AirflowEnv:
        """Ensure the virtual environment (with kflow installed, or not), then `airflow db
        migrate` a fresh home."""
        if kflow:
            _, install_seconds = ensure_venv(env_dir, repo)
        else:
            _, install_seconds = ensure_engine_venv(
                env_dir, [AIRFLOW_SPEC], repo, label="Airflow", kflow=False
            )
        env = cls(env_dir, home)
        if install_seconds is not None:
            env.timings["install"] = install_seconds
        start = time.perf_counter()
        try:
            env.airflow("db", "migrate")
        except AirflowCommandError as exc:
            raise EngineSetupError(f"`airflow db migrate` failed in {home}:\n{exc}") from exc
        env.timings["db_migrate"] = time.perf_counter() - start
        return env

    # -- running things -------------------------------------------------------------------------

    def environ(self, dags_dir: Path | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AIRFLOW") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
        }
        env.update(
            VIRTUAL_ENV=str(self.env_dir),
            PATH=f"{self.env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_FOLDER=str(dags_dir or self.home / "dags"),
        )
        env.update(self.extra_env)
        return env

    def run(
        self,
        cmd: Iterable[str | Path],
        *,
        dags_dir: Path | None = None,
        timeout: float = COMMAND_TIMEOUT,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with the environment's PATH and this AIRFLOW_HOME."""
        args = [str(c) for c in cmd]
        proc = subprocess.run(
            args,
            env=self.environ(dags_dir),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AirflowCommandError(
                f"exit {proc.returncode}: {' '.join(args)}\n{_tail(proc.stdout + proc.stderr, 80)}"
            )
        return proc

    def airflow(
        self, *args: str, dags_dir: Path | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            [self.env_dir / "bin" / "airflow", *args], dags_dir=dags_dir, timeout=timeout
        )

    def _probe(
        self, mode: str, *args: str, dags_dir: Path | None, timeout: float = COMMAND_TIMEOUT
    ) -> dict[str, Any]:
        self._calls += 1
        result_path = self.home / f"result-{self._calls}.json"
        proc = self.run(
            [self.python, self.script, mode, result_path, *args],
            dags_dir=dags_dir,
            timeout=timeout,
            check=False,
        )
        if not result_path.exists():
            raise AirflowCommandError(
                f"{mode}: no result (exit {proc.returncode})\n"
                + _tail(proc.stdout + proc.stderr, 80)
            )
        data: dict[str, Any] = json.loads(result_path.read_text())
        if proc.returncode != 0:
            data["process_error"] = _tail(proc.stdout + proc.stderr, 80)
        return data

    # -- DAG folders ----------------------------------------------------------------------------

    def dagbag(self, dags_dir: Path) -> DagBagReport:
        """Parse every DAG file of `dags_dir` in one DagBag, in one process."""
        dags_dir = dags_dir.resolve()
        start = time.perf_counter()
        data = self._probe("dagbag", str(dags_dir), dags_dir=dags_dir)
        self.timings["dagbag_process"] = time.perf_counter() - start
        self.timings["dagbag_fill"] = data["seconds"]
        errors = {str(dags_dir / path): err for path, err in data["errors"].items()}
        return DagBagReport(dag_ids=data["dag_ids"], errors=errors, seconds=data["seconds"])

    def dagbag_errors(self, dags_dir: Path) -> dict[str, str]:
        """Import errors of the DAG files in `dags_dir`: absolute path -> error text."""
        return self.dagbag(dags_dir).errors

    def run_dags(
        self,
        dags_dir: Path,
        dag_ids: Iterable[str] | Mapping[str, Mapping[str, Any] | None],
        *,
        timeout: float = COMMAND_TIMEOUT,
    ) -> dict[str, DagRunResult]:
        """Serialize `dags_dir`, then run each DAG with `dag.test()`, all in one process.

        `dag_ids` may map each id to its run conf (the DAG's params). DAGs run one after another;
        a run that raises is reported in its `error` and the next one still runs.
        """
        dags_dir = dags_dir.resolve()
        if isinstance(dag_ids, Mapping):
            requests: list[tuple[str, dict[str, Any] | None]] = [
                (d, None if c is None else dict(c)) for d, c in dag_ids.items()
            ]
        else:
            requests = [(d, None) for d in dag_ids]
        start = time.perf_counter()
        data = self._probe("run", json.dumps(requests), dags_dir=dags_dir, timeout=timeout)
        self.timings["run_dags_process"] = time.perf_counter() - start
        self.timings["run_dags_serialize"] = data["serialize_seconds"]
        results = {r["dag_id"]: DagRunResult.from_json(r) for r in data["runs"]}
        for dag_id, _ in requests:
            if dag_id not in results:
                results[dag_id] = DagRunResult(
                    dag_id=dag_id,
                    run_id=None,
                    state=None,
                    error="not run: the process died before it\n" + data.get("process_error", ""),
                )
        return results

    def run_dag_cli(
        self, dags_dir: Path, dag_id: str, conf: Mapping[str, Any] | None = None
    ) -> DagRunResult:
        """Run one DAG with `airflow dags test`, then read its results in a second process."""
        dags_dir = dags_dir.resolve()
        start = time.perf_counter()
        args = ["dags", "test", dag_id]
        if conf is not None:
            args += ["--conf", json.dumps(dict(conf))]
        proc = self.run([self.env_dir / "bin" / "airflow", *args], dags_dir=dags_dir, check=False)
        self.timings["dags_test_process"] = time.perf_counter() - start
        data = self._probe("results", dag_id, dags_dir=dags_dir)
        result = DagRunResult.from_json(data)
        if proc.returncode != 0 and result.state != "failed":
            result.error = _tail(proc.stdout + proc.stderr, 80)
        result.seconds = time.perf_counter() - start
        return result

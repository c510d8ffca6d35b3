"""The script tasks: `python.Script`, `python.Commands`, `shell.Script`, `shell.Commands`.

Each runs as a local process, as Kestra's `Process` task runner does:

- Working directory: the WorkingDirectory's (`ctx.workdir`), else a new temporary one, removed
  afterwards. Templates also see `workingDir` (and `outputDir`); the process gets `WORKING_DIR`
  (and `OUTPUT_DIR`) in its environment, which is kflow's with `env` over it.
- `inputFiles` (a mapping, or a JSON object as text): name → text, or a `kestra://` URI whose file
  is copied in. A `kestra://` URI written in the script or the commands is replaced by the path of
  a local copy of that file.
- The process is `interpreter` (default `/bin/sh -c`) given one text: `set -e` when `failFast`,
  then `beforeCommands`, then the commands (Commands), the script (shell.Script), or
  `python <script file>` (python.Script, the script written into the working directory).
- Python: `python` is the interpreter kflow runs in, or, with `dependencies`, the one of a cached
  environment holding them (`pyenv`); it comes first on PATH (with `python3`, `pip`, `pip3`).
- stdout lines are logged at INFO, stderr lines at ERROR (Kestra 0.21). A line
  `::{"outputs": {...}}::` adds to the output `vars`; `::{"logs": [{"level", "message"}]}::`
  logs; `::{"metrics": [...]}::` is accepted and logged at DEBUG (kflow keeps no metrics).
- Exit code 0 → outputs `vars`, `exitCode`, `outputFiles` ({relative path: URI} of the files
  matching the `outputFiles` globs, and of every file in `outputDir` when `outputDirectory`).
  With `warningOnStdErr` (default true) a task that wrote to stderr ends in WARNING. Another exit
  code fails: "Command failed with exit code N" and the last stderr lines.
- A stopped task (its timeout) has its whole process group terminated, then killed.
- Containers: there is no container engine here. A `containerImage` (or `docker.image`), a
  `taskRunner` other than Process, or `runner: DOCKER` is reported with a WARN log and the task
  runs locally; `KFLOW_CONTAINERS=error` makes it a failure instead. `targetOS` is ignored.
- `namespaceFiles` (enabled) fails: kflow has no namespace files yet.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from kflow.runtime_shims.context import TaskContext, TaskWarning
from kflow.runtime_shims.storage import StorageError
from kflow.runtime_shims.tasks import pyenv
from kflow.runtime_shims.tasks._common import LEVELS, as_text, failure, flag, label
from kflow.runtime_shims.tasks.files import matching, write_files

_OUTPUT_LINE = re.compile(r"^::(\{.*\})::$")
_STORAGE_URI = re.compile(r"kestra://[-\w.+~#=/%]*")
# the Process task runner, under its current and its older name
_PROCESS_RUNNERS = (
    "io.kestra.plugin.core.runner.Process",
    "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner",
)
_STDERR_TAIL = 5  # stderr lines a failure message repeats
_KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL of a stopped task's processes


def python_script(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """python.Script: run `script` with Python."""
    return _run(ctx, props, python=True, inline=True)


def python_commands(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """python.Commands: run `commands` with the task's Python first on PATH."""
    return _run(ctx, props, python=True, inline=False)


def shell_script(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """shell.Script: run `script` with the interpreter."""
    return _run(ctx, props, python=False, inline=True)


def shell_commands(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """shell.Commands: run `commands` with the interpreter."""
    return _run(ctx, props, python=False, inline=False)


# -- one run --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Run:
    """A task run's directories, template variables and the temporary files it made."""

    ctx: TaskContext
    root: Path  # the working directory
    scratch: Path  # outside the working directory: PATH wrappers, uncached environments
    variables: dict[str, Any]
    own_root: bool = False  # a temporary working directory, removed afterwards
    python: str = sys.executable  # what `python` runs (Python tasks)
    temporary: list[Path] = field(default_factory=list)  # removed before outputs are collected

    def render(self, value: Any) -> Any:
        return self.ctx.renderer(value, self.variables)

    def texts(
        self, props: Mapping[str, Any], name: str, default: list[str] | None = None
    ) -> list[str]:
        """A list-of-text property, rendered (a JSON array as text is accepted too)."""
        value = props.get(name)
        if value is None:
            return list(default or [])
        value = self.render(value)
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip().startswith("[") else [value]
            except json.JSONDecodeError:
                value = [value]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            raise failure(self.ctx, f"'{name}' must be a list of texts")
        return [as_text(v) for v in value]

    def clean(self) -> None:
        """Remove the temporary files and directories of the run."""
        for path in self.temporary:
            path.unlink(missing_ok=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def temp_file(self, suffix: str) -> Path:
        path = self.root / f"_kflow_{uuid.uuid4().hex[:12]}{suffix}"
        self.temporary.append(path)
        return path


_LIVE: set[_Run] = set()  # runs not cleaned yet


def _run(
    ctx: TaskContext, props: Mapping[str, Any], *, python: bool, inline: bool
) -> dict[str, Any]:
    _check_runner(ctx, props)
    _check_namespace_files(ctx, props)
    if ctx.workdir is None:
        root, own = Path(tempfile.mkdtemp(prefix=f"kflow-{ctx.task_id}-")), True
    else:
        root, own = ctx.workdir, False
    root = root.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="kflow-run-"))
    run = _Run(ctx, root, scratch, {**ctx.variables, "workingDir": str(root)}, own_root=own)
    _LIVE.add(run)
    try:
        return _execute(run, props, python=python, inline=inline)
    finally:
        run.clean()
        _LIVE.discard(run)


@atexit.register
def _clean_live_runs() -> None:
    # A task stopped by its timeout goes on in a daemon thread that may not reach its cleanup
    # before the runner exits.
    for run in list(_LIVE):
        run.clean()


def _execute(run: _Run, props: Mapping[str, Any], *, python: bool, inline: bool) -> dict[str, Any]:
    ctx = run.ctx
    output_dir = None
    if flag(ctx, props, "outputDirectory", False):
        output_dir = run.root / uuid.uuid4().hex[:22]
        output_dir.mkdir()
        run.variables["outputDir"] = str(output_dir)
    _write_input_files(run, props.get("inputFiles"))
    env = _environment(run, props, output_dir, python)
    body = ["set -e"] if flag(ctx, props, "failFast", True) else []
    body += [_local_uris(run, c) for c in run.texts(props, "beforeCommands")]
    if inline:
        script = props.get("script")
        if script is None:
            raise failure(ctx, "property 'script' is required")
        source = _local_uris(run, as_text(run.render(script)))
        if python:
            path = run.temp_file(".py")
            path.write_text(source, encoding="utf-8")
            body.append(f"{shlex.quote(run.python)} {shlex.quote(str(path))}")
        else:
            body.append(source)
    else:
        if props.get("commands") is None:
            raise failure(ctx, "property 'commands' is required")
        body += [_local_uris(run, c) for c in run.texts(props, "commands")]
    interpreter = run.texts(props, "interpreter", ["/bin/sh", "-c"])
    if not interpreter:
        raise failure(ctx, "'interpreter' must not be empty")
    result = _Process(ctx).run([*interpreter, "\n".join(body)], run.root, env)
    for path in run.temporary:
        path.unlink(missing_ok=True)
    if ctx.cancelled.is_set():
        raise failure(ctx, "stopped: the process was killed")
    if result.code != 0:
        raise failure(ctx, _exit_message(result))
    outputs = {
        "vars": result.vars,
        "exitCode": result.code,
        "outputFiles": _store_output_files(run, props, output_dir),
    }
    if result.stderr_lines and flag(ctx, props, "warningOnStdErr", True):
        lines = f"{result.stderr_lines} line{'s' if result.stderr_lines > 1 else ''}"
        raise TaskWarning(f"{label(ctx)}: {lines} written to stderr (warningOnStdErr)", outputs)
    return outputs


def _exit_message(result: _Result) -> str:
    if result.code < 0:
        message = f"Command was killed by signal {-result.code}"
    else:
        message = f"Command failed with exit code {result.code}"
    if result.stderr_tail:
        message += "\n" + "\n".join(result.stderr_tail)
    return message


# -- runner, files and environment ---------------------------------------------------------------


def _check_runner(ctx: TaskContext, props: Mapping[str, Any]) -> None:
    """A container image or runner: a WARN and a local run, or a failure with
    KFLOW_CONTAINERS=error."""
    runner = props.get("taskRunner")
    runner_type = runner.get("type") if isinstance(runner, Mapping) else None
    docker = props.get("docker")
    image = props.get("containerImage") or (
        docker.get("image") if isinstance(docker, Mapping) else None
    )
    if runner_type in _PROCESS_RUNNERS or (
        runner_type is None and props.get("runner") == "PROCESS"
    ):
        return
    if runner_type is not None:
        what = f"task runner {runner_type}"
    elif props.get("runner") == "DOCKER":
        what = "runner DOCKER"
    elif image is not None:
        what = f"container image {as_text(ctx.render(image))}"
    else:
        return
    mode = os.environ.get("KFLOW_CONTAINERS", "warn").strip().lower() or "warn"
    if mode not in ("warn", "error"):
        raise failure(ctx, f"KFLOW_CONTAINERS must be 'warn' or 'error', not {mode!r}")
    if mode == "error":
        raise failure(ctx, f"{what}: kflow runs no containers (KFLOW_CONTAINERS=error)")
    ctx.log("WARN", f"{what} ignored: kflow runs no containers; running as a local process")


def _check_namespace_files(ctx: TaskContext, props: Mapping[str, Any]) -> None:
    spec = props.get("namespaceFiles")
    if spec is None:
        return
    enabled = flag(ctx, spec, "enabled", True) if isinstance(spec, Mapping) else True
    if enabled:
        raise failure(ctx, "namespaceFiles are not supported by kflow yet; use inputFiles")


def _write_input_files(run: _Run, raw: Any) -> None:
    """`inputFiles` written into the working directory (a `kestra://` value is copied)."""
    if raw is not None:
        write_files(run.ctx, run.render(raw), run.root)


def _storage_file(ctx: TaskContext, uri: str, what: str) -> Path:
    try:
        return ctx.storage.path(uri)
    except StorageError:
        raise failure(ctx, f"{what} ({uri}): no such file in storage") from None


def _local_uris(run: _Run, command: str) -> str:
    """`command` with each `kestra://` URI replaced by the path of a local copy of its file."""

    def local(match: re.Match[str]) -> str:
        uri = match.group(0)
        source = _storage_file(run.ctx, uri, "file")
        copy = run.temp_file(PurePosixPath(uri).suffix)
        shutil.copyfile(source, copy)
        return str(copy)

    return _STORAGE_URI.sub(local, command)


def _store_output_files(
    run: _Run, props: Mapping[str, Any], output_dir: Path | None
) -> dict[str, str]:
    ctx = run.ctx
    found: dict[str, str] = {}
    if output_dir is not None:
        for path in sorted(p for p in output_dir.rglob("*") if p.is_file()):
            relative = path.relative_to(output_dir).as_posix()
            found[relative] = ctx.storage.put(ctx.storage_key(relative), path)
    patterns = run.texts(props, "outputFiles")
    for pattern in patterns:
        if pattern.startswith(("/", "..")):
            raise failure(ctx, f"outputFiles {pattern!r}: only paths inside the working directory")
    for relative in matching(run.root, patterns):
        found[relative] = ctx.storage.put(ctx.storage_key(relative), run.root / relative)
    return found


def _environment(
    run: _Run, props: Mapping[str, Any], output_dir: Path | None, python: bool
) -> dict[str, str]:
    ctx = run.ctx
    env = dict(os.environ)
    if python:
        env.update(
            PYTHONUNBUFFERED="true",
            PIP_ROOT_USER_ACTION="ignore",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
    given = run.render(props.get("env") or {})
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except json.JSONDecodeError:
            given = None
    if not isinstance(given, dict):
        raise failure(ctx, "'env' must be a mapping of names to values")
    env.update({as_text(k): as_text(v) for k, v in given.items()})
    env["WORKING_DIR"] = str(run.root)
    if output_dir is not None:
        env["OUTPUT_DIR"] = str(output_dir)
    if python:
        bin_dir = _python_bin(run, props, env)
        env["PATH"] = os.pathsep.join(p for p in (str(bin_dir), env.get("PATH")) if p)
    return env


def _python_bin(run: _Run, props: Mapping[str, Any], env: dict[str, str]) -> Path:
    """The directory whose `python` runs the task: a dependencies environment's `bin`, else
    wrappers of kflow's own interpreter."""
    ctx = run.ctx
    dependencies = run.texts(props, "dependencies")
    if dependencies:
        installer_env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        location = pyenv.python_env(
            ctx,
            dependencies,
            lambda argv: _Process(ctx).install(argv, run.scratch, installer_env),
            python_version=_text(run, props, "pythonVersion"),
            package_manager=_text(run, props, "packageManager") or "UV",
            cached=flag(ctx, props, "dependencyCacheEnabled", True),
            scratch=run.scratch,
        )
        env["VIRTUAL_ENV"] = str(location)
        run.python = str(location / "bin" / "python")
        return location / "bin"
    wrappers = run.scratch / "bin"
    wrappers.mkdir()
    python = shlex.quote(sys.executable)
    for name, line in (
        ("python", f'exec {python} "$@"'),
        ("python3", f'exec {python} "$@"'),
        ("pip", f'exec {python} -m pip "$@"'),
        ("pip3", f'exec {python} -m pip "$@"'),
    ):
        path = wrappers / name
        path.write_text(f"#!/bin/sh\n{line}\n", encoding="utf-8")
        path.chmod(0o755)
    return wrappers


def _text(run: _Run, props: Mapping[str, Any], name: str) -> str | None:
    value = props.get(name)
    return None if value is None else as_text(run.render(value))


# -- the process ----------------------------------------------------------------------------------


@dataclass
class _Result:
    code: int
    vars: dict[str, Any]
    stderr_lines: int
    stderr_tail: list[str]


class _Process:
    """Starts a command in its own process group, which the task's stop kills."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx

    def start(
        self, argv: list[str], cwd: Path, env: dict[str, str], merge: bool
    ) -> subprocess.Popen[bytes]:
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise failure(self.ctx, f"cannot start {argv[0]}: {error.strerror or error}") from None
        self.ctx.on_kill(lambda: _terminate(process))
        return process

    def run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> _Result:
        """Run `argv`, logging its output lines and reading the `::{…}::` ones."""
        process = self.start(argv, cwd, env, merge=False)
        reader = _LineReader(self.ctx)
        assert process.stdout is not None and process.stderr is not None
        threads = [
            threading.Thread(target=reader.read, args=(process.stdout, False), daemon=True),
            threading.Thread(target=reader.read, args=(process.stderr, True), daemon=True),
        ]
        for thread in threads:
            thread.start()
        code = process.wait()
        for thread in threads:
            thread.join()
        return _Result(code, reader.vars, reader.stderr_lines, list(reader.stderr_tail))

    def install(self, argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, list[str]]:
        """Run an installer step: its output logged at DEBUG; (exit code, its last lines)."""
        process = self.start(argv, cwd, env, merge=True)
        assert process.stdout is not None
        tail: deque[str] = deque(maxlen=20)
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            tail.append(line)
            self.ctx.log("DEBUG", line)
        return process.wait(), list(tail)


class _LineReader:
    """Reads the output lines of a process: logs them, collects `::{"outputs": …}::`."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx
        self.vars: dict[str, Any] = {}
        self.stderr_lines = 0
        self.stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.lock = threading.Lock()

    def read(self, stream: IO[bytes], is_stderr: bool) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                self.accept(line, is_stderr)

    def accept(self, line: str, is_stderr: bool) -> None:
        if is_stderr:
            self.stderr_lines += 1
        match = _OUTPUT_LINE.match(line)
        if match is None:
            if is_stderr:
                self.stderr_tail.append(line)
            self.ctx.log("ERROR" if is_stderr else "INFO", line)
            return
        try:
            command = json.loads(match.group(1))
        except json.JSONDecodeError as error:
            self.ctx.log("WARN", f"Invalid outputs '{error.msg}' in line {line}")
            return
        if not isinstance(command, dict):
            return
        if isinstance(command.get("outputs"), dict):
            self.vars.update(command["outputs"])
        for metric in command.get("metrics") or []:
            self.ctx.log("DEBUG", f"metric {json.dumps(metric, ensure_ascii=False)}")
        for entry in command.get("logs") or []:
            if isinstance(entry, dict):
                level = str(entry.get("level", "INFO")).upper().replace("WARNING", "WARN")
                self.ctx.log(level if level in LEVELS else "INFO", as_text(entry.get("message")))


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL a little later to what is left of it."""
    # no `poll()` check: the group outlives its leader when a command left children running

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    send(signal.SIGTERM)
    timer = threading.Timer(_KILL_GRACE, send, args=(signal.SIGKILL,))
    timer.daemon = True
    timer.start()

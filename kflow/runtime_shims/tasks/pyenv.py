"""Python environments for the `dependencies` of the Python script tasks: made once, then reused.

An environment is a virtual environment with the dependencies installed, made with uv (`uv` on
PATH, else `python -m uv`), or with `python -m venv` and pip when uv is absent or the task asks for
`packageManager: PIP`.

Cache: `$KFLOW_CACHE_DIR`, else `cache/` in the state directory (`$KFLOW_HOME`, else `~/.kflow`);
environments live in `python-envs/<key>`, the key being a hash of the sorted dependency list, the
Python version (the one asked for, else the running interpreter's) and the package manager. An
environment is made under an exclusive file lock, so two tasks that need the same one (branches of
a Parallel, two runs at once) make it once; it counts as made only once its install succeeded, so
a failed or stopped install is made again from scratch the next time.
`dependencyCacheEnabled: false` makes a fresh environment in a scratch directory for the one run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import failure

# Runs one installer command: (argv) → (exit code, its last output lines).
Installer = Callable[[list[str]], tuple[int, list[str]]]

_READY = "kflow-env.json"  # written last: an environment without it is incomplete
_MANAGERS = ("UV", "PIP")


def cache_dir() -> Path:
    """The cache directory of kflow: `$KFLOW_CACHE_DIR`, else `cache/` in the state directory."""
    configured = os.environ.get("KFLOW_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    from kflow.runtime_shims.state import state_dir

    return state_dir() / "cache"


def python_env(
    ctx: TaskContext,
    dependencies: list[str],
    install: Installer,
    *,
    python_version: str | None = None,
    package_manager: str = "UV",
    cached: bool = True,
    scratch: Path,
) -> Path:
    """The directory of a virtual environment holding `dependencies`: the cached one, else a new
    one (made in `scratch` when not `cached`). Fails with the installer's last lines."""
    manager = package_manager.strip().upper()
    if manager not in _MANAGERS:
        raise failure(ctx, f"packageManager must be UV or PIP, not {package_manager!r}")
    requirements = sorted({d.strip() for d in dependencies if d.strip()})
    for requirement in requirements:
        if requirement.startswith("-"):
            raise failure(ctx, f"dependency {requirement!r} is not a package requirement")
    version = (python_version or "").strip() or None
    if not cached:
        target = scratch / "python-env"
        _make(ctx, target, requirements, version, manager, install)
        return target
    key = {
        "dependencies": requirements,
        "python": version or _running_version(),
        "packageManager": manager,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    envs = cache_dir() / "python-envs"
    target = envs / digest
    try:
        envs.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise failure(ctx, f"cannot create the environment cache {envs}: {error}") from None
    with _locked(ctx, envs / f"{digest}.lock"):
        if (target / _READY).is_file():
            ctx.log("INFO", f"Using the cached Python environment for {', '.join(requirements)}")
            return target
        shutil.rmtree(target, ignore_errors=True)  # what a failed or stopped install left
        _make(ctx, target, requirements, version, manager, install)
        (target / _READY).write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
    return target


def _make(
    ctx: TaskContext,
    target: Path,
    requirements: list[str],
    version: str | None,
    manager: str,
    install: Installer,
) -> None:
    uv = _uv() if manager == "UV" else None
    tool = "uv" if uv else "venv + pip"
    ctx.log("INFO", f"Installing Python dependencies {', '.join(requirements)} ({tool})")
    python = target / "bin" / "python"
    if uv:
        steps = [
            [*uv, "venv", "--seed", "--python", version or sys.executable, str(target)],
            [*uv, "pip", "install", "--python", str(python), *requirements],
        ]
    else:
        steps = [
            [_base_python(ctx, version), "-m", "venv", str(target)],
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", *requirements],
        ]
    for step in steps:
        if ctx.cancelled.is_set():
            break
        code, tail = install(step)
        if code != 0:
            shutil.rmtree(target, ignore_errors=True)
            last = "\n".join(tail) or "(no output)"
            raise failure(
                ctx,
                f"installing dependencies {', '.join(requirements)} failed "
                f"({Path(step[0]).name} exit code {code}):\n{last}",
            )
    if ctx.cancelled.is_set():
        shutil.rmtree(target, ignore_errors=True)
        raise failure(ctx, "stopped while installing dependencies")


def _uv() -> list[str] | None:
    """How to run uv here: `uv` on PATH, else `python -m uv`, else None."""
    found = shutil.which("uv")
    if found:
        return [found]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    return None


def _base_python(ctx: TaskContext, version: str | None) -> str:
    """The interpreter `venv` starts from: kflow's own, or `python<version>` on PATH."""
    if version is None or version in (_running_version(), _running_version(minor_only=True)):
        # a venv made from a venv's python points at the base interpreter anyway
        return sys.executable
    found = shutil.which(f"python{version}")
    if found is None:
        raise failure(ctx, f"pythonVersion {version}: no python{version} on PATH (and no uv)")
    return found


def _running_version(minor_only: bool = False) -> str:
    major, minor, micro = sys.version_info[:3]
    return f"{major}.{minor}" if minor_only else f"{major}.{minor}.{micro}"


@contextlib.contextmanager
def _locked(ctx: TaskContext, path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting for it while the task is not stopped."""
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not ctx.sleep(0.1):
                    raise failure(ctx, "stopped while waiting for another task's install") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

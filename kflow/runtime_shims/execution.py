"""Execution and task-run states, ids, secret masking, and the report of an execution.

States are Kestra's. A task list ends in the worst state of its task runs, in Kestra's order
(`Execution.guessFinalState`): KILLED, then FAILED, then WARNING, else SUCCESS; a list whose
tasks were all SKIPPED ends in SUCCESS. PAUSED ranks below FAILED and above WARNING here: a paused
branch stops the list until the execution is resumed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kflow.runtime_shims.state import ExecutionRecord, StateStore, TaskRunRecord

CREATED = "CREATED"
RUNNING = "RUNNING"
SUCCESS = "SUCCESS"
WARNING = "WARNING"
FAILED = "FAILED"
KILLED = "KILLED"
SKIPPED = "SKIPPED"
RETRYING = "RETRYING"
PAUSED = "PAUSED"
# Execution states of `kflow server` only: waiting for, or refused, a slot of the flow's
# `concurrency` limit.
QUEUED = "QUEUED"
CANCELLED = "CANCELLED"

STATES = (
    CREATED,
    QUEUED,
    RUNNING,
    SUCCESS,
    WARNING,
    FAILED,
    KILLED,
    CANCELLED,
    SKIPPED,
    RETRYING,
    PAUSED,
)
#: States a task run or an execution never leaves.
TERMINAL = frozenset({SUCCESS, WARNING, FAILED, KILLED, CANCELLED, SKIPPED})
#: States that stop a task list: the tasks after it are not created.
STOPPING = frozenset({FAILED, KILLED, PAUSED})
#: States `kflow run` exits 0 for.
OK_STATES = frozenset({SUCCESS, WARNING})

_RANK = {KILLED: 5, FAILED: 4, PAUSED: 3, WARNING: 2, SUCCESS: 1, SKIPPED: 0}

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
MASK = "******"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# Each random byte picks a character (byte % 62): 22 of them hold about 130 random bits.
_ID_CHARS = bytes(ord(_ALPHABET[byte % 62]) for byte in range(256))


def new_id() -> str:
    """A random 22-character base62 id, the shape of Kestra's execution and task-run ids."""
    return os.urandom(22).translate(_ID_CHARS).decode("ascii")


def worst(states: Iterable[str | None]) -> str:
    """The state of a task list from the states of its task runs (None: a disabled task)."""
    found = SUCCESS
    rank = _RANK[SUCCESS]
    for state in states:
        if state is not None and _RANK.get(state, 0) > rank:
            found, rank = state, _RANK[state]
    return found


def level_rank(level: str) -> int:
    """The order of a log level (TRACE lowest); unknown names rank as INFO."""
    return _LEVEL_RANK.get(normalize_level(level), _LEVEL_RANK["INFO"])


def normalize_level(level: str) -> str:
    """`warning` → `WARN`, `info` → `INFO`: Kestra's level names."""
    name = str(level).upper()
    return "WARN" if name == "WARNING" else name


class Masker:
    """Replaces every secret value read during an execution by `******`."""

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def add(self, secret: Any) -> None:
        """Mask `secret` (and each of its lines) from now on."""
        text = "" if secret is None else str(secret)
        with self._lock:
            for value in {text, *text.splitlines()}:
                if value.strip() and value not in self._secrets:
                    self._secrets.append(value)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class Observer:
    """What the engine tells as it goes; the CLI prints it. Every method may be called from any
    thread, with the state store already up to date."""

    def execution(self, record: ExecutionRecord) -> None:
        """An execution was created or changed state."""

    def task_run(self, record: TaskRunRecord) -> None:
        """A task run started or ended."""

    def log(self, execution_id: str, task_id: str | None, level: str, message: str) -> None:
        """A log line (already masked)."""


def report(store: StateStore, execution_id: str) -> dict[str, Any]:
    """The JSON report of an execution: `--output json` of `kflow run`."""
    record = store.execution(execution_id)
    if record is None:
        raise LookupError(f"no execution with id '{execution_id}'")
    return {
        "id": record.id,
        "namespace": record.namespace,
        "flowId": record.flow_id,
        "state": record.state,
        "inputs": record.inputs,
        "outputs": record.outputs or {},
        "taskRuns": [
            {
                "id": run.id,
                "taskId": run.task_id,
                "parentTaskRunId": run.parent_task_run_id,
                "value": run.value,
                "state": run.state,
                "attempts": run.attempts,
                "outputs": run.outputs or {},
            }
            for run in store.task_runs(execution_id)
        ],
    }

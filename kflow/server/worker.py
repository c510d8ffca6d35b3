"""The server's execution pool: executions are created at once and run on a fixed set of threads.

A trigger creates its execution in the state database (so its id can be answered at once, and
the creation can share a transaction with the trigger's own bookkeeping), then `submit`s it. At
most `workers` executions run at the same time; the others wait in the queue in state CREATED.
On shutdown, executions still queued are left CREATED and those still running after the grace
period are left RUNNING: the next server start resumes both (`resume_left`).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from kflow.runtime_shims.execution import CREATED, FAILED, PAUSED, RUNNING, TERMINAL, new_id
from kflow.runtime_shims.state import ExecutionRecord, now

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.engine import Engine, LoadedFlow

log = logging.getLogger("kflow.server")

_Job = tuple[ExecutionRecord, "ir.Flow", threading.Event]


class ExecutionPool:
    """Runs submitted executions on `workers` threads."""

    def __init__(self, engine: Engine, workers: int) -> None:
        self.engine = engine
        self.store = engine.store
        self.workers = max(1, workers)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def start(self) -> None:
        """Start the worker threads."""
        for number in range(self.workers):
            thread = threading.Thread(
                target=self._work, name=f"kflow-worker-{number + 1}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def create(
        self,
        loaded: LoadedFlow,
        inputs: dict[str, Any] | None,
        trigger: dict[str, Any] | None,
        labels: dict[str, Any] | None = None,
    ) -> ExecutionRecord:
        """Create (store) an execution of a flow started by a trigger; it is not run yet."""
        return self.engine.create(loaded, inputs, trigger=trigger, labels=labels)

    def create_failed(
        self, loaded: LoadedFlow, trigger: dict[str, Any] | None, message: str
    ) -> ExecutionRecord:
        """Store an execution that is FAILED from the start (its trigger could not give it
        inputs, say), with the reason as its error and in its logs, as Kestra does."""
        from kflow.runtime_shims.engine import CORRELATION_LABEL

        execution_id = new_id()
        started = now()
        record = ExecutionRecord(
            id=execution_id,
            namespace=loaded.flow.namespace,
            flow_id=loaded.flow.id,
            flow_path=loaded.path,
            state=FAILED,
            inputs={},
            outputs=None,
            labels={**dict(loaded.flow.labels), CORRELATION_LABEL: execution_id},
            trigger=trigger,
            parent_id=None,
            start_date=started,
            end_date=started,
            error=message,
            flow_source=loaded.source,
            flows_dir=self.engine.flows_dir,
        )
        self.store.create_execution(record)
        self.store.log(execution_id, "ERROR", message)
        return record

    def submit(self, record: ExecutionRecord, flow: ir.Flow) -> threading.Event:
        """Queue a created execution; the event is set when its run ends (or when the pool
        stops before running it)."""
        done = threading.Event()
        if record.state in TERMINAL or self._stopping.is_set():
            done.set()
        else:
            self._queue.put((record, flow, done))
        return done

    def stop(self, grace: float) -> list[str]:
        """Take no more executions; wait up to `grace` seconds for the running ones. The ids of
        the executions still running (they are left to be resumed)."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + grace
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        # Jobs still queued behind the stop markers: their executions stay CREATED.
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[2].set()
        with self._lock:
            return sorted(self._running)

    def resume_left(self) -> int:
        """Queue the executions a previous server on this host left unfinished (CREATED,
        RUNNING, or PAUSED for a duration) and whose process is gone; how many."""
        host = socket.gethostname()
        count = 0
        for state in (CREATED, RUNNING, PAUSED):
            for record in self.store.executions(state=state):
                if record.trigger is None or record.parent_id is not None:
                    continue  # not started by a trigger: `kflow run`'s, or a subflow's
                if record.host not in (None, host) or (state == PAUSED and record.pid is None):
                    continue  # another machine's, or a Pause waiting for `executions resume`
                try:
                    self.engine.check_resumable(record)
                    flow = self.engine.flow_of(record)
                except (LookupError, ValueError) as error:
                    log.warning("execution %s is not resumed: %s", record.id, error)
                    continue
                log.info(
                    "resuming execution %s of %s.%s", record.id, record.namespace, record.flow_id
                )
                self.submit(record, flow)
                count += 1
        return count

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            record, flow, done = job
            if self._stopping.is_set():
                done.set()
                continue
            with self._lock:
                self._running.add(record.id)
            try:
                ended = self.engine.run(record, flow)
                log.info(
                    "execution %s of %s.%s: %s",
                    record.id,
                    record.namespace,
                    record.flow_id,
                    ended.state,
                )
            except Exception:
                log.exception("execution %s: internal error", record.id)
            finally:
                with self._lock:
                    self._running.discard(record.id)
                done.set()

"""The server's execution pool: executions are created at once and run on a fixed set of threads.

A trigger creates its execution in the state database (so its id can be answered at once, and
the creation can share a transaction with the trigger's own bookkeeping), then `submit`s it. At
most `workers` executions run at the same time; the others wait in the queue in state CREATED.
On shutdown, executions still queued are left CREATED and those still running after the grace
period are left RUNNING: the next server start resumes both (`resume_left`).

A flow's `concurrency` is enforced when a worker takes an execution that has not started: the
slots taken are this pool's executions of the flow, plus those of other live processes on this
host that are RUNNING and every PAUSED one (a paused execution keeps its slot, as in Kestra).
Over the limit, QUEUE leaves the execution QUEUED until an execution of the flow ends (checked
again at the end of each of this pool's runs and every few seconds for the others); CANCEL
ends it CANCELLED and FAIL ends it FAILED, at once.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from kflow.compiler import ir
from kflow.runtime_shims.execution import (
    CANCELLED,
    CREATED,
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    TERMINAL,
    new_id,
)
from kflow.runtime_shims.state import ExecutionRecord, now

if TYPE_CHECKING:
    from kflow.runtime_shims.engine import Engine, LoadedFlow

log = logging.getLogger("kflow.server")

_Job = tuple[ExecutionRecord, ir.Flow, threading.Event]
_FlowKey = tuple[str, str]

#: How often executions QUEUED behind a concurrency limit look again for a free slot (an
#: execution run by another process may have ended).
QUEUE_RECHECK_INTERVAL = 2.0


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
        # concurrency: the executions of each flow this pool runs, and those QUEUED behind it
        self._slots: defaultdict[_FlowKey, set[str]] = defaultdict(set)
        self._waiting: defaultdict[_FlowKey, deque[_Job]] = defaultdict(deque)

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
            return done
        if record.state not in (CREATED, QUEUED) and flow.concurrency is not None:
            with self._lock:  # an execution resumed after a restart still holds its slot
                self._slots[(record.namespace, record.flow_id)].add(record.id)
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
        # Jobs still queued behind the stop markers stay CREATED; those waiting for a slot of
        # their flow's concurrency stay QUEUED.
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[2].set()
        with self._lock:
            for waiting in self._waiting.values():
                for job in waiting:
                    job[2].set()
            self._waiting.clear()
            return sorted(self._running)

    def resume_left(self) -> int:
        """Queue the executions a previous server on this host left unfinished (CREATED,
        QUEUED, RUNNING, or PAUSED for a duration) and whose process is gone; how many."""
        host = socket.gethostname()
        count = 0
        for state in (RUNNING, PAUSED, CREATED, QUEUED):
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

    def recheck_queued(self) -> None:
        """Give every execution QUEUED behind a concurrency limit another try at a slot."""
        with self._lock:
            keys = list(self._waiting)
        for key in keys:
            self._release(key)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            record, flow, done = job
            if self._stopping.is_set():
                done.set()
                continue
            if not self._admit(job):
                continue
            key = (record.namespace, record.flow_id)
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
                    self._slots[key].discard(record.id)
                done.set()
                self._release(key)

    def _admit(self, job: _Job) -> bool:
        """Whether the job's execution may run now under its flow's `concurrency`; if not, it
        is QUEUED (and run later) or ended at once, as the flow's `behavior` says."""
        record, flow, done = job
        if flow.concurrency is None or record.state not in (CREATED, QUEUED):
            return True  # no limit, or an execution that started already holds its slot
        limit, behavior = flow.concurrency.limit, flow.concurrency.behavior
        key = (record.namespace, record.flow_id)
        with self._lock:
            if len(self._taken(key) - {record.id}) < limit:
                self._slots[key].add(record.id)
                return True
            if behavior == "QUEUE":
                self._waiting[key].append(job)
                if record.state != QUEUED:
                    record.state = QUEUED
                    self.store.log(
                        record.id,
                        "INFO",
                        f"queued: the flow's concurrency limit ({limit}) is reached",
                    )
                    self.store.update_execution(record.id, state=QUEUED)
                return False
        message = f"the flow's concurrency limit ({limit}) is reached (behavior {behavior})"
        state = CANCELLED if behavior == "CANCEL" else FAILED
        # The log line first: whoever sees the execution ended finds the reason with it.
        self.store.log(record.id, "ERROR" if state == FAILED else "WARN", message)
        self.store.update_execution(
            record.id, state=state, end_date=now(), error=message if state == FAILED else None
        )
        log.info("execution %s of %s.%s: %s (%s)", record.id, *key, state, message)
        done.set()
        return False

    def _taken(self, key: _FlowKey) -> set[str]:
        """The ids of the executions holding a slot of a flow: this pool's (running or given a
        slot), those RUNNING in another live process of this host, and the PAUSED ones.
        Called under the lock."""
        from kflow.runtime_shims.engine import is_running_elsewhere

        namespace, flow_id = key
        taken = set(self._slots[key])
        for record in self.store.executions(namespace, flow_id, RUNNING):
            if is_running_elsewhere(record):
                taken.add(record.id)
        taken.update(record.id for record in self.store.executions(namespace, flow_id, PAUSED))
        return taken

    def _release(self, key: _FlowKey) -> None:
        """Give the free slots of a flow to its QUEUED executions, oldest first: each is
        given its slot now (so a newer execution cannot take it) and sent to the workers."""
        ready: list[_Job] = []
        with self._lock:
            waiting = self._waiting.get(key)
            taken = self._taken(key) if waiting else set()
            while waiting:
                concurrency = waiting[0][1].concurrency
                if concurrency is not None and len(taken) >= concurrency.limit:
                    break
                job = waiting.popleft()
                self._slots[key].add(job[0].id)
                taken.add(job[0].id)
                ready.append(job)
            if not waiting:
                self._waiting.pop(key, None)
        for job in ready:
            self._queue.put(job)

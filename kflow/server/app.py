"""`kflow server`: the parts wired together, started, and stopped gracefully.

Start-up: the flows directory is read, the executions a previous server on this machine left
unfinished are queued again, then the scheduler, the Flow trigger watcher, the flows directory
watcher and the HTTP server start. SIGHUP re-reads the flows directory at once. SIGINT or
SIGTERM stop it: no new request is accepted and no trigger fires, running executions get
`grace` seconds to end, and what is left (queued: CREATED, unfinished: RUNNING) is resumed by the
next start. A second signal stops at once.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from kflow.server.api import MAX_BODY, ApiServer
from kflow.server.catalogue import FlowCatalogue
from kflow.server.flow_triggers import FlowTriggerWatcher
from kflow.server.periodic import Periodic
from kflow.server.scheduler import Scheduler
from kflow.server.webhook import Webhooks
from kflow.server.worker import QUEUE_RECHECK_INTERVAL, ExecutionPool

log = logging.getLogger("kflow.server")

#: Seconds between two looks at the flows directory.
RELOAD_INTERVAL = 2.0
#: Seconds between two scheduler passes (a `withSeconds` cron fires at most this late).
SCHEDULE_INTERVAL = 0.2
#: Seconds between two reads of the executions that changed state (for Flow triggers).
FLOW_TRIGGER_INTERVAL = 0.3


class StartError(Exception):
    """The server cannot start: its state directory cannot be opened, or its address is taken."""


@dataclass(frozen=True)
class Options:
    """What `kflow server` is given."""

    flows_dir: Path
    state_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 4
    max_body: int = MAX_BODY
    grace: float = 30.0


class Server:
    """Every part of a running server."""

    def __init__(self, options: Options) -> None:
        from kflow.runtime_shims.engine import Engine
        from kflow.runtime_shims.state import StateStore, state_dir
        from kflow.runtime_shims.storage import LocalStorage

        self.options = options
        try:
            directory = state_dir(options.state_dir)
            self.store = StateStore(directory)
        except (OSError, sqlite3.Error) as error:
            where = options.state_dir or "$KFLOW_HOME or ~/.kflow"
            raise StartError(f"cannot open the state directory ({where}): {error}") from None
        self.catalogue = FlowCatalogue(options.flows_dir)
        engine = Engine(
            self.store,
            LocalStorage(directory / "storage"),
            loader=self.catalogue,
            flows_dir=str(options.flows_dir),
        )
        self.pool = ExecutionPool(engine, options.workers)
        self.scheduler = Scheduler(self.catalogue, self.pool)
        self.watcher = FlowTriggerWatcher(self.catalogue, self.pool)
        try:
            self.http = ApiServer(
                (options.host, options.port),
                Webhooks(self.catalogue, self.pool),
                self.store,
                options.max_body,
            )
        except OSError as error:
            address = f"{options.host}:{options.port}"
            raise StartError(f"cannot listen on {address}: {error.strerror or error}") from None
        self._loops = [
            Periodic("flows", RELOAD_INTERVAL, self.catalogue.reload),
            Periodic("scheduler", SCHEDULE_INTERVAL, self.scheduler.tick),
            Periodic("flow-triggers", FLOW_TRIGGER_INTERVAL, self.watcher.tick),
            Periodic("concurrency", QUEUE_RECHECK_INTERVAL, self.pool.recheck_queued),
        ]
        self._http_thread = threading.Thread(
            target=self.http.serve_forever, args=(0.1,), name="kflow-http", daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL (with the port it listens on, when given port 0)."""
        host, port = self.http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Read the flows, resume what was left, start every loop and the HTTP server."""
        self.catalogue.reload()
        self.pool.start()
        resumed = self.pool.resume_left()
        if resumed:
            log.info("%d unfinished execution(s) resumed", resumed)
        for loop in self._loops:
            loop.start()
        self._http_thread.start()

    def reload(self) -> None:
        """Re-read the flows directory now (SIGHUP)."""
        self._loops[0].wake()

    def stop(self) -> list[str]:
        """Stop accepting requests and firing triggers, give running executions the grace
        period; the ids of those still running (left to be resumed)."""
        self.http.shutdown()
        self.http.server_close()
        for loop in self._loops:
            loop.stop()
        left = self.pool.stop(self.options.grace)
        if left:
            log.warning(
                "%d execution(s) still running are left to resume: %s", len(left), ", ".join(left)
            )
        return left


def serve(options: Options, out: TextIO) -> int:
    """Run a server until SIGINT or SIGTERM; the exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            stream=sys.stderr,
            format="%(asctime)s %(levelname)-5s %(message)s",
        )
    server = Server(options)
    stopping = threading.Event()

    def on_stop(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            log.warning("stopping now; unfinished executions will be resumed at next start")
            os._exit(1)
        log.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    def on_hangup(_signum: int, _frame: FrameType | None) -> None:
        server.reload()

    previous: dict[int, Any] = {}
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        previous[stop_signal] = signal.signal(stop_signal, on_stop)
    if hasattr(signal, "SIGHUP"):
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_hangup)
    try:
        server.start()
        out.write(
            f"kflow server listening on {server.url} (flows: {options.flows_dir}, "
            f"{options.workers} workers)\n"
        )
        out.flush()
        while not stopping.wait(0.5):
            pass
        server.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0

"""A function run on its own thread every few seconds, or at once when woken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("kflow.server")


class Periodic:
    """Calls `action` every `interval` seconds (and when `wake` is called) until `stop`; an
    exception is logged and the next call happens as planned."""

    def __init__(self, name: str, interval: float, action: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval
        self.action = action
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"kflow-{name}", daemon=True)

    def start(self) -> None:
        """Start calling `action` (the first call is immediate)."""
        self._thread.start()

    def wake(self) -> None:
        """Call `action` now rather than at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current call (waiting at most `timeout` seconds for it)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.action()
            except Exception:
                log.exception("%s: internal error", self.name)
            self._wake.wait(self.interval)
            self._wake.clear()

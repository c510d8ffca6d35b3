"""Task retry policies: when another attempt starts, and after how long.

Kestra builds a Failsafe `RetryPolicy` from a task's `retry`: `maxAttempts` counts every attempt,
the first included (the retries page: "maxAttempts: 5 … retries 4 times and succeeds on the 5th
attempt"); `maxDuration` bounds the time since the first attempt started; without `maxAttempts`
Failsafe's default of 3 attempts applies. `constant` waits `interval`; `exponential` waits
`interval * delayFactor^(n-1)` (factor 2 by default) capped at `maxInterval`; `random` waits a
uniform time between `minInterval` and `maxInterval`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from kflow.runtime_shims.durations import parse_duration

DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class RetryPolicy:
    """A task's retry settings, with durations in seconds."""

    kind: str
    max_attempts: int | None
    max_duration: float | None
    interval: float
    max_interval: float | None
    min_interval: float
    delay_factor: float
    warning_on_retry: bool

    @classmethod
    def of(cls, retry: Any) -> RetryPolicy | None:
        """The policy of an `ir.Retry` (None stays None: a single attempt)."""
        if retry is None:
            return None
        max_attempts = retry.max_attempts
        if max_attempts is None and retry.max_duration is None:
            max_attempts = DEFAULT_MAX_ATTEMPTS
        return cls(
            kind=retry.type,
            max_attempts=max_attempts,
            max_duration=_seconds(retry.max_duration),
            interval=_seconds(retry.interval) or 0.0,
            max_interval=_seconds(retry.max_interval),
            min_interval=_seconds(retry.min_interval) or 0.0,
            delay_factor=retry.delay_factor if retry.delay_factor is not None else 2.0,
            warning_on_retry=retry.warning_on_retry,
        )

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait before the next attempt, after `failed_attempts` (≥ 1) failures."""
        if self.kind == "random":
            high = self.max_interval if self.max_interval is not None else self.min_interval
            return random.uniform(self.min_interval, max(high, self.min_interval))
        if self.kind == "exponential":
            wait = self.interval * self.delay_factor ** (failed_attempts - 1)
        else:
            wait = self.interval
        if self.max_interval is not None:
            wait = min(wait, self.max_interval)
        return max(wait, 0.0)

    def next_delay(self, failed_attempts: int, elapsed: float) -> float | None:
        """The wait before another attempt, or None when the policy allows no more."""
        if self.max_attempts is not None and failed_attempts >= self.max_attempts:
            return None
        wait = self.delay(failed_attempts)
        if self.max_duration is not None and elapsed + wait > self.max_duration:
            return None
        return wait


def _seconds(value: Any) -> float | None:
    return None if value is None else parse_duration(value)

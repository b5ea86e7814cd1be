"""How requests to the Ory API are retried and how long one may take (``RECONCILER_TIMEOUT``).
Pure: no HTTP here; the client asks.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.targets import ratelimit

TIMEOUT_VARIABLE = "RECONCILER_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How requests are retried. ``sleep`` and ``jitter`` are injectable so tests stay fast."""

    attempts: int = 4  # reads failing transiently (timeout, reset, 5xx), the first included
    base_delay: float = 0.5
    max_delay: float = ratelimit.MAX_DELAY_SECONDS
    # Retries after a 429 (any method): enough to outlast Ory's 60 s sustained window.
    rate_limit_retries: int = ratelimit.MAX_RETRIES
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    # What ``sleep`` advances, for pacing. None: the monotonic clock plus whatever an injected
    # ``sleep`` skipped, so a test that records sleeps sees the time it asked for pass.
    clock: Callable[[], float] | None = None

    def backoff(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (1-based) after a transient failure: capped
        exponential, half of it random, so clients that failed together do not come back
        together."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()

    def rate_limit_delay(self, retry: int, reset: float | None) -> float:
        """Seconds before retry number ``retry`` after a 429 (see ratelimit.py)."""
        return ratelimit.delay(retry, reset, self.jitter)


def timeout_seconds(environ: Mapping[str, str]) -> float:
    """The request timeout from ``RECONCILER_TIMEOUT`` (seconds), or the default."""
    raw = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:  # also rejects nan
        raise ConfigError(
            [
                f"{TIMEOUT_VARIABLE} must be a number of seconds between 0 and "
                f"{MAX_TIMEOUT_SECONDS:g}, got {raw!r}"
            ]
        )
    return seconds

"""How long to wait when the Ory API rate-limits us. Pure: headers in, seconds out.

Ory meters each route with a one-second burst bucket and a sixty-second sustained bucket and
sends one set of ``x-ratelimit-*`` values per bucket, comma-separated (``x-ratelimit-limit:
10, 10;w=1, 300;w=60``; ``x-ratelimit-reset: 0, 1``). On its most common 429 the reset is
``0``: a wait taken from that alone retries inside the same window and fails anyway. So the
wait is the larger of an exponential floor and the longest reset reported, capped at 30 s,
plus 0-50 % jitter; six retries (1, 2, 4, 8, 16, 30 s) outlast a full sustained window.
Sources: ory-network-behaviour.md §6 (Ory docs ``rate-limits-new.mdx:29-105``; the Terraform
provider's measurements, terraform-provider-ory @0061f2dd ``internal/client/ratelimit.go``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

RESET = "x-ratelimit-reset"
REMAINING = "x-ratelimit-remaining"
LIMIT = "x-ratelimit-limit"
# Ory does not send Retry-After today (TF ratelimit.go); honoured if it ever does.
RETRY_AFTER = "retry-after"

MAX_RETRIES = 6
FLOOR_BASE_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
# A bucket with this many requests left or fewer makes the client pause before the next one.
LOW_REMAINING = 1


def numbers(values: Iterable[str]) -> list[float]:
    """Every number in one header's values: ``["0, 1"]`` -> ``[0, 1]``; a bucket's window
    parameter is dropped (``"10;w=1"`` -> ``10``); what does not parse is skipped."""
    found: list[float] = []
    for value in values:
        for part in value.split(","):
            token = part.split(";", 1)[0].strip()
            try:
                number = float(token)
            except ValueError:
                continue
            if math.isfinite(number) and number >= 0:
                found.append(number)
    return found


def longest_reset(reset_values: Iterable[str], retry_after: Iterable[str] = ()) -> float | None:
    """The longest wait any bucket reports, or None when no header says."""
    waits = numbers(reset_values) + numbers(retry_after)
    return max(waits) if waits else None


def floor(retry: int) -> float:
    """The exponential floor before retry number ``retry`` (1-based): 1, 2, 4, 8, 16, 30 s."""
    return min(MAX_DELAY_SECONDS, FLOOR_BASE_SECONDS * 2.0 ** (retry - 1))


def delay(retry: int, reset: float | None, jitter: Callable[[], float]) -> float:
    """Seconds before retry ``retry`` after a 429: max(floor, reset), capped, plus 0-50 %."""
    base = min(MAX_DELAY_SECONDS, max(floor(retry), reset or 0.0))
    return base * (1.0 + 0.5 * jitter())


def pause_before_next(remaining_values: Iterable[str], reset_values: Iterable[str]) -> float:
    """Seconds to pause before the next request: when a bucket has at most one request left,
    until that bucket resets (at least the one-second burst window); else 0. Values pair up
    by position, one per bucket; when they do not, the longest reset is taken."""
    remaining, resets = numbers(remaining_values), numbers(reset_values)
    low = [index for index, left in enumerate(remaining) if left <= LOW_REMAINING]
    if not low:
        return 0.0
    paired = len(remaining) == len(resets)
    waits = [resets[index] for index in low] if paired else resets
    return min(MAX_DELAY_SECONDS, max([FLOOR_BASE_SECONDS, *waits]))

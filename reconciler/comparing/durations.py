"""Go durations (``1h30m0s``), the one home of their arithmetic.

The planner compares them by meaning (``1h`` equals ``60m``), the security judge ranks them
(a shorter session lifespan strengthens), and export writes them short (``30m0s`` -> ``30m``).
"""

from __future__ import annotations

import re
from decimal import Decimal

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")
_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def duration_ns(text: str) -> Decimal | None:
    """Nanoseconds in a Go duration string (``1h30m``), or None if it is not one."""
    if not _DURATION.match(text):
        return None
    return sum(
        (Decimal(n) * _UNIT_NS[unit] for n, unit in _DURATION_PART.findall(text)), Decimal(0)
    )


def duration_seconds(text: str) -> float | None:
    """Seconds in a Go duration string, for ranking; None if it is not one."""
    nanoseconds = duration_ns(text)
    return None if nanoseconds is None else float(nanoseconds) / 1e9


# Go's own formatting (time.Duration.String): hours, minutes, seconds, zero parts included.
_GO_FORMATTED = re.compile(r"^(\d+h)?(\d+m)?(\d+(?:\.\d+)?s)?$")


def short_duration(text: str) -> str:
    """``1h0m0s`` -> ``1h``, ``30m0s`` -> ``30m``; anything else is returned unchanged."""
    match = _GO_FORMATTED.match(text)
    if not text or match is None:
        return text
    parts = [part for part in match.groups() if part and float(part[:-1]) != 0]
    return "".join(parts) or text

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


def refusing_reset(
    remaining_values: Iterable[str],
    reset_values: Iterable[str],
    retry_after: Iterable[str] = (),
) -> float | None:
    """The wait a 429 asks for: the longest reset among the buckets that are empty (a bucket
    with requests left did not refuse this one: Ory's 60 s bucket reports ~59 s on a 429 of
    the 1 s bucket). When remaining and reset values do not pair up, the longest reset."""
    remaining, resets = numbers(remaining_values), numbers(reset_values)
    if len(remaining) != len(resets) or not any(left <= 0 for left in remaining):
        return longest_reset(reset_values, retry_after)
    empty = [reset for left, reset in zip(remaining, resets, strict=True) if left <= 0]
    waits = empty + numbers(retry_after)
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


# Seconds added to every bucket's window when pacing: the server counts a request when it
# arrives, which varies with latency, so a window measured at our end must be a little longer.
PACING_MARGIN_SECONDS = 0.1
# Each 429 despite pacing (someone else shares the budget) halves the share used of the
# buckets that refused it (those reporting nothing left; every bucket when the headers do not
# say); each answered request gives some back (AIMD), never below this share.
MIN_SHARE = 0.1
SHARE_RECOVERY = 0.05
# How much send history is kept before the buckets are known.
SENT_MEMORY_SECONDS = 60.0
SENT_MEMORY_COUNT = 1000


def buckets(limit_values: Iterable[str]) -> list[tuple[int, float]]:
    """The ``(limit, window seconds)`` of every bucket in ``x-ratelimit-limit``:
    ``["10, 10;w=1, 300;w=60"]`` -> ``[(10, 1.0), (300, 60.0)]`` (values without ``w=`` name
    no window and are skipped)."""
    found: list[tuple[int, float]] = []
    for value in limit_values:
        for part in value.split(","):
            count, _, params = part.partition(";")
            window = dict(p.strip().partition("=")[::2] for p in params.split(";") if p)
            try:
                limit, seconds = int(count.strip()), float(window.get("w", ""))
            except ValueError:
                continue
            if limit > 0 and math.isfinite(seconds) and seconds > 0:
                found.append((limit, seconds))
    return list(dict.fromkeys(found))  # in the order sent: remaining/reset pair up by position


class Pacer:
    """Spaces requests so that no bucket the API announced overflows (sliding windows over
    the times requests were sent), sharing one budget among every thread of a client.

    Until a response names the buckets nothing is held back: without limits, every request
    goes at once. Each 429 halves the share used of the buckets that refused it; answers
    restore it. Not thread-safe by itself: the client calls it under a lock. Pure: times in,
    seconds out.
    """

    def __init__(self) -> None:
        self.buckets: list[tuple[int, float]] = []
        self.shares: list[float] = []  # per bucket, in the order of ``buckets``
        self._sent: list[float] = []  # send times, ascending (reservations included)
        self._blocked_until = 0.0  # a bucket is empty for reasons other than our own sends
        self._last_cut = -math.inf  # when a 429 last halved the share

    @property
    def knows_the_limits(self) -> bool:
        return bool(self.buckets)

    @property
    def share(self) -> float:
        """The smallest share used of any bucket (1.0 before any is known)."""
        return min(self.shares, default=1.0)

    def learn(
        self,
        limit_values: Iterable[str],
        remaining_values: Iterable[str] = (),
        reset_values: Iterable[str] = (),
        *,
        refused: bool,
        now: float = 0.0,
    ) -> None:
        """Take in one response's ``x-ratelimit-*`` headers: the buckets, and whether one of
        them is empty although our own sends do not explain it (another client shares the
        budget: wait until it resets). A 429 halves the share used (once per burst window)."""
        announced = buckets(limit_values)
        if announced and announced != self.buckets:
            self.buckets = announced
            self.shares = [1.0] * len(announced)
        remaining = numbers(remaining_values)
        if refused:
            # One cut per burst window, however many 429s it brings (AIMD reacts to a
            # congestion event, not to each request of the burst that caused it). Only the
            # buckets that refused: a 1 s bucket's 429 says nothing of the 60 s bucket, and
            # halving that one too stalls a long run for a minute (Ory's 60 s bucket reports
            # requests left on a 429 of the 1 s bucket, ory-network-behaviour.md §6).
            shortest = min((window for _, window in self.buckets), default=1.0)
            if now - self._last_cut >= shortest:
                self.shares = [
                    max(MIN_SHARE, share / 2) if self._refused_by(index, remaining) else share
                    for index, share in enumerate(self.shares)
                ]
                self._last_cut = now
        else:
            self.shares = [min(1.0, share + SHARE_RECOVERY) for share in self.shares]
        resets = numbers(reset_values)
        for index, (_, window) in enumerate(self.buckets):
            if index >= len(remaining) or remaining[index] > 0:
                continue
            if self._sent_within(window + PACING_MARGIN_SECONDS, now) < self._allowed(index):
                # Ory's reset counts whole seconds beyond the current one (reset 0: < 1 s).
                reset = resets[index] + 1 if index < len(resets) else window
                self._blocked_until = max(self._blocked_until, now + min(reset, window))

    def not_counted(self, now: float) -> None:
        """A send came back refused: the API did not count it against any bucket (a refused
        request uses up no budget: the metering of ory-network-behaviour.md §6 counts what it
        lets through), so one past send leaves the history. Otherwise every 429 of a first,
        unpaced burst would be paid for twice and push later sends past the 60 s window.
        Whether Ory counts refusals is not documented: if it does, its ``x-ratelimit-remaining``
        says a bucket is empty and ``learn`` holds every send until that bucket resets."""
        for index in range(len(self._sent) - 1, -1, -1):
            if self._sent[index] <= now:
                del self._sent[index]
                return

    def _refused_by(self, index: int, remaining: list[float]) -> bool:
        """Whether bucket ``index`` refused: it reports nothing left, or the remaining values
        do not pair up with the buckets (then any may have)."""
        if len(remaining) != len(self.buckets) or not any(left <= 0 for left in remaining):
            return True
        return remaining[index] <= 0

    def _allowed(self, index: int) -> int:
        limit = self.buckets[index][0]
        return max(1, int(limit * self.shares[index]))

    def _sent_within(self, span: float, now: float) -> int:
        return sum(1 for sent in self._sent if now - span < sent <= now)

    def reserve(self, now: float) -> float:
        """Book the earliest send time no bucket forbids; returns how long to wait for it."""
        at = max(now, self._blocked_until, self._sent[-1] if self._sent else now)
        moved = True
        while moved:
            moved = False
            for index, (_, window) in enumerate(self.buckets):
                allowed = self._allowed(index)
                span = window + PACING_MARGIN_SECONDS
                # Compared as "the earliest time allowed", never "at - span": the rounding of
                # that subtraction could make an equal time look too early forever.
                earliest = self._sent[-allowed] + span if len(self._sent) >= allowed else at
                if earliest > at:
                    at, moved = earliest, True
        self._sent.append(at)
        self._forget(now)
        return at - now

    def _forget(self, now: float) -> None:
        # Only the longest window (at least a minute, in case buckets are learned later) and
        # at most a few times its limit can ever decide a wait.
        longest = max([SENT_MEMORY_SECONDS, *(window for _, window in self.buckets)])
        keep = max([SENT_MEMORY_COUNT, *(limit for limit, _ in self.buckets)])
        cutoff = now - longest - PACING_MARGIN_SECONDS
        drop = 0
        while drop < len(self._sent) and self._sent[drop] <= cutoff:
            drop += 1
        drop = max(drop, len(self._sent) - keep)
        del self._sent[:drop]

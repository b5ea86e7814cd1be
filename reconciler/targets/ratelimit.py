"""How long to wait when the Ory API rate-limits us. Pure: headers in, seconds out.

Ory meters each route with a one-second burst bucket and a sixty-second sustained bucket and
sends one set of ``x-ratelimit-*`` values per bucket, comma-separated (``x-ratelimit-limit:
10, 10;w=1, 300;w=60``; ``x-ratelimit-reset: 0, 1``). On its most common 429 the reset is
``0``: a wait taken from that alone retries inside the same window and fails anyway. So the
wait is the larger of a floor and the longest reset reported, capped at 30 s, plus 0-50 %
jitter; seven retries (1, 1, 2, 4, 8, 16, 30 s) outlast a full sustained window. Processes
that share a key (the jobs of a CI matrix) share the buckets: ``SharedUse`` reads from the
counts how much of them is ours, and ``Pacer`` spaces our requests to it.
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

MAX_RETRIES = 7
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
    """The floor before retry number ``retry`` (1-based): 1, 1, 2, 4, 8, 16, 30 s. The first
    two are one burst window each: a job of a matrix sharing the key may be refused twice
    while the jobs find their parts of it, and doubling from the second retry on held such
    requests seconds after the bucket had room again (docs/benchmarks.md, shards)."""
    return min(MAX_DELAY_SECONDS, FLOOR_BASE_SECONDS * 2.0 ** max(0, retry - 2))


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
# Shares summed from SHARE_RECOVERY steps land a hair below a whole number of sends.
SHARE_ROUNDING = 1e-9
# How much send history is kept before the buckets are known.
SENT_MEMORY_SECONDS = 60.0
SENT_MEMORY_COUNT = 1000


# Others sending with the same key (the jobs of a CI matrix, issue 26): estimated from a
# bucket that outlasts many sends (Ory's 60 s one), over our answers of the last seconds.
SHARED_MIN_WINDOW_SECONDS = 10.0
SHARED_ESTIMATE_SECONDS = 2.0
# Answers closer together than this say too little of rates (one burst arrives at once).
SHARED_MIN_SPAN_SECONDS = 0.5
# How much of what nobody used each process takes: all of it, and N jobs would take N times
# it at once; half converges in a few steps without a 429 for every step.
SHARED_GAIN = 0.5
# Ory reports whole seconds: two answers whose windows end this far apart are two windows.
SAME_WINDOW_SECONDS = 2.0


class SharedUse:
    """Which part of a key's rate limit this process may use, read from the bucket's count.

    Ory meters a key (or an address, ory-network-behaviour.md §6) whichever process sends:
    each request it lets through takes one from ``x-ratelimit-remaining``. Between two of our
    answers the count falls by our requests in between plus everyone else's, so over our
    answers of the last seconds we know ours, theirs, and what the limit would have allowed
    in that time. Our part is what we used of that, plus half of what nobody used: jobs that
    share the key settle on parts that add up to the limit, a job alone takes all of it, and
    when another job finishes the others take its part within a second or two. Our requests
    still in flight may be counted between two answers before their own answer came: they
    are not taken for others'. Pure: counts and times in, a part out."""

    def __init__(self, part: float = 1.0) -> None:
        self._seen: list[tuple[float, float]] = []  # (when answered, remaining), this window
        self._window_end = -math.inf
        self._ours = 0  # our requests let through in this window
        # The count each of them left, this window: which falls of the count were ours.
        self._our_counts: set[float] = set()
        self.part = part  # until the counts say: the part the caller expects (1.0: alone)

    def _window(self, reset: float, now: float) -> None:
        end = now + reset
        if abs(end - self._window_end) > SAME_WINDOW_SECONDS:
            self._seen.clear()  # a new window: the counts start again
            self._our_counts.clear()
            self._window_end, self._ours = end, 0

    def refused(
        self, limit: int, remaining: float, reset: float, now: float, in_flight: int
    ) -> None:
        """One 429 of the first burst. Until enough answers came through to compare counts,
        the bucket's level says how much of it others used: all it counted this window that
        is not ours (a job that was refused at once learns it is not alone)."""
        self._window(reset, now)
        if len(self._seen) >= 2:
            return
        theirs = limit - remaining - self._ours - in_flight
        if theirs > 0:
            self.part = max(MIN_SHARE, self._ours / (self._ours + theirs))

    def observe(self, remaining: float, reset: float, now: float) -> None:
        """One answer the API let through: the bucket's remaining count and reset."""
        self._window(reset, now)
        self._ours += 1
        self._our_counts.add(remaining)
        self._seen.append((now, remaining))
        recent = [seen for seen in self._seen if now - seen[0] <= SHARED_ESTIMATE_SECONDS]
        self._seen = recent if len(recent) >= 2 else self._seen[-2:]

    def estimate(self, in_flight: int, capacity: float) -> float:
        """Our part of the bucket (1.0 alone), from our latest answers that span at least
        SHARED_MIN_SPAN_SECONDS: what we used of what the key could send in that time, plus
        SHARED_GAIN of what nobody used; the previous estimate while too few answers came."""
        seen = self._seen
        if len(seen) < 2:
            return self.part
        first = len(seen) - 2
        while first > 0 and seen[-1][0] - seen[first][0] < SHARED_MIN_SPAN_SECONDS:
            first -= 1
        counts = [remaining for _, remaining in seen[first:]]
        # The count fell from its highest to its lowest by one per request let through in
        # between. Ours are those whose answers carry a count in that range: answers come back
        # in any order (a burst's last answer may carry its first count), so how many answers
        # arrived in between says nothing, and taking it for ours once made a job alone think
        # it had company and slow to a sixth of the limit.
        high, low = max(counts), min(counts)
        ours = sum(1 for count in self._our_counts if low <= count < high)
        theirs = max(0.0, high - low - ours - in_flight)
        span = seen[-1][0] - seen[first][0]
        if theirs == 0:  # alone (as far as the counts tell): the whole limit
            part = 1.0
        elif span >= SHARED_MIN_SPAN_SECONDS:
            spare = max(0.0, capacity * span - ours - theirs)
            part = (ours + SHARED_GAIN * spare) / (capacity * span)
        else:
            part = ours / (ours + theirs)
        self.part = min(1.0, max(MIN_SHARE, part))
        return self.part


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

    Until a response names the buckets nothing is held back here (the client sends its
    first request alone and waits for that answer; an API that announces no limits then gets
    every request at once). Each 429 halves the share used of the buckets that refused it; answers
    restore it. ``part``: the part of the key's limit to start at, before the counts say
    (1/N for one of N jobs that use the key at once). Not thread-safe by itself: the client
    calls it under a lock. Pure: times in, seconds out.
    """

    def __init__(self, part: float = 1.0) -> None:
        self.buckets: list[tuple[int, float]] = []
        self.shares: list[float] = []  # per bucket, in the order of ``buckets``
        self._sent: list[float] = []  # send times, ascending (reservations included)
        self._blocked_until = 0.0  # a bucket is empty for reasons other than our own sends
        self._last_cut = -math.inf  # when a 429 last halved the share
        self._shared = SharedUse(part)  # our part of the key's traffic (other jobs send too)

    @property
    def knows_the_limits(self) -> bool:
        return bool(self.buckets)

    @property
    def part(self) -> float:
        """Our part of the key's rate (``SharedUse``; 1.0 alone)."""
        return self._shared.part

    @property
    def share(self) -> float:
        """The smallest share used of any bucket (1.0 before any is known)."""
        return min(self.shares, default=1.0)

    def _share(self, index: int) -> float:
        """The part of bucket ``index`` we pace to: the AIMD share, and no more than our part
        of the key's rate (``SharedUse``)."""
        return min(self.shares[index], self.part)

    def learn(
        self,
        limit_values: Iterable[str],
        remaining_values: Iterable[str] = (),
        reset_values: Iterable[str] = (),
        *,
        refused: bool,
        paced: bool = True,
        now: float = 0.0,
        in_flight: int = 0,
    ) -> None:
        """Take in one response's ``x-ratelimit-*`` headers: the buckets, our part of the
        key's traffic (``SharedUse``; ``in_flight``: our requests sent and not answered yet),
        and whether one of them is empty although our own sends do not explain it (another
        client shares the budget: wait until it resets). A 429 of a ``paced`` send halves the
        share used (once per burst window): before any answer announced the buckets, sends
        went out unpaced, and their 429s teach the limits but are no sign of others."""
        announced = buckets(limit_values)
        if announced and announced != self.buckets:
            self.buckets = announced
            self.shares = [1.0] * len(announced)
        remaining, resets = numbers(remaining_values), numbers(reset_values)
        self._estimate_part(remaining, resets, refused, paced, now, in_flight)
        if refused and paced:
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
        elif not refused:
            self.shares = [min(1.0, share + SHARE_RECOVERY) for share in self.shares]
        for index, (_, window) in enumerate(self.buckets):
            if index >= len(remaining) or remaining[index] > 0:
                continue
            if self._sent_within(window + PACING_MARGIN_SECONDS, now) < self._pace(index)[0]:
                # Ory's reset counts whole seconds beyond the current one (reset 0: < 1 s).
                reset = resets[index] + 1 if index < len(resets) else window
                self._blocked_until = max(self._blocked_until, now + min(reset, window))

    def _estimate_part(
        self,
        remaining: list[float],
        resets: list[float],
        refused: bool,
        paced: bool,
        now: float,
        in_flight: int,
    ) -> None:
        # From the longest bucket, when it outlasts many sends and its values pair up. A 429
        # of the first, unpaced burst says how much of the bucket others took meanwhile.
        if not self.buckets or not len(remaining) == len(resets) == len(self.buckets):
            return
        index = max(range(len(self.buckets)), key=lambda i: self.buckets[i][1])
        if self.buckets[index][1] < SHARED_MIN_WINDOW_SECONDS:
            return
        if refused and not paced:
            limit = self.buckets[index][0]
            self._shared.refused(limit, remaining[index], resets[index], now, in_flight)
        elif not refused:
            self._shared.observe(remaining[index], resets[index], now)
        limit, window = min(self.buckets, key=lambda bucket: bucket[1])
        self._shared.estimate(in_flight, limit / (window + PACING_MARGIN_SECONDS))

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

    def _pace(self, index: int) -> tuple[int, float]:
        """At most how many sends in how many seconds, for bucket ``index``: its limit at our
        share, per window plus the margin. Never in a shorter window: Ory's window starts at
        whichever request comes first, and a share a hair under 1 once paced 9 sends per
        0.99 s, 18 in one of its seconds (a run alone was refused 7-14 times in 3 of 4 runs;
        docs/benchmarks.md, shards)."""
        limit, window = self.buckets[index]
        allowed = int(limit * self._share(index) + SHARE_ROUNDING)
        return max(1, allowed), window + PACING_MARGIN_SECONDS

    def _sent_within(self, span: float, now: float) -> int:
        return sum(1 for sent in self._sent if now - span < sent <= now)

    def reserve(self, now: float) -> float:
        """Book the earliest send time no bucket forbids; returns how long to wait for it."""
        return self._book(self._earliest(now), now)

    def reserve_within(self, now: float, within: float) -> float | None:
        """``reserve``, or None and nothing booked when the earliest send time is more than
        ``within`` seconds away: the pace may change before then (another job sharing the
        key finishes), so the caller asks again later."""
        at = self._earliest(now)
        return None if at - now > within else self._book(at, now)

    def _book(self, at: float, now: float) -> float:
        self._sent.append(at)
        self._forget(now)
        return at - now

    def _earliest(self, now: float) -> float:
        at = max(now, self._blocked_until, self._sent[-1] if self._sent else now)
        moved = True
        while moved:
            moved = False
            for index in range(len(self.buckets)):
                allowed, span = self._pace(index)
                # Compared as "the earliest time allowed", never "at - span": the rounding of
                # that subtraction could make an equal time look too early forever.
                earliest = self._sent[-allowed] + span if len(self._sent) >= allowed else at
                if earliest > at:
                    at, moved = earliest, True
        return at

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

"""Processes behind one key share Ory's buckets (issue 26, item 8): each reads from the 60 s
bucket's ``x-ratelimit-remaining`` how much of the limit the others use, and paces to its
part, so a CI matrix of ``plan --all --shard I/N`` jobs ends near the floor the limit sets
(ory-network-behaviour.md §6: Ory meters per route, per key or address)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from ory_behaviour import RateMeter

from reconciler.targets import ratelimit
from reconciler.targets.client import OryClient
from reconciler.targets.retry import RetryPolicy

from ory_server import OryTestServer

CAPACITY = 10 / 1.1  # Ory's 10 per second, paced with the margin


def _answers(
    shared: ratelimit.SharedUse, start: float, count: int, every: float, fall: int, first: float
) -> float:
    """``count`` answers of ours, ``every`` seconds apart, the bucket's count falling by
    ``fall`` between two (ours and the others'); returns the remaining count after them."""
    remaining = first
    for index in range(count):
        now = start + index * every
        shared.observe(remaining, reset=42 - now, now=now)  # one window, ending at 42 s
        remaining -= fall
    return remaining + fall


def test_a_process_alone_uses_the_whole_limit() -> None:
    shared = ratelimit.SharedUse()
    _answers(shared, 0.0, 10, 0.11, 1, 299)
    assert shared.estimate(in_flight=0, capacity=CAPACITY) == 1.0


def test_one_of_four_jobs_paces_to_about_a_quarter_and_takes_over_when_they_finish() -> None:
    shared = ratelimit.SharedUse()
    # Our answers 0.44 s apart; the count falls by 4 between two: ours and three others'.
    left = _answers(shared, 0.0, 6, 0.44, 4, 290)
    part = shared.estimate(in_flight=0, capacity=CAPACITY)
    assert 0.2 <= part <= 0.3, part
    # The others finished: the count falls by our own answers only.
    _answers(shared, 2.64, 3, 0.44, 1, left - 1)
    assert shared.estimate(in_flight=0, capacity=CAPACITY) > 0.6


def test_our_own_requests_in_flight_are_not_taken_for_others() -> None:
    shared = ratelimit.SharedUse()
    # A burst of ours: 4 answered, the count fell by 10 meanwhile, 6 of ours still unanswered.
    for index, remaining in enumerate((299, 296, 293, 290)):
        shared.observe(remaining, reset=42, now=0.01 * index)
    assert shared.estimate(in_flight=6, capacity=CAPACITY) == 1.0
    assert shared.estimate(in_flight=0, capacity=CAPACITY) < 0.5


def test_a_job_whose_first_burst_was_refused_learns_it_is_not_alone() -> None:
    shared = ratelimit.SharedUse()
    shared.refused(300, remaining=290, reset=42, now=0.5, in_flight=10)  # ten: ours, maybe
    assert shared.part == 1.0
    shared.refused(300, remaining=290, reset=42, now=0.6, in_flight=0)  # ten, none ours
    assert shared.part == ratelimit.MIN_SHARE


def test_answers_that_come_back_out_of_order_are_still_ours() -> None:
    # A burst of ten of ours let through at once (counts 289 down to 280), answered in
    # another order, the highest last; then one more of ours. Nobody else sent: the count fell
    # by ours alone. Taking only the answers in between for ours saw nine of the others'.
    shared = ratelimit.SharedUse()
    burst = (288, 284, 281, 287, 283, 280, 285, 282, 286, 289)
    for index, remaining in enumerate(burst):
        shared.observe(remaining, reset=42, now=0.40 + 0.005 * index)
        assert shared.estimate(in_flight=9 - index, capacity=CAPACITY) == 1.0, remaining
    shared.observe(279, reset=42, now=1.5)
    assert shared.estimate(in_flight=0, capacity=CAPACITY) == 1.0


def test_a_job_paces_within_every_second_of_the_api_whatever_its_share() -> None:
    # Ory's 1 s window starts at whichever request comes first (ory_behaviour.RateMeter):
    # every second, wherever it starts, holds at most our share of the limit.
    for part, most in ((1.0, 10), (1 - 1e-12, 10), (0.9999, 9), (0.25, 2)):
        pacer = ratelimit.Pacer(part=part)
        pacer.learn(["10, 10;w=1"], refused=False)
        sends = [pacer.reserve(0.0) for _ in range(40)]
        for first in sends:
            in_a_second = [sent for sent in sends if first <= sent < first + 1.0]
            assert len(in_a_second) <= most, (part, first, len(in_a_second))


def test_a_new_window_starts_the_counts_again() -> None:
    shared = ratelimit.SharedUse()
    shared.observe(10, reset=1, now=59.0)
    shared.observe(300 - 1, reset=59, now=60.2)  # a fresh 60 s window: the count went up
    shared.observe(300 - 2, reset=59, now=60.9)
    # Counted across windows, 288 of the others' between two answers: a part near nothing.
    assert shared.estimate(in_flight=0, capacity=CAPACITY) > 0.5


def test_a_slot_too_far_ahead_is_not_booked() -> None:
    pacer = ratelimit.Pacer()
    pacer.learn(["2, 2;w=1"], refused=False)
    assert [pacer.reserve_within(0.0, 2.0) for _ in range(2)] == [0.0, 0.0]
    span = 1.0 + ratelimit.PACING_MARGIN_SECONDS
    assert pacer.reserve_within(0.0, 1.0) is None  # nothing booked: the next is still free
    assert pacer.reserve_within(0.0, 2.0) == pytest.approx(span)


# The metered server and the clients share a clock this many times faster than the wall
# clock, so the matrix's 10 s under the limit take about 3 s of test time.
SPEED = 5.0
SHARDS = (21, 24, 31, 24)  # plan --all --shard I/4 of 100 environments, as bench/shards.py


@pytest.mark.ory_server
def test_four_jobs_behind_one_key_end_near_the_floor_the_limit_sets() -> None:
    start = time.monotonic()

    def clock() -> float:
        return (time.monotonic() - start) * SPEED

    with OryTestServer(rate_meter=RateMeter(burst=10, sustained=300, clock=clock)) as server:
        server.latency = 0.4 / SPEED
        projects = [server.add_project() for _ in range(sum(SHARDS))]
        policy = RetryPolicy(sleep=lambda seconds: time.sleep(seconds / SPEED), clock=clock)
        ended: list[float] = []
        lock = threading.Lock()

        def job(first: int, count: int) -> None:
            # One client, its own pacer: to the rate limiter, one process of the matrix.
            with (
                OryClient(server.base_url, server.workspace_key, retry=policy) as client,
                ThreadPoolExecutor(count) as pool,
            ):
                list(pool.map(client.get_project, projects[first : first + count]))
            with lock:
                ended.append(clock())

        firsts = [sum(SHARDS[:index]) for index in range(len(SHARDS))]
        began = clock()
        jobs = [
            threading.Thread(target=job, args=args) for args in zip(firsts, SHARDS, strict=True)
        ]
        for thread in jobs:
            thread.start()
        for thread in jobs:
            thread.join()
        took = max(ended) - began
        statuses = [request.status for request in server.requests]
    assert statuses.count(200) == sum(SHARDS)  # every project read, none twice
    # Floor: 100 requests at 10 per second. Each job pacing as if alone took 2x here (20 s,
    # 120-160 refusals); sharing, 1.3-1.6x on a busy machine. The bound tells them apart.
    floor = sum(SHARDS) / 10
    assert took <= 1.8 * floor, (took, statuses.count(429))

"""plan --all at the speed the API allows: requests paced to the buckets Ory announces
(``x-ratelimit-limit: 10, 10;w=1, 300;w=60``, ory-network-behaviour.md §6), every environment
started at once, ``--parallelism`` only an upper bound."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from ory_behaviour import RateMeter

from reconciler.jsontypes import JSONObject
from reconciler.targets import ratelimit
from reconciler.targets.client import OryClient
from reconciler.targets.retry import RetryPolicy
from reconciler.usecases import checking, reconcile, steps

from conftest import project_environments
from ory_server import OryTestServer

# The metered test server and the clients share a clock that runs this many times faster than
# the wall clock, so a 5 s run under Ory's limits takes about a second of test time.
SPEED = 5.0


def test_the_buckets_are_read_from_x_ratelimit_limit() -> None:
    assert ratelimit.buckets(["10, 10;w=1, 300;w=60"]) == [(10, 1.0), (300, 60.0)]
    assert ratelimit.buckets(["10", "5;w=0", "x;w=1", "3;w=soon"]) == []


def test_the_pacer_books_sends_so_no_bucket_overflows() -> None:
    pacer = ratelimit.Pacer()
    assert [pacer.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]  # nothing known: no wait
    pacer.learn(["10, 10;w=1, 300;w=60"], refused=False)
    span = 1.0 + ratelimit.PACING_MARGIN_SECONDS
    waits = [pacer.reserve(0.0) for _ in range(22)]
    assert waits[:7] == [0.0] * 7  # the three earlier sends count against the burst
    assert waits[7:17] == [span] * 10
    assert waits[17:] == [2 * span] * 5


def test_a_429_halves_the_share_once_per_window_and_answers_restore_it() -> None:
    pacer = ratelimit.Pacer()
    for _ in range(40):  # a burst of refusals is one congestion event
        pacer.learn(["10, 10;w=1"], refused=True, now=0.5)
    assert pacer.share == 0.5
    assert sum(pacer.reserve(0.5) == 0 for _ in range(10)) == 5
    pacer.learn(["10, 10;w=1"], refused=True, now=1.5)  # a window later: another one
    assert pacer.share == 0.25
    for _ in range(15):
        pacer.learn(["10, 10;w=1"], refused=False, now=2.0)
    assert pacer.share == 1.0


def test_a_429_of_the_burst_bucket_leaves_the_sustained_bucket_whole() -> None:
    # ory-network-behaviour.md §6: on a 429 of the 1 s bucket the 60 s bucket still reports
    # requests left. Halving its share too made plan --all of 200 environments stall for a
    # minute (150 of 300 per minute) in some runs.
    pacer = ratelimit.Pacer()
    limits = ["10, 10;w=1, 300;w=60"]
    pacer.learn(limits, ["0, 250"], ["0, 42"], refused=True, now=0.5)
    assert pacer.shares == [0.5, 1.0]
    sent = [pacer.reserve(1.0) for _ in range(200)]
    # 5 per 1.1 s from the burst bucket's halved share, never held for the 60 s bucket.
    assert max(sent) < 200 / 5 * 1.1 + 1.1


def test_a_refused_send_uses_up_no_budget() -> None:
    # 200 environments at once: 190 first sends refused by the 1 s bucket, then retried. Paid
    # for twice, 390 sends overflowed the 300 per 60 s and the run stalled for a minute.
    pacer = ratelimit.Pacer()
    pacer.learn(["3, 3;w=60"], refused=False, now=0.0)
    assert [pacer.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    pacer.not_counted(0.5)
    pacer.not_counted(0.5)
    assert pacer.reserve(1.0) == 0.0  # one of three counted: room for two more
    assert pacer.reserve(1.0) == 0.0
    assert pacer.reserve(1.0) > 59  # the window is full again


def test_an_empty_bucket_we_did_not_empty_holds_every_send_until_it_resets() -> None:
    pacer = ratelimit.Pacer()
    # Another client used up the 60 s bucket: 0 left, reset in 42 s (and under one more), after
    # one send of ours.
    pacer.reserve(0.0)
    pacer.learn(["10, 10;w=1, 300;w=60"], ["9", "0"], ["0", "42"], refused=False, now=0.0)
    assert pacer.reserve(0.0) == 43.0


def test_a_429_waits_for_the_bucket_that_refused_not_the_longest_window() -> None:
    # The 1 s bucket refused; the 60 s bucket still has 290 left and resets in 58 s.
    assert ratelimit.refusing_reset(["0", "290"], ["0", "58"]) == 0
    assert ratelimit.refusing_reset(["4", "0"], ["0", "58"]) == 58
    assert ratelimit.refusing_reset(["0"], ["0", "58"]) == 58  # unpaired: the longest


def _environments(repo: Path, server: OryTestServer, count: int) -> list[str]:
    return project_environments(repo, server, (f"env{index:02}" for index in range(count)))


@pytest.mark.ory_server
def test_fifty_environments_under_ory_rate_limits_all_succeed_in_about_n_over_the_rate(
    example_repo: Path,
) -> None:
    # Real time, unlike SPEED elsewhere here: the client's own CPU (about 7 ms per
    # environment, more when the suite runs on every core) would count SPEED times over on the
    # shared clock, and at 5x a busy machine pushed honest runs to the bound (6.4 of 6.5 s).
    speed = 1.0
    start = time.monotonic()

    def clock() -> float:
        return (time.monotonic() - start) * speed

    def factory(base_url: str, api_key: str) -> OryClient:
        policy = RetryPolicy(sleep=lambda seconds: time.sleep(seconds / speed), clock=clock)
        return OryClient(base_url, api_key, retry=policy)

    meter = RateMeter(burst=10, sustained=300, clock=clock)
    with OryTestServer(rate_meter=meter) as server:
        names = _environments(example_repo, server, 50)
        settings = steps.Settings(
            root=example_repo,
            environ={
                "ORY_WORKSPACE_API_KEY": server.workspace_key,
                "ORY_CONSOLE_API_URL": server.base_url,
            },
            client_factory=factory,
        )
        # Read the schemas and the shared layer first: the budget is for the API's pacing.
        checking.check(steps.load(names[0], settings), settings)
        began = clock()
        outcomes = reconcile.plan_many(names, settings)
        took = clock() - began
        statuses = [r.status for r in server.requests]
    assert [o.error for o in outcomes] == [""] * 50
    # All started at once: those sent before the first answer announced the buckets may be
    # refused (at most forty), the rest are paced and never are; no environment twice.
    assert statuses.count(200) == 50
    assert statuses.count(429) <= 40
    # 10 per second: about 5 s of API time, and never more than 1.3 times that.
    assert took <= 1.3 * 50 / 10, took


@pytest.mark.ory_server
def test_the_first_request_goes_alone_until_its_answer_names_the_limits(
    example_repo: Path, retry_waits: list[float]
) -> None:
    # Eight environments start together. The first request is held unanswered: nothing else
    # may reach the API until it is answered (sent at once, the other seven arrived within
    # milliseconds and, against a bucket smaller than the burst, were refused: 90 of 100 in
    # bench/shards.py's single run).
    with OryTestServer() as server:
        names = _environments(example_repo, server, 8)
        settings = steps.Settings(root=example_repo, environ=server.cli_env())
        server.hold_next(methods=("GET",))
        planning = threading.Thread(target=reconcile.plan_many, args=(names, settings))
        planning.start()
        try:
            assert server.held.wait(30)
            time.sleep(0.5)  # ample for seven threads to send on loopback, were they free to
            arrived_meanwhile = list(server.requests)
        finally:
            server.release_held()
            planning.join(60)
        answered = [r.status for r in server.requests]
    assert arrived_meanwhile == []
    assert answered.count(200) == 8  # the held read, answered 503, was retried


class _Counting(OryClient):
    """A real client that records how many project reads were in flight at once."""

    lock = threading.Lock()
    in_flight = most = 0

    def get_project(self, project_id: str) -> JSONObject:
        with _Counting.lock:
            _Counting.in_flight += 1
            _Counting.most = max(_Counting.most, _Counting.in_flight)
        try:
            return super().get_project(project_id)
        finally:
            with _Counting.lock:
                _Counting.in_flight -= 1


def test_parallelism_defaults_to_every_environment(
    example_repo: Path, ory_server: OryTestServer
) -> None:
    ory_server.latency = 0.5  # every read overlaps the others: one round trip for all
    names = _environments(example_repo, ory_server, 12)
    settings = steps.Settings(
        root=example_repo,
        environ={
            "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
            "ORY_CONSOLE_API_URL": ory_server.base_url,
        },
        client_factory=_Counting,
    )
    _Counting.in_flight = _Counting.most = 0
    outcomes = reconcile.plan_many(names, settings)
    assert all(o.plan is not None for o in outcomes)
    assert _Counting.most == 12


def test_booking_far_ahead_terminates_whatever_the_rounding() -> None:
    # Times where `(x + span) - span < x` in floating point once looped forever.
    pacer = ratelimit.Pacer()
    pacer.learn(["1, 1;w=0.3"], refused=False)
    now = 123456789.123
    waits = [pacer.reserve(now) for _ in range(200)]
    assert waits[-1] == pytest.approx(199 * (0.3 + ratelimit.PACING_MARGIN_SECONDS))

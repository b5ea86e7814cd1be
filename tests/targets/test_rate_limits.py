"""429s the way Ory sends them (ory-network-behaviour.md §6): empty body, ``x-ratelimit-reset:
0`` from the burst bucket, one header value per bucket. The client waits max(exponential floor,
longest reset), capped at 30 s, plus 0-50 % jitter, six times; PATCH included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from ory_behaviour import RateMeter

from reconciler.errors import RemoteError
from reconciler.targets import ratelimit
from reconciler.targets.client import OryClient
from reconciler.targets.retry import RetryPolicy

from conftest import Run
from ory_server import OryTestServer


def _env(server: OryTestServer) -> dict[str, str]:
    return {
        **server.cli_env(),
        "LOGIN_HOOK_KEY": "hook-key-for-tests",
    }


def _client(server: OryTestServer, waits: list[float], jitter: float = 0.0) -> OryClient:
    policy = RetryPolicy(sleep=waits.append, jitter=lambda: jitter)
    return OryClient(server.base_url, server.workspace_key, retry=policy)


def test_multi_bucket_headers_are_parsed() -> None:
    assert ratelimit.numbers(["10, 10;w=1, 300;w=60"]) == [10, 10, 300]
    assert ratelimit.numbers(["0, 1"]) == [0, 1]
    assert ratelimit.numbers(["0", "45"]) == [0, 45]
    assert ratelimit.numbers(["soon", "-1", "nan", "7"]) == [7]
    assert ratelimit.longest_reset(["0, 1"]) == 1
    assert ratelimit.longest_reset([]) is None


def test_the_delay_is_the_floor_or_the_longest_reset_capped_plus_jitter() -> None:
    no_jitter, full_jitter = (lambda: 0.0), (lambda: 1.0)
    # The first two one burst window each (a job sharing the key may be refused twice while
    # the jobs find their parts of it), then doubling: 62 s in all.
    assert [ratelimit.delay(n, 0, no_jitter) for n in range(1, 8)] == [1, 1, 2, 4, 8, 16, 30]
    assert ratelimit.delay(1, 7, no_jitter) == 7
    assert ratelimit.delay(1, 45, no_jitter) == 30
    assert ratelimit.delay(4, 0, full_jitter) == 6  # 4 s plus 50 %


def test_reset_zero_on_get_is_outlasted_with_growing_waits(ory_server: OryTestServer) -> None:
    waits: list[float] = []
    ory_server.rate_limit_next(times=7, methods=("GET",))
    with _client(ory_server, waits) as client:
        client.get_project(ory_server.project_id)
    assert waits == [1, 1, 2, 4, 8, 16, 30]  # 62 s: longer than the 60 s sustained window
    assert [r.status for r in ory_server.requests] == [429] * 7 + [200]


def test_a_patch_answered_429_is_retried_and_applied_once(ory_server: OryTestServer) -> None:
    waits: list[float] = []
    ory_server.rate_limit_next(times=2, methods=("PATCH",))
    op: dict[str, Any] = {"op": "replace", "path": "/name", "value": "retried"}
    with _client(ory_server, waits, jitter=1.0) as client:
        client.patch_project(ory_server.project_id, ory_server.revision(), [op])
    assert waits == [1.5, 1.5]
    assert len(ory_server.applied_patches) == 1
    assert ory_server.project_document()["name"] == "retried"


def test_rate_limiting_gives_up_after_seven_retries_with_a_clear_message(
    ory_server: OryTestServer,
) -> None:
    waits: list[float] = []
    ory_server.rate_limit_next(times=10, methods=("PATCH",))
    with (
        _client(ory_server, waits) as client,
        pytest.raises(RemoteError) as raised,
    ):
        client.patch_project(ory_server.project_id, ory_server.revision(), [])
    assert str(raised.value) == (
        "the Ory API is rate limiting requests (429); nothing was changed; try again in a "
        "minute (gave up after 8 attempts)"
    )
    assert len(waits) == 7 and ory_server.applied_patches == []


def test_a_nearly_empty_bucket_pauses_before_the_next_request(ory_server: OryTestServer) -> None:
    waits: list[float] = []
    headers = [("x-ratelimit-remaining", "250"), ("x-ratelimit-remaining", "1")]
    headers += [("x-ratelimit-reset", "0"), ("x-ratelimit-reset", "12")]
    with _client(ory_server, waits) as client:
        transport_headers = httpx.Headers(headers)
        assert (
            ratelimit.pause_before_next(
                transport_headers.get_list(ratelimit.REMAINING),
                transport_headers.get_list(ratelimit.RESET),
            )
            == 12
        )
        ory_server.fail_next(200, body=ory_server.project_document(), headers=headers)
        client.get_project(ory_server.project_id)
        assert waits == []
        client.get_project(ory_server.project_id)
    assert waits == [12]  # paused until the longest reset before the second request


def test_each_retry_is_logged_under_verbose(
    example_repo: Path, run: Run, ory_server: OryTestServer, retry_waits: list[float]
) -> None:
    ory_server.rate_limit_next(times=1, methods=("GET",))
    quiet = run("plan", "dev", env=_env(ory_server))
    assert quiet.code == 0 and "retrying" not in quiet.err
    ory_server.rate_limit_next(times=1, methods=("GET",))
    loud = run("-v", "plan", "dev", env=_env(ory_server))
    assert loud.code == 0, loud.err
    wait = retry_waits[-1]
    assert (
        f"GET /projects/{ory_server.project_id}: rate limited (429); retrying in {wait:.1f} s (1/7)"
    ) in loud.err


@pytest.mark.ory_server
def test_the_metered_server_answers_429_with_ory_headers_and_the_client_avoids_them(
    retry_waits: list[float],
) -> None:
    now = [0.0]
    meter = RateMeter(burst=3, sustained=300, clock=lambda: now[0])
    with OryTestServer(rate_meter=meter) as server:
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            now[0] += seconds

        policy = RetryPolicy(sleep=sleep, jitter=lambda: 0.0, clock=lambda: now[0])
        with OryClient(server.base_url, server.workspace_key, retry=policy) as client:
            for _ in range(5):
                client.get_project(server.project_id)
        # Throttled before being refused: paced to the announced burst bucket (3 per second,
        # plus the pacing margin), the fourth request waits for the window to pass.
        assert [r.status for r in server.requests] == [200] * 5
        assert waits == pytest.approx([1.0 + ratelimit.PACING_MARGIN_SECONDS])
        raw = httpx.get(
            f"{server.base_url}/projects/{server.project_id}",
            headers={"Authorization": f"Bearer {server.workspace_key}"},
        )
        assert raw.headers.get_list("x-ratelimit-limit") == ["3, 3;w=1, 300;w=60"]
        assert len(raw.headers.get_list("x-ratelimit-reset")) == 2
        for _ in range(3):
            last = httpx.get(
                f"{server.base_url}/projects/{server.project_id}",
                headers={"Authorization": f"Bearer {server.workspace_key}"},
            )
        assert last.status_code == 429 and last.content == b""
        assert last.headers.get_list("x-ratelimit-reset")[0] == "0"


def test_rate_limits_do_not_use_up_the_retries_for_transient_failures(
    ory_server: OryTestServer,
) -> None:
    waits: list[float] = []
    ory_server.status_sequence([429, 429, 429, 503, 503, 503, None], methods=("GET",))
    with _client(ory_server, waits) as client:
        client.get_project(ory_server.project_id)
    assert [r.status for r in ory_server.requests] == [429, 429, 429, 503, 503, 503, 200]

"""Network faults against the local Ory API server: timeouts, resets, dropped responses, 5xx,
429. Reads are retried; a write without an answer is settled by re-reading the project. Each
test checks that nothing is lost, nothing is applied twice and the user is told what happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ConfigError, RemoteError
from reconciler.targets.client import OryClient
from reconciler.targets.retry import DEFAULT_TIMEOUT_SECONDS, RetryPolicy, timeout_seconds
from reconciler.usecases import applying, planning, steps

from conftest import Run
from ory_server import OryTestServer

HOOK_KEY = "hook-key-for-tests"
ATTEMPTS = RetryPolicy().attempts


def _env(server: OryTestServer, **extra: str) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
        **extra,
    }


def _calls(server: OryTestServer) -> list[tuple[str, int]]:
    return [(r.method, r.status) for r in server.requests]


def _assert_converged(run: Run, server: OryTestServer) -> None:
    again = run("plan", "dev", "--detailed-exitcode", env=_env(server))
    assert again.code == 0, again.out + again.err
    assert again.out.endswith("No changes.\n")


# --------------------------------------------------------------------------- reads


def test_transient_read_failures_are_retried_with_backoff(
    example_repo: Path, run: Run, ory_server: OryTestServer, retry_waits: list[float]
) -> None:
    ory_server.status_sequence([503, 429, 500, None], headers={"x-ratelimit-reset": "2"})
    result = run("plan", "dev", env=_env(ory_server))
    assert result.code == 0, result.err
    assert _calls(ory_server) == [("GET", 503), ("GET", 429), ("GET", 500), ("GET", 200)]
    first, rate_limited, third = retry_waits
    assert 0.25 <= first <= 0.5  # backoff 0.5 s with jitter
    assert 2.0 <= rate_limited <= 3.0  # max(floor 1 s, reset 2 s) plus 0-50 % jitter
    assert 0.5 <= third <= 1.0  # the second transient retry: 1 s with jitter


def test_backoff_is_capped_and_jittered() -> None:
    low = RetryPolicy(jitter=lambda: 0.0)
    high = RetryPolicy(jitter=lambda: 1.0)
    assert [low.backoff(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert [high.backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert high.backoff(20) == 30.0 and low.backoff(20) == 15.0


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda s: s.reset_next(methods=("GET",)), id="reset"),
        pytest.param(lambda s: s.drop_next(0, methods=("GET",)), id="closed-before-answer"),
        pytest.param(lambda s: s.drop_next(300, methods=("GET",)), id="dropped-mid-body"),
    ],
)
def test_dropped_reads_are_retried(
    example_repo: Path, run: Run, ory_server: OryTestServer, inject: Any
) -> None:
    inject(ory_server)
    result = run("plan", "dev", env=_env(ory_server))
    assert result.code == 0, result.err
    assert [r.method for r in ory_server.requests] == ["GET", "GET"]
    assert "Plan:" in result.out


def test_read_timeout_is_configurable_and_retried(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.delay_next(1.0, methods=("GET",))
    result = run("plan", "dev", env=_env(ory_server, RECONCILER_TIMEOUT="0.2"))
    assert result.code == 0, result.err
    assert len(ory_server.requests) == 2


def test_reads_give_up_after_bounded_attempts_with_a_clear_message(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.delay_next(0.6, times=ATTEMPTS, methods=("GET",))
    result = run("plan", "dev", env=_env(ory_server, RECONCILER_TIMEOUT="0.1"))
    assert result.code == 1
    assert result.err.endswith(
        f"request to the Ory API at {ory_server.base_url} timed out after 0.1 s "
        f"(set RECONCILER_TIMEOUT to wait longer) (gave up after {ATTEMPTS} attempts)\n"
    )
    assert len(ory_server.requests) == ATTEMPTS


def test_persistent_5xx_reads_stop_after_bounded_attempts(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.fail_next(503, times=ATTEMPTS + 5)
    result = run("plan", "dev", env=_env(ory_server))
    assert result.code == 1
    assert "the Ory API failed (503)" in result.err
    assert f"(gave up after {ATTEMPTS} attempts)" in result.err
    assert len(ory_server.requests) == ATTEMPTS


def test_a_rate_limit_reset_beyond_30_s_is_capped_and_waited_for(
    example_repo: Path, run: Run, ory_server: OryTestServer, retry_waits: list[float]
) -> None:
    ory_server.fail_next(429, headers={"x-ratelimit-reset": "120"})
    result = run("plan", "dev", env=_env(ory_server))
    assert result.code == 0, result.err
    assert _calls(ory_server) == [("GET", 429), ("GET", 200)]
    (wait,) = retry_waits
    assert 30.0 <= wait <= 45.0  # capped at 30 s, plus 0-50 % jitter


def test_client_errors_are_not_retried(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    result = run("plan", "dev", env={**_env(ory_server), "ORY_WORKSPACE_API_KEY": "ory_wak_bad"})
    assert result.code == 1
    assert "401 Unauthorized" in result.err
    assert len(ory_server.requests) == 1


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "99999"])
def test_a_bad_timeout_setting_is_refused_before_any_request(
    example_repo: Path, run: Run, ory_server: OryTestServer, value: str
) -> None:
    result = run("plan", "dev", env=_env(ory_server, RECONCILER_TIMEOUT=value))
    assert result.code == 1
    assert result.err.endswith(
        f"RECONCILER_TIMEOUT must be a number of seconds between 0 and 3600, got {value!r}\n"
    )
    assert ory_server.requests == []


def test_timeout_setting() -> None:
    assert timeout_seconds({}) == DEFAULT_TIMEOUT_SECONDS
    assert timeout_seconds({"RECONCILER_TIMEOUT": " 2.5 "}) == 2.5
    with pytest.raises(ConfigError):
        timeout_seconds({"RECONCILER_TIMEOUT": "inf"})


# --------------------------------------------------------------------------- writes


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda s: s.fail_after_apply(500), id="applied-then-500"),
        pytest.param(lambda s: s.fail_after_apply(502), id="applied-then-502"),
        pytest.param(lambda s: s.drop_next(0, methods=("PATCH",)), id="applied-then-closed"),
        pytest.param(lambda s: s.drop_next(200, methods=("PATCH",)), id="applied-then-dropped"),
        pytest.param(
            lambda s: s.reset_next(methods=("PATCH",), apply_first=True), id="applied-then-reset"
        ),
    ],
)
def test_a_patch_that_landed_without_an_answer_is_recognised_not_resent(
    example_repo: Path, run: Run, ory_server: OryTestServer, inject: Any
) -> None:
    inject(ory_server)
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 0, result.err
    assert "Apply complete:" in result.out
    # One PATCH, applied once; the re-read GET found the new revision.
    assert [r.method for r in ory_server.requests] == ["GET", "PATCH", "GET"]
    assert ory_server.applied_patches == [ory_server.revision()]
    assert f"Live revision is now {ory_server.revision()}." in result.out
    assert "shows every change of this plan, so the apply took effect" in result.err
    _assert_converged(run, ory_server)


def test_a_patch_that_timed_out_but_landed_is_recognised(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.delay_next(1.0, methods=("PATCH",))
    result = run("apply", "dev", "--yes", env=_env(ory_server, RECONCILER_TIMEOUT="0.3"))
    assert result.code == 0, result.err
    assert len(ory_server.writes()) == 1
    assert len(ory_server.applied_patches) == 1
    _assert_converged(run, ory_server)


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda s: s.fail_next(503, methods=("PATCH",)), id="503-not-applied"),
        pytest.param(lambda s: s.reset_next(methods=("PATCH",)), id="reset-not-applied"),
    ],
)
def test_a_patch_that_did_not_land_is_sent_once_more(
    example_repo: Path, run: Run, ory_server: OryTestServer, inject: Any
) -> None:
    before = ory_server.revision()
    inject(ory_server)
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 0, result.err
    methods = [r.method for r in ory_server.requests]
    # The revision did not move on three reads over the settle window: not applied, resent.
    assert methods == ["GET", "PATCH", "GET", "GET", "GET", "PATCH"]
    # Both PATCHes were pinned to the planned revision, and only the second one applied.
    patches = [r.path for r in ory_server.requests if r.method == "PATCH"]
    assert patches == [f"/projects/{ory_server.project_id}/revision/{before}"] * 2
    assert len(ory_server.applied_patches) == 1
    _assert_converged(run, ory_server)


def test_a_second_unanswered_patch_that_landed_is_recognised(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.fail_next(503, methods=("PATCH",))
    ory_server.fail_after_apply(500)
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 0, result.err
    assert [r.method for r in ory_server.requests] == [
        "GET",
        "PATCH",
        "GET",
        "GET",
        "GET",
        "PATCH",
        "GET",
    ]
    assert len(ory_server.applied_patches) == 1


@pytest.mark.ory_server
def test_a_stale_read_after_a_lost_answer_is_not_taken_for_nothing_applied(
    example_repo: Path, run: Run, retry_waits: list[float]
) -> None:
    # ory-network-behaviour.md §4: a GET right after a PATCH may still show the old revision.
    with OryTestServer(stale_reads=2) as server:
        server.fail_after_apply(500)
        result = run("-v", "apply", "dev", "--yes", env=_env(server))
        assert result.code == 0, result.err
        assert [r.method for r in server.requests] == ["GET", "PATCH", "GET", "GET", "GET"]
        assert len(server.applied_patches) == 1  # not resent
        assert "shows every change of this plan, so the apply took effect" in result.err
        assert "revision unchanged; reading again in 1.0 s in case the read was stale" in result.err
        assert retry_waits == [1.0, 2.0]


def test_unknown_outcome_and_a_failing_reread_tell_the_user_to_check(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.status_sequence([None], methods=("GET",))  # the plan's read succeeds
    ory_server.fail_after_apply(500)
    ory_server.fail_next(503, times=ATTEMPTS, methods=("GET",))
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 1
    project = ory_server.project_id
    assert (
        "the Ory API failed (500): An internal server error occurred, please contact "
        "the system administrator; the change may or may not have been applied, and reading "
        f"project {project} again failed too (the Ory API failed (503)"
    ) in result.err
    assert result.err.endswith(". Run plan to see whether it was.\n")
    assert len(ory_server.writes()) == 1  # never resent without knowing
    assert len(ory_server.applied_patches) == 1
    _assert_converged(run, ory_server)  # and plan indeed shows it landed


def test_someone_else_changing_the_project_meanwhile_is_reported_not_overwritten(
    example_repo: Path, ory_server: OryTestServer
) -> None:
    settings = steps.Settings(root=example_repo, environ=_env(ory_server))
    valid = steps.load("dev", settings)
    target = steps.open_target(valid, settings)
    plan = planning.plan_environment(valid, target, settings)

    def console_change(config: dict[str, Any]) -> None:
        config["selfservice"]["methods"]["lookup_secret"]["enabled"] = False

    edited_revision = ory_server.console_edit(console_change)
    edited = ory_server.stored_identity_config()
    ory_server.fail_next(502, methods=("PATCH",))
    with pytest.raises(RemoteError) as raised:
        applying.apply_plan(plan, valid, target, settings)
    target.close()
    assert str(raised.value) == (
        f"the Ory API failed (502): Bad Gateway; project {ory_server.project_id} has changed "
        f"since (it is now at revision {edited_revision}) but does not show all of this plan's "
        "changes: someone else changed it at the same time, or the change was not applied. "
        "Nothing was sent again. Run plan to see the current state."
    )
    assert len(ory_server.writes()) == 1
    assert ory_server.applied_patches == []
    assert ory_server.stored_identity_config() == edited


def test_a_rate_limited_patch_is_sent_again(
    example_repo: Path, run: Run, ory_server: OryTestServer, retry_waits: list[float]
) -> None:
    # A 429 means the request was not processed, and the PATCH is pinned to its revision.
    ory_server.fail_next(429, headers={"x-ratelimit-reset": "7"}, methods=("PATCH",))
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 0, result.err
    assert _calls(ory_server) == [("GET", 200), ("PATCH", 429), ("PATCH", 200)]
    assert len(ory_server.applied_patches) == 1
    assert 7.0 <= retry_waits[0] <= 10.5


def test_the_api_key_is_in_no_fault_message(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.fail_after_apply(500)
    ory_server.fail_next(503, times=ATTEMPTS, methods=("GET",))
    ory_server.status_sequence([None], methods=("GET",))
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 1
    assert ory_server.workspace_key not in result.out + result.err
    assert HOOK_KEY not in result.out + result.err


def test_writes_are_never_retried_by_the_client(ory_server: OryTestServer) -> None:
    ory_server.fail_next(503, methods=("PATCH",), times=5)
    with (
        OryClient(ory_server.base_url, ory_server.workspace_key) as client,
        pytest.raises(RemoteError, match=r"the Ory API failed \(503\)"),
    ):
        client.patch_project(ory_server.project_id, ory_server.revision(), [])
    assert len(ory_server.writes()) == 1

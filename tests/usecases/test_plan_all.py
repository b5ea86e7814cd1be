"""Many environments at once: bounded concurrency, one client, stable order, keep going."""

from __future__ import annotations

import threading
from pathlib import Path

from reconciler.jsontypes import JSONObject
from reconciler.targets.client import OryClient
from reconciler.usecases import reconcile, steps

from conftest import Run, project_environments
from ory_server import OryTestServer

MISSING_PROJECT = "00000000-0000-4000-8000-000000000000"


def _environments(repo: Path, server: OryTestServer, count: int) -> list[str]:
    """``count`` environments extending base.yaml, each on its own project; sorted names."""
    return project_environments(repo, server, (f"env{index:02}" for index in range(count)))


def test_plan_all_reports_in_order_and_keeps_going_after_a_failure(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    for name in ("local", "prod"):  # need variables or projects this test does not provide
        (example_repo / "environments" / f"{name}.yaml").unlink()
    names = _environments(example_repo, ory_server, 3)
    (example_repo / "environments" / "broken.yaml").write_text(
        f"extends: base.yaml\ntarget: {{ory_network: {{project: {MISSING_PROJECT}}}}}\n"
    )
    result = run(
        "plan", "--all", "--detailed-exitcode", env=ory_server.cli_env(), root=example_repo
    )
    assert result.code == 1
    headers = [line for line in result.out.splitlines() if line.startswith("Environment ")]
    assert [line.split(":")[0] for line in headers] == [
        "Environment dev",
        *(f"Environment {name}" for name in names),
    ]
    # stderr is no terminal here: a line per environment as it finished, then the error.
    progress, error = result.err.splitlines()[:5], result.err.splitlines()[5:]
    assert sorted(line.split("] ")[1] for line in progress) == [
        "broken: failed",
        "dev: 7 changes",
        *(f"{name}: 7 changes" for name in names),
    ]
    assert [line.split("] ")[0] for line in progress] == [f"[{i}/5" for i in range(1, 6)]
    assert error[0].startswith("broken: error: ")
    assert ory_server.writes() == []


class _Tracking(OryClient):
    """A real client that records how many project reads were in flight at once."""

    lock = threading.Lock()
    in_flight = 0
    most = 0
    made = 0

    def __init__(self, base_url: str, api_key: str) -> None:
        super().__init__(base_url, api_key)
        with _Tracking.lock:
            _Tracking.made += 1

    def get_project(self, project_id: str) -> JSONObject:
        with _Tracking.lock:
            _Tracking.in_flight += 1
            _Tracking.most = max(_Tracking.most, _Tracking.in_flight)
        try:
            return super().get_project(project_id)
        finally:
            with _Tracking.lock:
                _Tracking.in_flight -= 1


def test_plan_many_is_bounded_shares_one_client_and_keeps_order(
    example_repo: Path, ory_server: OryTestServer
) -> None:
    names = _environments(example_repo, ory_server, 9)
    _Tracking.in_flight = _Tracking.most = _Tracking.made = 0
    ory_server.latency = 0.3  # long enough that every worker's read overlaps the others'
    settings = steps.Settings(
        root=example_repo,
        environ=ory_server.cli_env(),
        client_factory=_Tracking,
    )
    outcomes = reconcile.plan_many(list(reversed(names)), settings, parallelism=3)
    assert [o.name for o in outcomes] == list(reversed(names))
    assert all(o.plan is not None and o.error == "" for o in outcomes)
    assert _Tracking.made == 1
    assert _Tracking.most == 3


def test_all_skips_layers_but_a_named_layer_is_an_error(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    result = run("plan", "base", env=ory_server.cli_env(), root=example_repo)
    assert result.code == 1
    assert "base has no target: it can only be extended" in result.err

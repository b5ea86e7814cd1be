"""Exit codes are an API: 0, 1, 2 and 64, each for its situations (README "Exit codes")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Run
from ory_server import OryTestServer

HOOK_KEY = "exit-code-hook-key"


def _env(server: OryTestServer, key: str | None = None) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": key or server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
    }


@pytest.mark.parametrize(
    "arguments",
    [
        ("plan", "dev", "--no-such-flag"),
        ("no-such-command",),
        ("plan",),
        ("plan", "dev", "--all"),
        ("plan", "dev", "prod", "--out", "plan.json"),
        ("plan", "dev", "--format", "yaml"),
        ("apply",),
        ("apply", "dev", "--plan", "plan.json"),
    ],
)
def test_usage_errors_exit_64_never_2(
    run: Run, example_repo: Path, arguments: tuple[str, ...]
) -> None:
    result = run(*arguments, root=example_repo)
    assert result.code == 64, result.err
    assert result.out == ""
    assert result.err


def test_changes_exit_2_only_with_detailed_exitcode(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("plan", "dev", env=env, root=example_repo).code == 0
    assert run("plan", "dev", "--detailed-exitcode", env=env, root=example_repo).code == 2
    for output in ("markdown", "json"):
        detailed = run(
            "plan", "dev", "--detailed-exitcode", "--format", output, env=env, root=example_repo
        )
        assert detailed.code == 2


def test_no_changes_exit_0_with_detailed_exitcode(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env, root=example_repo).code == 0
    assert run("plan", "dev", "--detailed-exitcode", env=env, root=example_repo).code == 0
    out = example_repo / "plan.json"
    assert run("plan", "dev", "--out", str(out), env=env, root=example_repo).code == 0
    assert run("apply", "--plan", str(out), env=env, root=example_repo).code == 0  # nothing to do


def test_errors_exit_1(run: Run, example_repo: Path, ory_server: OryTestServer) -> None:
    env = _env(ory_server)
    bad_key = _env(ory_server, "ory_wak_not_the_key")
    assert run("plan", "dev", "--detailed-exitcode", env=bad_key, root=example_repo).code == 1
    assert run("plan", "nope", "--detailed-exitcode", env=env, root=example_repo).code == 1
    (example_repo / "environments" / "dev.yaml").write_text("target: 3\n")
    invalid = run("plan", "dev", "--detailed-exitcode", env=env, root=example_repo)
    assert invalid.code == 1
    assert run("validate", "dev", root=example_repo).code == 1


def test_stale_and_refused_applies_exit_1(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    out = example_repo / "plan.json"
    assert run("plan", "dev", "--out", str(out), env=env, root=example_repo).code == 0
    assert run("apply", "dev", "--yes", env=env, root=example_repo).code == 0
    stale = run("apply", "--plan", str(out), env=env, root=example_repo)
    assert stale.code == 1
    assert "Run plan again." in stale.err
    missing = run("apply", "--plan", str(example_repo / "nothing.json"), env=env, root=example_repo)
    assert missing.code == 1
    assert "cannot read the saved plan" in missing.err


def test_a_weakening_saved_plan_is_refused_without_allow_weaken(
    run: Run, example_repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env, root=example_repo).code == 0
    dev = example_repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "  session:\n    whoami:\n      required_aal: aal1\n")
    out = example_repo / "plan.json"
    assert run("plan", "dev", "--out", str(out), env=env, root=example_repo).code == 0
    assert json.loads(out.read_text())["summary"]["weakening"] == 1
    ory_server.clear_requests()
    refused = run("apply", "--plan", str(out), env=env, root=example_repo)
    assert refused.code == 1
    assert "apply refused: 1 change(s) weaken security" in refused.err
    assert ory_server.writes() == []
    allowed = run("apply", "--plan", str(out), "--allow-weaken", env=env, root=example_repo)
    assert allowed.code == 0, allowed.err

"""Issue 21 item 4: every value Ory returns is compared, secrets and ``${VAR}`` values included
(by value, never printed). A console edit of a ``${VAR}`` hook URL is a change that plan shows
and apply reverts, and ``adopt`` reports it; only values Ory never returns stay uncompared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Run
from ory_server import OryTestServer

PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"
HOOK_KEY = "hook-key-7d0c51e2"
HOOK_URL = "https://hooks.acme.test/login?token=url-secret-55aa91"
ATTACKER = "https://attacker.test/collect"
HOOKS = "/selfservice/flows/login/after/hooks"


@pytest.fixture
def repo(example_repo: Path, ory_server: OryTestServer) -> Path:
    """The example's prod, its login hook URL taken from ``${LOGIN_HOOK_URL}``."""
    ory_server.add_project(project_id=PROD)
    prod = example_repo / "environments" / "prod.yaml"
    prod.write_text(
        prod.read_text().replace("url: https://hooks.acme.test/login", "url: ${LOGIN_HOOK_URL}")
    )
    return example_repo


def _env(server: OryTestServer, **variables: str) -> dict[str, str]:
    return server.cli_env() | {"LOGIN_HOOK_KEY": HOOK_KEY, "LOGIN_HOOK_URL": HOOK_URL, **variables}


def _hook(config: dict[str, Any]) -> dict[str, Any]:
    hook: dict[str, Any] = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]
    return hook


def _console_sets_url(server: OryTestServer, url: str) -> None:
    server.console_edit(lambda config: _hook(config).update(url=url), PROD)


def test_a_console_edit_of_a_variable_hook_url_is_a_change(
    run: Run, repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("apply", "prod", "--yes", env=env).code == 0
    assert run("plan", "prod", "--detailed-exitcode", env=env).code == 0
    _console_sets_url(ory_server, ATTACKER)

    planned = run("plan", "prod", "--detailed-exitcode", env=env)
    assert planned.code == 2, planned.out + planned.err
    assert ".config.url: (sensitive) -> (sensitive)\n" in planned.out
    assert "Plan: 0 to add, 1 to change, 0 to reset." in planned.out
    markdown = run("plan", "prod", "--format", "markdown", env=env)
    assert "config.url: (sensitive) -> (sensitive)" in markdown.out
    for output in (planned, markdown):
        assert HOOK_URL not in output.out + output.err
        assert HOOK_KEY not in output.out + output.err

    applied = run("apply", "prod", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert _hook(ory_server.stored_identity_config(PROD))["url"] == HOOK_URL
    assert run("plan", "prod", "--detailed-exitcode", env=env).code == 0


def test_adopt_reports_the_drift_of_a_variable_value_and_never_writes_it(
    run: Run, repo: Path, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("apply", "prod", "--yes", env=env).code == 0
    _console_sets_url(ory_server, ATTACKER)
    prod = repo / "environments" / "prod.yaml"
    before = prod.read_text()

    adopted = run("adopt", "prod", "--write", env=env)
    assert adopted.code == 0, adopted.err
    assert (
        f"  = {HOOKS}: not adopted: a secret or ${{VAR}} value; never written back (live "
        "differs: change the variable, or the value in the console)\n"
    ) in adopted.out
    assert "0 to adopt, 1 not adoptable." in adopted.out
    assert prod.read_text() == before
    assert HOOK_URL not in adopted.out + adopted.err


def test_adopt_without_the_variable_says_it_cannot_compare_it(
    run: Run, repo: Path, ory_server: OryTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("apply", "prod", "--yes", env=_env(ory_server)).code == 0
    _console_sets_url(ory_server, ATTACKER)
    monkeypatch.delenv("LOGIN_HOOK_URL")
    api = {k: v for k, v in _env(ory_server).items() if k.startswith("ORY_")}
    adopted = run("adopt", "prod", env=api)
    assert adopted.code == 0, adopted.err
    assert (
        f"  ? {HOOKS}/0/config/url: not compared: built from ${{LOGIN_HOOK_URL}}, which is not "
        "set here; set it to compare this value\n"
    ) in adopted.out
    assert "0 to adopt, 0 not adoptable." in adopted.out


def test_an_empty_write_only_value_converges(
    run: Run, repo: Path, ory_server: OryTestServer
) -> None:
    # Issue 22: `value: ""` planned a change forever and apply said it did not converge.
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("value: ${LOGIN_HOOK_KEY}", 'value: ""'))
    env = _env(ory_server)
    applied = run("apply", "prod", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert _hook(ory_server.stored_identity_config(PROD))["auth"]["config"]["value"] == ""
    again = run("plan", "prod", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err
    assert again.out.endswith("No changes.\n")

"""Security of the project's other services end to end (issue 24, item 5), against the local
Ory project API (``tests/ory_server.py``, serving the CLI fixture's project document, whose
``services.oauth2.config`` is real Ory Network output): turning PKCE enforcement off is shown
as weakening and ``apply --yes`` refuses it without ``--allow-weaken``, sending nothing; the
lint rules of the project settings and across services speak at file:line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
PKCE = "/services/oauth2/config/oauth2/pkce/enforced"


def _dev(write: Write, server: OryTestServer, body: str) -> None:
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n{body}",
    )


@pytest.fixture
def pkce_enforced(ory_server: OryTestServer) -> OryTestServer:
    """The project with PKCE enforced for every client, as set in the console."""
    ory_server.console_edit([{"op": "replace", "path": PKCE, "value": True}])
    return ory_server


def test_turning_pkce_enforcement_off_weakens_and_apply_refuses_it_sending_nothing(
    write: Write, run: Run, pkce_enforced: OryTestServer
) -> None:
    server = pkce_enforced
    _dev(write, server, "oauth2_config:\n  oauth2:\n    pkce:\n      enforced: false\n")
    planned = run("plan", "dev", env=server.cli_env())
    assert planned.code == 0, planned.err
    assert (
        "~ /oauth2/pkce/enforced: true -> false\n"
        "      ! weakens security: PKCE enforcement for all clients turned off"
    ) in planned.out

    server.clear_requests()
    refused = run("apply", "dev", "--yes", env=server.cli_env())
    assert refused.code == 1
    assert "/oauth2/pkce/enforced (PKCE enforcement for all clients turned off)" in refused.err
    assert "--allow-weaken" in refused.err
    assert not server.writes()
    assert server.stored_service_config("oauth2")["oauth2"]["pkce"]["enforced"] is True

    revision = server.revision()
    applied = run("apply", "dev", "--yes", "--allow-weaken", env=server.cli_env())
    assert applied.code == 0, applied.err
    [patch] = server.writes()
    assert patch.path == f"/projects/{server.project_id}/revision/{revision}"
    assert server.stored_service_config("oauth2")["oauth2"]["pkce"]["enforced"] is False
    again = run("plan", "dev", "--detailed-exitcode", env=server.cli_env())
    assert again.code == 0, again.out + again.err


def test_turning_it_back_on_strengthens_and_needs_no_flag(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The fixture's live project has PKCE off.
    _dev(write, ory_server, "oauth2_config:\n  oauth2: {pkce: {enforced: true}}\n")
    planned = run("plan", "dev", "--format", "json", env=ory_server.cli_env())
    [change] = json.loads(planned.out)["changes"]
    assert change["service"] == "oauth2" and change["pointer"] == "/oauth2/pkce/enforced"
    assert change["impact"] == {
        "impact": "strengthens",
        "reason": "PKCE enforcement for all clients turned on",
    }
    applied = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert applied.code == 0, applied.err
    assert ory_server.stored_service_config("oauth2")["oauth2"]["pkce"]["enforced"] is True


def test_any_cors_origin_fails_validate_at_file_and_line(write: Write, run: Run) -> None:
    write(
        "environments/dev.yaml",
        "project_settings:\n  cors_public:\n    enabled: true\n    origins: ['*']\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert "environments/dev.yaml:4:" in result.err
    assert "cors-any-origin" in result.err


def test_an_oauth2_login_page_apart_from_the_identity_login_ui_is_a_warning(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The fixture's identity config shows its login flow at /ui/login (the project's domain).
    _dev(write, ory_server, "oauth2_config:\n  urls:\n    login: https://sso.example.org/login\n")
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.err
    assert "oauth2-login-ui-not-identity-ui" in planned.out + planned.err
    assert "environments/dev.yaml:4:" in planned.out + planned.err
    assert "! weakens security: urls.login moved to another host, off the project's domains" in (
        planned.out
    )


def test_no_reason_or_finding_shows_a_part_of_a_secret_login_url(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The host of a secret URL is a part of it, which the output scrubber would not mask.
    _dev(
        write, ory_server, "oauth2_config:\n  urls: {login: !secret 'https://sso.secret.test/l'}\n"
    )
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.err
    assert "oauth2-login-ui-not-identity-ui" in planned.out + planned.err
    assert "moved to another host" in planned.out
    assert "sso.secret.test" not in planned.out + planned.err

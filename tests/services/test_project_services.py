"""The project's other settings (issue 24): the OAuth2, permission and account experience
configs and the project settings, each a service declared in ``reconciler/services``, planned
and applied beside the identity config in one revision-pinned PATCH against the local Ory
project API (``tests/ory_server.py``: it serves the CLI fixture's project document, whose
``services.oauth2.config`` and ``services.permission.config`` are real Ory Network output).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]


def _env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def _dev(write: Write, server: OryTestServer, body: str) -> None:
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n{body}",
    )


EVERY_SERVICE = """\
identity_config:
  selfservice:
    methods:
      totp: {enabled: true, config: {issuer: Acme}}
oauth2_config:
  ttl: {access_token: 30m}
  urls: {login: https://auth.acme.test/login}
permission_config:
  limit: {max_read_depth: 3}
  namespaces:
    - {id: 1, name: default}
    - {id: 2, name: documents}
project_settings:
  name: Acme
  cors_public: {enabled: true, origins: [https://app.acme.test]}
"""


def test_every_service_is_planned_under_its_heading_and_applied_in_one_patch(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, EVERY_SERVICE)
    planned = run("plan", "dev", env=_env(ory_server))
    assert planned.code == 0, planned.err
    headings = [
        "  Identity config (identity_config):\n",
        "  OAuth2 config (oauth2_config):\n",
        "  Permission config (permission_config):\n",
        "  Project settings (project_settings):\n",
    ]
    where = [planned.out.index(heading) for heading in headings]
    assert where == sorted(where)  # in the registry's order
    assert '~ /ttl/access_token: "1h0m0s" -> "30m"' in planned.out
    assert '~ /urls/login: "/ui/login" -> "https://auth.acme.test/login"' in planned.out
    assert "/namespaces" in planned.out and '"documents"' in planned.out
    assert "~ /cors_public/enabled: false -> true" in planned.out
    assert '-> "Acme"' in planned.out

    revision = ory_server.revision()
    ory_server.clear_requests()
    applied = run("apply", "dev", "--yes", env=_env(ory_server))
    assert applied.code == 0, applied.err
    [patch] = ory_server.writes()
    assert patch.path == f"/projects/{ory_server.project_id}/revision/{revision}"
    paths = {
        op["path"].split("/")[1:3][-1]
        if op["path"].startswith("/services/")
        else op["path"].split("/")[1]
        for op in patch.json_body
    }
    assert paths == {"identity", "oauth2", "permission", "name", "cors_public"}
    document = ory_server.project_document()
    assert document["name"] == "Acme"
    assert document["cors_public"] == {"enabled": True, "origins": ["https://app.acme.test"]}
    oauth2 = ory_server.stored_service_config("oauth2")
    assert oauth2["urls"]["login"] == "https://auth.acme.test/login"
    names = [n["name"] for n in ory_server.stored_service_config("permission")["namespaces"]]
    assert names == ["default", "documents"]
    # One backup of the whole project before the write, every service in it.
    [backup] = (Path(write("x", "").parent) / ".reconciler" / "backups" / "dev").iterdir()
    saved = json.loads(backup.read_text())
    assert "oauth2" in json.dumps(saved) and "permission" in json.dumps(saved)

    again = run("plan", "dev", "--detailed-exitcode", env=_env(ory_server))
    assert again.code == 0, again.out + again.err
    assert "No changes." in again.out


def test_a_typo_in_the_oauth2_config_is_named_with_the_key_it_meant(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, "oauth2_config: {ttl: {acess_token: 1h}}\n")
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "environments/dev.yaml:2:23: oauth2_config.ttl.acess_token: `acess_token` at /ttl is "
        "unknown to the OSS Hydra config schema; did you mean `access_token`?"
    ) in result.err
    assert not ory_server.requests


def test_typos_in_the_other_services_are_caught_by_their_own_schemas(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(
        write,
        ory_server,
        "permission_config:\n  limit: {max_read_dept: 5}\n"
        "account_experience_config:\n  default_locle: de\n"
        "project_settings:\n  cors_admin: {enabeld: true}\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert "permission_config.limit.max_read_dept" in result.err
    assert "did you mean `max_read_depth`?" in result.err
    assert "did you mean `default_locale`?" in result.err
    assert "did you mean `enabled`?" in result.err


def test_a_kratos_file_target_holds_the_identity_config_only(write: Write, run: Run) -> None:
    write("deploy/kratos.yml", "version: v1.3.0\n")
    write(
        "environments/local.yaml",
        "target:\n  kratos_file: {path: ../deploy/kratos.yml}\n"
        "oauth2_config:\n  ttl: {access_token: 1h}\n",
    )
    result = run("validate", "local")
    assert result.code == 1
    assert (
        "environments/local.yaml:3:1: oauth2_config: a kratos_file target holds only the identity "
        "config; set it in an environment whose target holds the oauth2 config"
    ) in result.err

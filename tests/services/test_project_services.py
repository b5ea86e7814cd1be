"""The project's other settings (issue 24): the OAuth2, permission and account experience
configs and the project settings, each a service declared in ``reconciler/services``, planned
and applied beside the identity config in one revision-pinned PATCH against the local Ory
project API (``tests/ory_server.py``: it serves the CLI fixture's project document, whose
``services.oauth2.config`` and ``services.permission.config`` are real Ory Network output).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]


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
    planned = run("plan", "dev", env=ory_server.cli_env())
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
    # A login page off the project's domain and CORS turned on weaken security (issue 24 item 5).
    applied = run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env())
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

    again = run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env())
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


SYSTEM_SECRET = "hydra-system-secret-7c1d0f2e9b4a"
SALT = "pairwise-salt-5e8a1c3b"
WRITE_ONLY = """\
oauth2_config:
  secrets:
    system: ["${HYDRA_SYSTEM_SECRET}"]
  oidc:
    subject_identifiers:
      supported_types: [public, pairwise]
      pairwise: {salt: "${PAIRWISE_SALT}"}
"""


def _secret_env(server: OryTestServer) -> dict[str, str]:
    return {**server.cli_env(), "HYDRA_SYSTEM_SECRET": SYSTEM_SECRET, "PAIRWISE_SALT": SALT}


def test_write_only_oauth2_values_are_never_compared_but_sent_on_request(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, WRITE_ONLY)
    env = _secret_env(ory_server)
    first = run("apply", "dev", "--yes", env=env)
    assert first.code == 0, first.err
    # The salt is new (its parent is added): sent; Ory's reads leave out `secrets` whole.
    stored = ory_server.stored_service_config("oauth2")
    assert stored["oidc"]["subject_identifiers"]["pairwise"]["salt"] == SALT
    assert "secrets" not in stored
    shown = ory_server.project_document()["services"]["oauth2"]["config"]
    assert "salt" not in shown["oidc"]["subject_identifiers"]["pairwise"]
    assert SYSTEM_SECRET not in first.out + first.err and SALT not in first.out + first.err

    planned = run("plan", "dev", "-v", "--detailed-exitcode", env=env)
    assert planned.code == 0, planned.out + planned.err
    assert "= /secrets: (sensitive), not compared, not sent" in planned.out
    assert "= /oidc/subject_identifiers/pairwise/salt: (sensitive), not compared" in planned.out
    assert "2 declared write-only values are not compared" in planned.out

    ory_server.clear_requests()
    rotated = run("apply", "dev", "--yes", "--rotate-secrets", env=env)
    assert rotated.code == 0, rotated.err
    [patch] = ory_server.writes()
    sent = {op["path"] for op in patch.json_body}
    assert sent == {
        "/services/oauth2/config/secrets",
        "/services/oauth2/config/oidc/subject_identifiers/pairwise/salt",
    }
    assert ory_server.stored_service_config("oauth2")["secrets"] == {"system": [SYSTEM_SECRET]}
    assert SYSTEM_SECRET not in rotated.out + rotated.err


def test_rotate_names_a_value_of_another_service_by_its_key(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, WRITE_ONLY + "rotate:\n  /oauth2_config/secrets/system: 1\n")
    env = _secret_env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0
    ory_server.clear_requests()
    planned = run("plan", "dev", "-v", env=env)
    assert "= /secrets: (sensitive), not compared, not sent" in planned.out
    # Version 1 was sent with the first apply: nothing is due until it is bumped.
    assert run("apply", "dev", "--yes", env=env).code == 0
    assert not ory_server.writes()
    _dev(write, ory_server, WRITE_ONLY + "rotate:\n  /oauth2_config/secrets/system: 2\n")
    bumped = run("apply", "dev", "--yes", env=env)
    assert bumped.code == 0, bumped.err
    [patch] = ory_server.writes()
    # Reads leave out `secrets` whole, so the object the bumped value sits in is sent.
    assert [op["path"] for op in patch.json_body] == ["/services/oauth2/config/secrets"]
    assert patch.json_body[0]["value"] == {"system": [SYSTEM_SECRET]}


def test_remove_names_a_key_of_another_service_by_its_key(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, "remove:\n  - /oauth2_config/urls/logout\n")
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.err
    assert "  OAuth2 config (oauth2_config):\n" in planned.out
    assert "/urls/logout" in planned.out
    _dev(
        write,
        ory_server,
        "oauth2_config: {urls: {logout: /x}}\nremove:\n  - /oauth2_config/urls/logout\n",
    )
    both = run("validate", "dev")
    assert both.code == 1
    assert "/oauth2_config/urls/logout is listed under remove: but also set in" in both.err


def test_a_permission_language_file_is_sent_inline_and_matched_by_content(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    opl = "class User implements Namespace {}\n"
    write("permissions/namespaces.ts", opl)
    _dev(
        write,
        ory_server,
        "permission_config:\n  namespaces: {location: file://../permissions/namespaces.ts}\n",
    )
    applied = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert applied.code == 0, applied.err
    [patch] = ory_server.writes()
    [operation] = patch.json_body
    assert operation["path"] == "/services/permission/config/namespaces"
    assert operation["value"]["location"].startswith("base64://")
    # Ory stores it at a URL named after its SHA-512, with `.txt`; the next plan matches the
    # file by content.
    stored = ory_server.stored_service_config("permission")["namespaces"]["location"]
    assert stored.endswith(f"/{hashlib.sha512(opl.encode()).hexdigest()}.txt")
    again = run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env())
    assert again.code == 0, again.out + again.err
    write("permissions/namespaces.ts", opl + "class Document implements Namespace {}\n")
    changed = run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env())
    assert changed.code == 2, changed.out + changed.err
    assert "/namespaces/location" in changed.out


def test_oauth2_durations_are_compared_as_ory_stores_them(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, "oauth2_config: {ttl: {refresh_token: 1440h, id_token: 1h}}\n")
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert '~ /ttl/refresh_token: "720h0m0s" -> "1440h"' in planned.out
    assert "/ttl/id_token" not in planned.out  # 1h is the stored 1h0m0s
    # A longer refresh token lifetime weakens security (issue 24 item 5).
    assert run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env()).code == 0
    assert ory_server.stored_service_config("oauth2")["ttl"]["refresh_token"] == "1440h0m0s"
    assert run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env()).code == 0


def test_the_account_experience_is_planned_and_applied(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(
        write,
        ory_server,
        "account_experience_config:\n  default_locale: de\n  enabled_locales: [de, en]\n",
    )
    assert run("apply", "dev", "--yes", env=ory_server.cli_env()).code == 0
    stored = ory_server.stored_service_config("account_experience")
    assert stored == {"default_locale": "de", "enabled_locales": ["de", "en"]}
    assert run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env()).code == 0


def test_oauth2_keys_ory_network_sets_itself_are_never_planned(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(
        write,
        ory_server,
        "oauth2_config:\n  urls: {self: {public: https://evil.test}, login: /ui/signin}\n",
    )
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.err
    assert "/urls/login" in planned.out
    assert "/urls/self/public" not in planned.out.split("Warning")[0]
    assert "oauth2_config.urls.self.public" in planned.out + planned.err


@pytest.fixture
def storing_server() -> Iterator[OryTestServer]:
    """A server whose storage answers (as Ory's does): export can read a stored file."""
    with OryTestServer(local_storage=True) as server:
        yield server


def test_export_writes_every_service_and_the_file_plans_no_changes(
    write: Write, run: Run, storing_server: OryTestServer, tmp_path: Path
) -> None:
    ory_server = storing_server
    opl = "class User implements Namespace {}\n"
    write("permissions/namespaces.ts", opl)
    _dev(
        write,
        ory_server,
        "oauth2_config: {ttl: {access_token: 30m}, oauth2: {pkce: {enforced: true}}}\n"
        "permission_config:\n  namespaces: {location: file://../permissions/namespaces.ts}\n"
        "project_settings: {cors_public: {enabled: true, origins: [https://app.acme.test]}}\n",
    )
    # CORS turned on weakens security (issue 24 item 5).
    assert run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env()).code == 0
    (tmp_path / "permissions" / "namespaces.ts").unlink()

    exported = run(
        "export", "prod", "--target-project", ory_server.project_id, env=ory_server.cli_env()
    )
    assert exported.code == 0, exported.err
    text = (tmp_path / "environments" / "prod.yaml").read_text()
    assert "oauth2_config:\n" in text and "access_token: 30m\n" in text
    assert "enforced: true" in text
    # The OPL file comes back as a side file, byte for byte, referenced with file://.
    assert "location: file://../permissions/permission-namespaces-location.ts\n" in text
    side = tmp_path / "permissions" / "permission-namespaces-location.ts"
    assert side.read_text() == opl
    assert "project_settings:\n" in text and "https://app.acme.test" in text
    # Keys of this project alone are listed in the header, not exported.
    assert '#   /project_settings/name: "' in text
    assert "#   /oauth2_config/urls/self/issuer: " in text
    oauth2 = text.split("oauth2_config:")[1].split("permission_config:")[0]
    # What Ory Network sets itself stays out (its CORS, cookie names and domain, urls.self).
    assert "cors" not in oauth2 and "names:" not in oauth2 and "domain:" not in oauth2
    assert "same_site_mode: Lax" in oauth2  # a setting of its own (hydra_serve_cookies_*)

    assert run("validate", "prod").code == 0
    planned = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert "No changes." in planned.out


def test_json_and_markdown_plans_group_changes_by_service(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, EVERY_SERVICE)
    as_json = run("plan", "dev", "--format", "json", env=ory_server.cli_env())
    assert as_json.code == 0, as_json.err
    changes = json.loads(as_json.out)["changes"]
    services = [change["service"] for change in changes]
    assert services == sorted(services, key=["identity", "oauth2", "permission", "project"].index)
    assert set(services) == {"identity", "oauth2", "permission", "project"}
    as_markdown = run("plan", "dev", "--format", "markdown", env=ory_server.cli_env())
    assert as_markdown.code == 0, as_markdown.err
    for title in ("OAuth2 config", "Permission config", "Project settings"):
        assert f"<b>{title}</b>" in as_markdown.out


def test_layers_variables_and_secret_tags_work_in_every_service(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/base.yaml",
        "oauth2_config:\n  ttl: {access_token: 1h, id_token: 2h}\n"
        "project_settings:\n  cors_public: {enabled: true, origins: [https://app.acme.test]}\n",
    )
    _dev(
        write,
        ory_server,
        "extends: base.yaml\noauth2_config:\n  ttl: {id_token: 30m}\n"
        "  urls: {login: '${LOGIN_URL}', consent: !secret https://auth.acme.test/consent}\n",
    )
    env = {**ory_server.cli_env(), "LOGIN_URL": "https://auth.acme.test/login"}
    planned = run("plan", "dev", env=env)
    assert planned.code == 0, planned.err
    assert '~ /ttl/id_token: "1h0m0s" -> "30m"' in planned.out  # the overlay wins
    assert "/ttl/access_token" not in planned.out  # the base's 1h is the stored 1h0m0s
    assert "~ /cors_public/enabled: false -> true" in planned.out  # from the base
    assert "~ /urls/login: (sensitive) -> (sensitive)" in planned.out
    assert "~ /urls/consent: (sensitive) -> (sensitive)" in planned.out
    assert "auth.acme.test" not in planned.out
    # CORS turned on and the login page moved weaken security (issue 24 item 5).
    applied = run("apply", "dev", "--yes", "--allow-weaken", env=env)
    assert applied.code == 0, applied.err
    assert "auth.acme.test" not in applied.out + applied.err
    urls = ory_server.stored_service_config("oauth2")["urls"]
    assert urls["login"] == "https://auth.acme.test/login"
    assert urls["consent"] == "https://auth.acme.test/consent"


def test_the_ory_cli_s_failing_updates_are_refused_offline(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The documents the Ory CLI's update tests expect Ory to refuse (ory/cli @1e36467
    # cmd/cloudx/project/fixtures/update-hydra/fail and update-keto/fail): caught by validate.
    _dev(
        write,
        ory_server,
        "oauth2_config: {ttl: {access_token: 1234}}\n"
        "permission_config: {namespaces: foo, limit: nothing}\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "oauth2_config.ttl.access_token: /ttl/access_token must be of type string, but is "
        "number 1234"
    ) in result.err
    # (`namespaces: foo` passes: Keto's schema takes a string there, a namespaces location.)
    assert "permission_config.limit: /limit must be of type object" in result.err
    assert not ory_server.requests


def test_diff_between_environments_compares_the_other_services(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _dev(write, ory_server, "oauth2_config: {ttl: {access_token: 30m}}\n")
    write(
        "environments/prod.yaml",
        f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
        "oauth2_config: {ttl: {access_token: 1h}}\n",
    )
    result = run("diff", "dev", "prod")
    assert result.code == 0, result.err
    assert '~ /ttl/access_token: "1h" -> "30m"' in result.out


def test_adopt_and_restore_work_for_the_other_services(
    write: Write, run: Run, ory_server: OryTestServer, tmp_path: Path
) -> None:
    _dev(
        write,
        ory_server,
        "oauth2_config:\n  ttl: {access_token: 30m}  # short-lived\n"
        "project_settings:\n  cors_admin: {enabled: true, origins: [https://admin.acme.test]}\n",
    )
    # CORS turned on weakens security (issue 24 item 5).
    assert run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env()).code == 0
    [backup] = (tmp_path / ".reconciler" / "backups" / "dev").iterdir()
    # Back to the project as it was before the apply: one PATCH across both services.
    ory_server.clear_requests()
    # Back to the 1h access token: a longer lifetime, a weakening to approve (issue 24 item 5).
    restored = run(
        "restore", "dev", str(backup), "--yes", "--allow-weaken", env=ory_server.cli_env()
    )
    assert restored.code == 0, restored.err
    [patch] = ory_server.writes()
    assert {op["path"] for op in patch.json_body} == {
        "/services/oauth2/config/ttl/access_token",
        "/cors_admin/enabled",
        "/cors_admin/origins",
    }
    assert ory_server.project_document()["cors_admin"] == {"enabled": False, "origins": []}
    # The environment now differs from live; adopt writes live back under each key.
    adopted = run("adopt", "dev", "--write", env=ory_server.cli_env())
    assert adopted.code == 0, adopted.err
    written = (tmp_path / "environments" / "dev.yaml").read_text()
    assert "ttl: {access_token: 1h}" in written and "# short-lived" in written
    assert "cors_admin: {enabled: false, origins: []}" in written
    assert run("plan", "dev", "--detailed-exitcode", env=ory_server.cli_env()).code == 0


def test_a_kratos_file_refuses_remove_and_rotate_naming_another_service(
    write: Write, run: Run
) -> None:
    write("deploy/kratos.yml", "version: v1.3.0\n")
    write(
        "environments/local.yaml",
        "target:\n  kratos_file: {path: ../deploy/kratos.yml}\n"
        "remove:\n  - /oauth2_config/ttl/access_token\n"
        "rotate:\n  /oauth2_config/secrets/system: 1\n",
    )
    for command in ("validate", "plan"):
        result = run(command, "local")
        assert result.code == 1, result.out + result.err
        assert (
            "environments/local.yaml:4:5: remove[0]: /oauth2_config/ttl/access_token names the "
            "oauth2 config, which a kratos_file target does not hold"
        ) in result.err
        assert "rotate: /oauth2_config/secrets/system names the oauth2 config" in result.err

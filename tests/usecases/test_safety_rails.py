"""Issue 7 safety rails: protected environments, allowed projects, backups and restore."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]

WEAKENING = """
target: {{ory_network: {{project: {project}}}}}
protect: true
{extra}
identity_config:
  selfservice:
    flows:
      settings: {{required_aal: aal1}}
"""


def _protected(write: Write, server: OryTestServer, extra: str = "") -> None:
    write("environments/prod.yaml", WEAKENING.format(project=server.project_id, extra=extra))


def test_protected_environment_needs_yes_and_its_name(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server, "protect_allow_weaken: true")
    for args in (("--yes",), ("--yes", "--env-confirm", "dev"), ("--env-confirm", "prod")):
        result = run("apply", "prod", "--allow-weaken", *args, env=ory_server.cli_env())
        assert result.code == 1
        assert (
            "prod is protected (protect: true): apply needs --yes and --env-confirm prod"
            in result.err
        )
    assert ory_server.requests == []  # refused before anything was even read
    result = run(
        "apply",
        "prod",
        "--yes",
        "--env-confirm",
        "prod",
        "--allow-weaken",
        env=ory_server.cli_env(),
    )
    assert result.code == 0, result.out + result.err
    assert len(ory_server.writes()) == 1


def test_protected_environment_refuses_allow_weaken_unless_it_says_so(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server)
    result = run(
        "apply",
        "prod",
        "--yes",
        "--env-confirm",
        "prod",
        "--allow-weaken",
        env=ory_server.cli_env(),
    )
    assert result.code == 1
    assert (
        "--allow-weaken is refused unless the environment also sets protect_allow_weaken"
        in result.err
    )
    assert ory_server.writes() == []


def test_a_plan_a_protected_environment_can_never_apply_is_an_error_at_plan_time(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server)
    result = run("plan", "prod", env=ory_server.cli_env())
    assert result.code == 1
    assert "Error [protected-weakening] " in result.out
    assert "environments/prod.yaml:2:1: protect: prod is protected" in result.out
    assert "this plan can never be applied as written" in result.out
    refused = run("apply", "prod", "--yes", "--env-confirm", "prod", env=ory_server.cli_env())
    assert refused.code == 1
    assert "the plan has 1 error(s) (protected-weakening)" in refused.err
    assert ory_server.writes() == []


def test_projects_outside_the_allow_list_are_refused(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server, "protect_allow_weaken: true")
    write("reconciler.yaml", "allowed_project_ids:\n  - 00000000-0000-4000-8000-000000000000\n")
    result = run("plan", "prod", env=ory_server.cli_env())
    assert result.code == 1
    assert f"project {ory_server.project_id} is not in allowed_project_ids of " in result.err
    assert ory_server.requests == []
    write("reconciler.yaml", f"allowed_project_ids: [{ory_server.project_id}]\n")
    assert run("plan", "prod", env=ory_server.cli_env()).code == 0


def test_apply_keeps_a_backup_and_restore_goes_back(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    before = ory_server.project_document()["services"]["identity"]["config"]
    revision = ory_server.revision()
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
        "identity_config:\n  selfservice:\n    methods:\n      totp: {enabled: true}\n"
        "  session: {lifespan: 48h}\n",
    )
    applied = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert applied.code == 0, applied.err
    backup = tmp_path / ".reconciler" / "backups" / "dev" / f"{revision}.json"
    assert f"saved to {backup}" in applied.err
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert json.loads(backup.read_text())["config"] == before

    unasked = run("restore", "dev", str(backup), "--allow-weaken", env=ory_server.cli_env())
    assert unasked.code == 1  # no terminal to ask on, and the words are restore's own
    assert (
        "restore needs confirmation but standard input is not a terminal; pass --yes to "
        "restore without asking" in unasked.err
    )
    assert "apply" not in unasked.err
    restored = run(
        "restore", "dev", str(backup), "--yes", "--allow-weaken", env=ory_server.cli_env()
    )
    assert restored.code == 0, restored.out + restored.err
    assert "allowed by --allow-weaken" in restored.out
    assert "  ~ /selfservice/methods/totp/enabled: true -> false" in restored.out
    after = ory_server.project_document()["services"]["identity"]["config"]
    assert after == before
    again = run("restore", "dev", str(backup), "--yes", env=ory_server.cli_env())
    assert again.code == 0 and again.out.endswith("No changes.\n")


def test_restore_refuses_a_file_that_is_not_a_backup(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml", f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
    )
    bogus = write("bogus.json", "[1, 2]")
    result = run("restore", "dev", str(bogus), "--yes", env=ory_server.cli_env())
    assert result.code == 1
    assert "not a reconciler backup (no config)" in result.err
    assert ory_server.writes() == []


# -- backups without secrets (docs/security.md §10) ------------------------------------------

OIDC_SECRET = "oidc-client-secret-3b9d"
WITH_A_PROVIDER = """
target: {{ory_network: {{project: {project}}}}}
identity_config:
  selfservice:
    methods:
      totp: {{config: {{issuer: {issuer}}}}}
      oidc:
        enabled: true
        config:
          providers:
            - id: acme-sso
              provider: generic
              client_id: reconciler
              client_secret: "${{OIDC_SECRET}}"
              issuer_url: https://sso.acme.test
              mapper_url: base64://bG9jYWwgY2xhaW1zID0gc3RkLmV4dFZhcignY2xhaW1zJyk7IHt9
              scope: [openid]
"""
PROVIDER_SECRET = "/selfservice/methods/oidc/config/providers/0/client_secret"
ISSUER = "/selfservice/methods/totp/config/issuer"


def _provider_env(write: Write, server: OryTestServer, issuer: str) -> None:
    text = WITH_A_PROVIDER.format(project=server.project_id, issuer=issuer)
    write("environments/dev.yaml", text)


def _issuer(server: OryTestServer) -> object:
    return server.stored_identity_config()["selfservice"]["methods"]["totp"]["config"]["issuer"]


def _stored_secret(server: OryTestServer) -> object:
    providers = server.stored_identity_config()["selfservice"]["methods"]["oidc"]["config"]
    return providers["providers"][0]["client_secret"]


def test_a_backup_keeps_no_secret_and_restore_says_which_it_cannot_put_back(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    env = {**ory_server.cli_env(), "OIDC_SECRET": OIDC_SECRET}
    _provider_env(write, ory_server, "Acme")
    assert run("apply", "dev", "--yes", env=env).code == 0
    revision = ory_server.revision()
    _provider_env(write, ory_server, "Acme 2")
    assert run("apply", "dev", "--yes", env=env).code == 0
    backup = tmp_path / ".reconciler" / "backups" / "dev" / f"{revision}.json"
    text = backup.read_text()
    assert OIDC_SECRET not in text  # Ory returns it in full; the backup does not keep it
    document = json.loads(text)
    assert [entry["pointer"] for entry in document["secrets"]] == [PROVIDER_SECRET]
    provider = document["config"]["selfservice"]["methods"]["oidc"]["config"]["providers"][0]
    assert provider["client_secret"] == "(sensitive)"

    # Live still holds the secret that was backed up: it is put back from live.
    restored = run("restore", "dev", str(backup), "--yes", env=env)
    assert restored.code == 0, restored.out + restored.err
    assert '  ~ /selfservice/methods/totp/config/issuer: "Acme 2" -> "Acme"' in restored.out
    assert "keeps no secret" not in restored.out
    assert _issuer(ory_server) == "Acme"
    assert _stored_secret(ory_server) == OIDC_SECRET

    # Rotated in the console, and the environment declares yet another one: restore cannot
    # know the backed-up secret, says so, and leaves live's as it is.
    ory_server.console_edit(
        [{"op": "replace", "path": "/services/identity/config" + PROVIDER_SECRET, "value": "r0t"}]
    )
    ory_server.console_edit(
        [{"op": "replace", "path": "/services/identity/config" + ISSUER, "value": "Acme 3"}]
    )
    other = {**env, "OIDC_SECRET": "another-declared-secret"}
    restored = run("restore", "dev", str(backup), "--yes", env=other)
    assert restored.code == 0, restored.out + restored.err
    assert "keeps no secret, and this one is neither live nor declared as it was: " in (
        restored.out
    )
    assert f"{PROVIDER_SECRET}: left as it is live" in restored.out
    assert _stored_secret(ory_server) == "r0t"
    assert _issuer(ory_server) == "Acme"

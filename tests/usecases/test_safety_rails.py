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


def _env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def _protected(write: Write, server: OryTestServer, extra: str = "") -> None:
    write("environments/prod.yaml", WEAKENING.format(project=server.project_id, extra=extra))


def test_protected_environment_needs_yes_and_its_name(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server, "protect_allow_weaken: true")
    for args in (("--yes",), ("--yes", "--env-confirm", "dev"), ("--env-confirm", "prod")):
        result = run("apply", "prod", "--allow-weaken", *args, env=_env(ory_server))
        assert result.code == 1
        assert (
            "prod is protected (protect: true): apply needs --yes and --env-confirm prod"
            in result.err
        )
    assert ory_server.requests == []  # refused before anything was even read
    result = run(
        "apply", "prod", "--yes", "--env-confirm", "prod", "--allow-weaken", env=_env(ory_server)
    )
    assert result.code == 0, result.out + result.err
    assert len(ory_server.writes()) == 1


def test_protected_environment_refuses_allow_weaken_unless_it_says_so(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server)
    result = run(
        "apply", "prod", "--yes", "--env-confirm", "prod", "--allow-weaken", env=_env(ory_server)
    )
    assert result.code == 1
    assert (
        "--allow-weaken is refused unless the environment also sets protect_allow_weaken"
        in result.err
    )
    assert ory_server.writes() == []


def test_projects_outside_the_allow_list_are_refused(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    _protected(write, ory_server)
    write("reconciler.yaml", "allowed_project_ids:\n  - 00000000-0000-4000-8000-000000000000\n")
    result = run("plan", "prod", env=_env(ory_server))
    assert result.code == 1
    assert f"project {ory_server.project_id} is not in allowed_project_ids of " in result.err
    assert ory_server.requests == []
    write("reconciler.yaml", f"allowed_project_ids: [{ory_server.project_id}]\n")
    assert run("plan", "prod", env=_env(ory_server)).code == 0


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
    applied = run("apply", "dev", "--yes", env=_env(ory_server))
    assert applied.code == 0, applied.err
    backup = tmp_path / ".reconciler" / "backups" / "dev" / f"{revision}.json"
    assert f"saved to {backup}" in applied.err
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert json.loads(backup.read_text())["config"] == before

    restored = run("restore", "dev", str(backup), "--yes", "--allow-weaken", env=_env(ory_server))
    assert restored.code == 0, restored.out + restored.err
    assert "  ~ /selfservice/methods/totp/enabled: true -> false" in restored.out
    after = ory_server.project_document()["services"]["identity"]["config"]
    assert after == before
    again = run("restore", "dev", str(backup), "--yes", env=_env(ory_server))
    assert again.code == 0 and again.out.endswith("No changes.\n")


def test_restore_refuses_a_file_that_is_not_a_backup(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml", f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
    )
    bogus = write("bogus.json", "[1, 2]")
    result = run("restore", "dev", str(bogus), "--yes", env=_env(ory_server))
    assert result.code == 1
    assert "not a reconciler backup (no config)" in result.err
    assert ory_server.writes() == []

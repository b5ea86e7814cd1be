"""What a reviewer of a pull request sees in a plan (issue 12): immutable identity schemas,
acknowledged findings, per-field list changes, the target named in full, sources in JSON."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.diff import DiffRules, compute_diff
from reconciler.kratos_schema import for_target

from conftest import Run
from ory_server import OryTestServer


def _env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def _export(run: Run, repo: Path, server: OryTestServer) -> None:
    (repo / "environments").mkdir(exist_ok=True)
    exported = run("export", "live", "--target-project", server.project_id, env=_env(server))
    assert exported.code == 0, exported.err


def _add_trait(schema_file: Path, trait: str) -> None:
    document = json.loads(schema_file.read_text())
    document["properties"]["traits"]["properties"][trait] = {"type": "string"}
    schema_file.write_text(json.dumps(document, indent=2))


def test_an_exported_preset_edited_in_place_is_an_error_and_apply_sends_nothing(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    _export(run, tmp_path, ory_server)
    _add_trait(tmp_path / "schemas" / "preset-username.schema.json", "nickname")
    before = ory_server.stored_identity_config()

    planned = run("plan", "live", "--detailed-exitcode", env=_env(ory_server))
    assert planned.code == 1, planned.out + planned.err
    assert "Error [identity-schema-changed]" in planned.out
    assert "`preset://username`" in planned.out
    assert "under a new schema id (e.g. `username-v2`" in planned.out
    assert "identity.default_schema_id" in planned.out

    applied = run("apply", "live", "--yes", "--allow-weaken", env=_env(ory_server))
    assert applied.code == 1
    assert "identity-schema-changed" in applied.err
    assert ory_server.writes() == []
    assert ory_server.stored_identity_config() == before


def test_restore_leaves_out_keys_that_hold_the_server_default_anyway(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    revision = ory_server.revision()
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text(
        f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
        "identity_config:\n  selfservice:\n    methods:\n"
        "      totp: {enabled: true}\n      passkey: {enabled: false}\n"
    )
    assert run("apply", "dev", "--yes", env=_env(ory_server)).code == 0
    backup = tmp_path / ".reconciler" / "backups" / "dev" / f"{revision}.json"

    restored = run("restore", "dev", str(backup), "--yes", "--allow-weaken", env=_env(ory_server))
    assert restored.code == 0, restored.out + restored.err
    assert "~ /selfservice/methods/totp/enabled: true -> false" in restored.out
    assert "passkey" not in restored.out  # false is what Ory puts back anyway
    assert "Plan: 0 to add, 1 to change, 0 to reset." in restored.out


def test_remove_of_a_mapping_whose_every_leaf_is_the_default_is_no_change() -> None:
    live = {"selfservice": {"methods": {"passkey": {"enabled": False}, "totp": {"enabled": True}}}}
    rules = DiffRules(default_at=for_target("ory_network").default_at)
    removals = ("/selfservice/methods/passkey", "/selfservice/methods/totp")
    changes = compute_diff({}, live, removals, rules).changes
    assert [(c.pointer, c.action) for c in changes] == [("/selfservice/methods/totp", "reset")]

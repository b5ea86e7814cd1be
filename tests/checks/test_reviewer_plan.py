"""What a reviewer of a pull request sees in a plan (issue 12): immutable identity schemas,
acknowledged findings, per-field list changes, the target named in full, sources in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.checks.kratos_schema import for_target
from reconciler.comparing.diff import compute_diff
from reconciler.jsontypes import JSONObject

from conftest import REPO_ROOT, Run, identity_rules
from ory_server import OryTestServer


def _export(run: Run, repo: Path, server: OryTestServer) -> None:
    (repo / "environments").mkdir(exist_ok=True)
    exported = run("export", "live", "--target-project", server.project_id, env=server.cli_env())
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

    planned = run("plan", "live", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 1, planned.out + planned.err
    assert "Error [identity-schema-changed]" in planned.out
    assert "`preset://username`" in planned.out
    assert "under a new schema id (e.g. `username-v2`" in planned.out
    assert "identity.default_schema_id" in planned.out

    applied = run("apply", "live", "--yes", "--allow-weaken", env=ory_server.cli_env())
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
    assert run("apply", "dev", "--yes", env=ory_server.cli_env()).code == 0
    backup = tmp_path / ".reconciler" / "backups" / "dev" / f"{revision}.json"

    restored = run(
        "restore", "dev", str(backup), "--yes", "--allow-weaken", env=ory_server.cli_env()
    )
    assert restored.code == 0, restored.out + restored.err
    assert "~ /selfservice/methods/totp/enabled: true -> false" in restored.out
    assert "passkey" not in restored.out  # false is what Ory puts back anyway
    assert "Plan: 0 to add, 1 to change, 0 to reset." in restored.out


def test_remove_of_a_mapping_whose_every_leaf_is_the_default_is_no_change() -> None:
    live: JSONObject = {
        "selfservice": {"methods": {"passkey": {"enabled": False}, "totp": {"enabled": True}}}
    }
    rules = identity_rules(default_at=for_target("ory_network").default_at)
    removals = ("/selfservice/methods/passkey", "/selfservice/methods/totp")
    changes = compute_diff({}, live, removals, rules).changes
    assert [(c.pointer, c.action) for c in changes] == [("/selfservice/methods/totp", "reset")]


ACKNOWLEDGED_2FA = """
target: {{ory_network: {{project: {project}}}}}
identity_config:
  selfservice:
    methods:
      code: {{mfa_enabled: true}}
  identity:
    default_schema_id: preset://email
lint:
  disable:
    code-mfa-forces-2fa: every email user is meant to confirm a code (ticket SEC-12)
"""


def test_a_disabled_rule_still_reports_its_finding_as_acknowledged(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    (tmp_path / "environments").mkdir()
    body = ACKNOWLEDGED_2FA.format(project=ory_server.project_id)
    (tmp_path / "environments" / "dev.yaml").write_text(body)
    reason = "every email user is meant to confirm a code (ticket SEC-12)"

    text = run("plan", "dev", env=ory_server.cli_env())
    assert text.code == 0, text.out + text.err  # acknowledged: it does not block
    assert "Acknowledged [code-mfa-forces-2fa]" in text.out
    assert "forced to enter a one-time code" in text.out
    assert f"acknowledged (error, not blocking): {reason}" in text.out

    markdown = run("plan", "dev", "--format", "markdown", env=ory_server.cli_env())
    assert "☑️ acknowledged error `code-mfa-forces-2fa`" in markdown.out
    assert f"**Acknowledged:** {reason}" in markdown.out
    assert "❌" not in markdown.out

    document = json.loads(run("plan", "dev", "--format", "json", env=ory_server.cli_env()).out)
    [note] = [n for n in document["notes"] if n["rule_id"] == "code-mfa-forces-2fa"]
    assert note["severity"] == "error" and note["acknowledged"] == reason
    assert document["summary"]["errors"] == 0

    applied = run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env())
    assert applied.code == 0, applied.out + applied.err
    assert len(ory_server.writes()) == 1


PROD = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"  # environments/prod.yaml
PLAN_SCHEMA = json.loads((REPO_ROOT / "docs" / "plan-format.schema.json").read_text())


def test_the_header_and_json_name_the_project_and_every_change_says_where_it_was_written(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.add_project(project_id=PROD)
    project = ory_server.project_document(PROD)
    env = {**ory_server.cli_env(), "LOGIN_HOOK_KEY": "k"}

    text = run("plan", "prod", env=env)
    assert text.code == 0, text.err
    header = (
        f'Environment prod: Ory Network project {PROD} "{project["name"]}" '
        f"(slug {project['slug']}, environment prod) at {ory_server.base_url}\n"
    )
    assert text.out.startswith(header)

    document = json.loads(run("plan", "prod", "--format", "json", env=env).out)
    assert document["target"] == {
        "description": header.removeprefix("Environment prod: ").rstrip("\n"),
        "kind": "ory_network",
        "project": PROD,
        "name": project["name"],
        "slug": project["slug"],
        "environment": "prod",
        "api_url": ory_server.base_url,
    }
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(document)
    files = {"environments/prod.yaml", "environments/base.yaml"}
    sources = [change["source"] for change in document["changes"]]
    assert sources and all(source is not None for source in sources)
    assert {source["file"] for source in sources} <= files
    webauthn = next(
        c for c in document["changes"] if c["pointer"] == "/selfservice/methods/webauthn/enabled"
    )
    lines = (example_repo / "environments" / "prod.yaml").read_text().splitlines()
    line = lines[webauthn["source"]["line"] - 1]
    assert line[webauthn["source"]["column"] - 1 :].startswith("enabled: true")


def test_a_kratos_file_target_is_named_by_its_path_in_the_repository(
    example_repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example_repo)  # as CI runs it; findings name files relative to it
    env = {"LOGIN_HOOK_KEY": "k"}
    text = run("plan", "local", env=env)
    assert text.out.startswith("Environment local: Kratos config file .demo/kratos.yml\n")
    markdown = run("plan", "local", "--format", "markdown", env=env).out
    document = run("plan", "local", "--format", "json", env=env).out
    assert json.loads(document)["target"] == {
        "description": "Kratos config file .demo/kratos.yml",
        "kind": "kratos_file",
        "path": ".demo/kratos.yml",
    }
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(json.loads(document))
    reset = next(c for c in json.loads(document)["changes"] if c["action"] == "reset")
    assert reset["source"]["file"] == "environments/local.yaml"  # the remove: entry
    for output in (text.out, markdown, document):
        assert str(example_repo) not in output

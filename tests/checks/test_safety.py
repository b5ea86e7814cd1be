"""Issue 4 wired end to end: official schemas, lint rules and the security gate in the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import MFA_OPTIONAL as MFA_OPTIONAL_PROFILE
from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]
MFA_OPTIONAL = MFA_OPTIONAL_PROFILE / "identity.traits.schema.json"
PROJECT = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"


CODE_MFA_WITH_EMAIL_PRESET = f"""
target: {{ory_network: {{project: {PROJECT}}}}}
identity_config:
  selfservice:
    methods:
      code: {{mfa_enabled: true}}
  identity:
    default_schema_id: preset://email
"""


def test_forced_code_2fa_is_an_error_in_plan_and_blocks_apply(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write("environments/dev.yaml", CODE_MFA_WITH_EMAIL_PRESET)
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 1
    assert "Error [code-mfa-forces-2fa] " in planned.out
    assert "dev.yaml:5:14: identity_config.selfservice.methods.code.mfa_enabled: " in planned.out
    assert "forced to enter a one-time code sent by email" in planned.out
    assert "mfa-optional" in planned.out  # the fix names the optional-trait pattern
    applied = run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env())
    assert applied.code == 1
    assert "apply refused: the plan has 1 error(s) (code-mfa-forces-2fa)" in applied.err
    assert ory_server.writes() == []


def test_disabling_the_rule_needs_a_reason(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml",
        CODE_MFA_WITH_EMAIL_PRESET + "lint:\n  disable:\n    code-mfa-forces-2fa: ''\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert "lint.disable.code-mfa-forces-2fa: must not be empty" in result.err
    write(
        "environments/dev.yaml",
        CODE_MFA_WITH_EMAIL_PRESET
        + "lint:\n  disable:\n    code-mfa-forces-2fa: every user must use email 2FA by design\n",
    )
    assert run("validate", "dev").code == 0
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    # Still reported, marked acknowledged with the reason (issue 12): it no longer blocks.
    assert "Acknowledged [code-mfa-forces-2fa]" in planned.out
    assert "every user must use email 2FA by design" in planned.out


def test_optional_mfa_trait_passes_the_forced_2fa_rule(
    tmp_path: Path, write: Write, run: Run
) -> None:
    (tmp_path / "schemas").mkdir()
    shutil.copy(MFA_OPTIONAL, tmp_path / "schemas" / "mfa-optional.json")
    body = CODE_MFA_WITH_EMAIL_PRESET.replace(
        "default_schema_id: preset://email",
        "default_schema_id: optional\n    schemas:\n"
        "      - {id: optional, url: 'file://../schemas/mfa-optional.json'}",
    )
    write("environments/dev.yaml", body)
    result = run("validate", "dev")
    assert "code-mfa-forces-2fa" not in result.out + result.err
    assert result.code == 0, result.err


def test_official_schema_finds_a_type_error_deep_in_passthrough_config(
    write: Write, run: Run
) -> None:
    write("environments/base.yaml", "identity_config:\n  courier:\n    smtp: {from_name: Acme}\n")
    write(
        "environments/dev.yaml",
        f"""
        extends: base.yaml
        target: {{ory_network: {{project: {PROJECT}}}}}
        identity_config:
          courier:
            message_retries: five
        """,
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "Error [schema] " in result.err
        and "/environments/dev.yaml:5:5: identity_config.courier.message_retries: "
        "/courier/message_retries must be of type integer"
        in result.err
    )


def test_unknown_key_names_the_oss_schema(write: Write, run: Run) -> None:
    write("environments/dev.yaml", "identity_config:\n  selfservice:\n    flowz: {}\n")
    result = run("validate", "dev")
    assert result.code == 1
    assert "dev.yaml:3:5: identity_config.selfservice.flowz: " in result.err
    assert "unknown to the OSS Kratos config schema; did you mean `flows`?" in result.err


def test_invalid_identity_schema_is_reported_at_its_reference(
    tmp_path: Path, write: Write, run: Run
) -> None:
    write("schemas/bad.json", '{"type": "object", "properties": {"traits": {"type": "string"}}}')
    write(
        "environments/dev.yaml",
        "identity_config:\n  identity:\n    schemas:\n      - {id: bad, url: 'file://../schemas/bad.json'}\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "dev.yaml:4:19: identity_config.identity.schemas[bad].url: "
        "identity schema bad (file://../schemas/bad.json): " in result.err
    )


def test_weakening_change_is_marked_and_needs_allow_weaken(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml",
        f"""
        target: {{ory_network: {{project: {PROJECT}}}}}
        identity_config:
          selfservice:
            flows:
              settings: {{required_aal: aal1}}
            methods:
              password: {{config: {{min_password_length: 6}}}}
        """,
    )
    planned = run("plan", "dev", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert (
        '  ~ /selfservice/flows/settings/required_aal: "highest_available" -> "aal1"' in planned.out
    )
    assert "      ! weakens security: AAL downgrade highest_available → aal1" in planned.out
    assert planned.out.endswith(
        "Plan: 0 to add, 2 to change, 0 to reset.\n"
        "2 of these changes weaken security: apply needs --allow-weaken.\n"
    )

    refused = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert refused.code == 1
    assert (
        "apply refused: 2 change(s) weaken security: /selfservice/flows/settings/required_aal"
        in refused.err
    )
    assert "pass --allow-weaken" in refused.err
    assert ory_server.writes() == []

    allowed = run("apply", "dev", "--yes", "--allow-weaken", env=ory_server.cli_env())
    assert allowed.code == 0, allowed.err
    assert "2 of these changes weaken security: allowed by --allow-weaken.\n" in allowed.out
    assert "needs --allow-weaken" not in allowed.out + allowed.err  # it was given
    assert len(ory_server.writes()) == 1
    config = ory_server.stored_identity_config()
    assert config["selfservice"]["flows"]["settings"]["required_aal"] == "aal1"


def test_strengthening_change_is_not_gated(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    write(
        "environments/dev.yaml",
        f"""
        target: {{ory_network: {{project: {PROJECT}}}}}
        identity_config:
          session: {{whoami: {{required_aal: highest_available}}}}
          selfservice:
            methods:
              totp: {{enabled: true}}
        """,
    )
    result = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert result.code == 0, result.out + result.err
    assert "weakens security" not in result.out

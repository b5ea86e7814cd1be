"""Real Ory configs are accepted as they are (issue 10, items 3 and 4).

Each document is a real one from a public repository (tests/conftest.py names them; origins
in the SOURCES file beside them): written as desired state, it validates, and plans
"No changes" against the same config live. Before the models deferred to the official schema,
the quickstart's string ``after.default_browser_return_url`` failed with "must be a mapping".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from reconciler import blobs, official
from reconciler.jsontypes import canonical_bytes
from reconciler.loading import yamlio

from conftest import QUICKSTART, Run
from ory_server import OryTestServer

KRATOS = QUICKSTART.parents[2]  # the Kratos checkout the quickstart belongs to
MFA_OPTIONAL = KRATOS / "test" / "e2e" / "profiles" / "mfa-optional"


def _laid_over(base: Any, overlay: Any) -> Any:
    if not (isinstance(base, dict) and isinstance(overlay, dict)):
        return overlay
    return {**base, **{k: _laid_over(base.get(k), v) for k, v in overlay.items()}}


def _write_environment(repo: Path, name: str, document: dict[str, Any]) -> None:
    # JSON is YAML: the document goes in unchanged, whatever its shape.
    (repo / "environments").mkdir(exist_ok=True)
    (repo / "environments" / f"{name}.yaml").write_text(json.dumps(document, indent=1))


def test_an_ory_network_project_as_desired_state_validates_and_plans_no_changes(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # The test server is seeded with the Ory CLI fixture project; its live config, exactly as
    # GET /projects/{id} returns it, is what a user copies into their file.
    live = ory_server.project_document()["services"]["identity"]["config"]
    target = {"ory_network": {"project": ory_server.project_id}}
    _write_environment(tmp_path, "prod", {"target": target, "identity_config": live})
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
    }
    validated = run("validate", "prod")
    assert validated.code == 0, validated.err
    planned = run("plan", "prod", "--detailed-exitcode", env=env)
    assert planned.code == 0, planned.out + planned.err
    assert planned.out.endswith("No changes.\n")


def test_a_self_hosted_kratos_config_as_desired_state_validates_and_plans_no_changes(
    tmp_path: Path, run: Run
) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(QUICKSTART / "email-password" / "identity.schema.json", deploy)
    # The schema's path is the deployment's; everything else stays as published.
    text = (
        (QUICKSTART / "email-password" / "kratos.yml")
        .read_text()
        .replace("file:///etc/config/kratos/identity.schema.json", "file://identity.schema.json")
    )
    (deploy / "kratos.yml").write_text(text)
    desired = yamlio.load_with_positions(text).data
    assert isinstance(desired, dict)
    desired["identity"]["schemas"][0]["url"] = "file://../deploy/identity.schema.json"  # type: ignore[index,call-overload]
    kratos_file = {"kratos_file": {"path": "../deploy/kratos.yml"}}
    _write_environment(tmp_path, "local", {"target": kratos_file, "identity_config": desired})
    validated = run("validate", "local")
    assert validated.code == 0, validated.err
    assert "Error" not in validated.err
    planned = run("plan", "local", "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err


def test_an_e2e_profile_as_a_partial_environment_validates_and_plans_no_changes(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # An e2e profile is an overlay (no dsn, no default_browser_return_url): exactly what a
    # partial environment is. Its identity schema travels as base64:// like any other.
    profile = yamlio.load_with_positions((MFA_OPTIONAL / ".kratos.yml").read_text()).data
    assert isinstance(profile, dict)
    content = (MFA_OPTIONAL / "identity.traits.schema.json").read_bytes()
    profile["identity"]["schemas"][0]["url"] = blobs.encode(canonical_bytes(json.loads(content)))  # type: ignore[index,call-overload]
    # Live is the profile laid over a real base config (the quickstart), as e2e lays it.
    base = yamlio.load_with_positions((QUICKSTART / "email-password" / "kratos.yml").read_text())
    project = ory_server.add_project(_laid_over(base.data, profile))
    target = {"ory_network": {"project": project}}
    _write_environment(tmp_path, "staging", {"target": target, "identity_config": profile})
    validated = run("validate", "staging")
    assert validated.code == 0, validated.err
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
    }
    planned = run("plan", "staging", "--detailed-exitcode", env=env)
    assert planned.code == 0, planned.out + planned.err


def test_the_corpus_uses_the_shapes_the_strict_models_refused() -> None:
    """Guards the two tests above against a corpus that no longer exercises the fix."""
    quickstart = yamlio.load_with_positions(
        (QUICKSTART / "email-password" / "kratos.yml").read_text()
    )
    flows: Any = quickstart.data["selfservice"]["flows"]  # type: ignore[index,call-overload]
    assert isinstance(flows["logout"]["after"]["default_browser_return_url"], str)


def test_sms_without_a_channel_is_a_warning_for_a_config_kratos_accepts(
    tmp_path: Path, run: Run
) -> None:
    # Issue 22: the phone-password quickstart verifies phones by SMS; without its courier
    # channel Kratos still starts and signs people up (the SMS wait, then are abandoned).
    source = Path(__file__).parents[1] / "fixtures" / "corpus" / "quickstart-phone-password"
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(source / "identity.schema.json", deploy)
    document = yamlio.load_with_positions((source / "kratos.yml").read_text()).data
    assert isinstance(document, dict)
    del document["courier"]  # holds nothing but the sms channel
    document["identity"]["schemas"][0]["url"] = "file://identity.schema.json"  # type: ignore[index,call-overload]
    (deploy / "kratos.yml").write_text(json.dumps(document, indent=1))
    document["identity"]["schemas"][0]["url"] = "file://../deploy/identity.schema.json"  # type: ignore[index,call-overload]
    kratos_file = {"kratos_file": {"path": "../deploy/kratos.yml"}}
    _write_environment(tmp_path, "local", {"target": kratos_file, "identity_config": document})
    validated = run("validate", "local")
    assert validated.code == 0, validated.out + validated.err
    assert "Warning [sms-without-channel]" in validated.out + validated.err
    planned = run("plan", "local", "--detailed-exitcode")
    assert planned.code == 0, planned.out + planned.err


def _oidc_claims_examples() -> list[Any]:
    """The official schema's own examples of OIDC ``requested_claims`` (nulls included)."""
    schema = json.loads(official.KRATOS_RELEASE_CONFIG.read_text(encoding="utf-8"))
    examples = schema["definitions"]["OIDCClaims"]["examples"]
    assert any(None in claims.values() for example in examples for claims in example.values())
    return list(examples)


def test_requested_claims_as_the_official_schema_defines_them_plan_and_converge(
    tmp_path: Path, run: Run, ory_server: OryTestServer
) -> None:
    # Issue 22: every null was refused, the form the official schema defines included. Where
    # the schema names null as a value it is one: sent, stored and compared like any other.
    providers = [
        {
            "id": f"idp-{index}",
            "provider": "generic",
            "client_id": "reconciler-test",
            "client_secret": "${OIDC_CLIENT_SECRET}",
            "issuer_url": "https://idp.example.test/",
            "mapper_url": blobs.encode(b"function(ctx) { identity: { traits: {} } }"),
            "requested_claims": claims,
        }
        for index, claims in enumerate(_oidc_claims_examples())
    ]
    oidc = {"enabled": True, "config": {"providers": providers}}
    config = {"selfservice": {"methods": {"oidc": oidc}}}
    target = {"ory_network": {"project": ory_server.project_id}}
    _write_environment(tmp_path, "dev", {"target": target, "identity_config": config})
    env = {
        "ORY_WORKSPACE_API_KEY": ory_server.workspace_key,
        "ORY_CONSOLE_API_URL": ory_server.base_url,
        "OIDC_CLIENT_SECRET": "oidc-secret-1234",
    }
    validated = run("validate", "dev", env=env)
    assert validated.code == 0, validated.out + validated.err
    applied = run("apply", "dev", "--yes", env=env)
    assert applied.code == 0, applied.out + applied.err
    stored = ory_server.stored_identity_config()["selfservice"]["methods"]["oidc"]
    assert stored["config"]["providers"][0]["requested_claims"]["id_token"]["email"] is None
    again = run("plan", "dev", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err


def test_a_null_the_schema_does_not_name_is_an_error_where_it_was_written(
    tmp_path: Path, run: Run, write: Any
) -> None:
    # In an overlay as anywhere: null never means delete (remove: resets a key).
    claims = _oidc_claims_examples()[1]
    provider = {"id": "idp", "provider": "generic", "client_id": "c", "requested_claims": claims}
    oidc = json.dumps({"config": {"providers": [provider]}})
    write(
        "environments/base.yaml",
        "identity_config:\n  selfservice:\n    methods:\n"
        f"      totp: {{config: {{issuer: Acme}}}}\n      oidc: {oidc}\n",
    )
    project = "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
    write(
        "environments/dev.yaml",
        f"extends: base.yaml\ntarget: {{ory_network: {{project: {project}}}}}\n"
        "identity_config:\n  selfservice:\n    methods:\n      totp:\n        config:\n"
        "          issuer:\n",
    )
    result = run("validate", "dev")
    assert result.code == 1
    assert (
        "environments/dev.yaml:8:11: identity_config.selfservice.methods.totp"
        ".config.issuer: empty (null) value; to reset a key to the server default list it "
        "under remove:" in result.out + result.err
    )
    assert (result.out + result.err).count("empty (null) value") == 1  # requested_claims: fine

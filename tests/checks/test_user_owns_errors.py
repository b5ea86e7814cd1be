"""Only what the user wrote can fail the user (issue 10, item 4).

A schema problem in a value only live has is a warning attributed to the live path; Ory
presets are never checked as identity schemas; an identity schema referenced by an https://
URL equals itself, so plan converges.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.jsontypes import JSONObject

from conftest import Run
from ory_server import OryTestServer, fixture_identity_config

Write = Callable[[str, str], Path]

# Traits without properties: the identity meta-schema wants at least one (minProperties: 1),
# as a preset like preset://blank may not have.
TRAITLESS: JSONObject = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"traits": {"type": "object", "properties": {}}},
}


def _target(project: str) -> str:
    return f"target:\n  ory_network:\n    project: {project}\n"


# A hook container no shipped shape knows, as Ory Network could return it tomorrow
# (device authentication is a Network method; no real document holds this container yet).
FUTURE_KEY = "/selfservice/flows/login/after/deviceauthn"


def _add_future_key(config: JSONObject) -> None:
    after: Any = config["selfservice"]
    for key in ("flows", "login", "after"):
        after = after[key]
    after["deviceauthn"] = {"hooks": []}


def test_a_key_only_live_holds_is_no_problem_at_all(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    # The live project is the authority on which keys exist (issue 22): a key it returns is
    # neither an error nor a warning, even one the shipped Network shape does not know.
    ory_server.console_edit(_add_future_key, normalise=False)
    write(
        "environments/prod.yaml",
        _target(ory_server.project_id)
        + "identity_config:\n  selfservice:\n    flows:\n      login:\n        after:\n"
        "          hooks: []\n",
    )
    planned = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert "deviceauthn" not in planned.out + planned.err
    assert "Warning" not in planned.out + planned.err


def test_the_same_key_declared_by_the_user_plans_because_live_holds_it(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.console_edit(_add_future_key, normalise=False)
    declared = (
        "identity_config:\n  selfservice:\n    flows:\n      login:\n        after:\n"
        "          deviceauthn: {hooks: []}\n"
    )
    write("environments/prod.yaml", _target(ory_server.project_id) + declared)
    planned = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 0, planned.out + planned.err
    assert "Warning" not in planned.out + planned.err
    # Offline, without live to ask, the shipped shape decides: it does not know this key.
    checked = run("validate", "prod")
    assert checked.code == 1
    assert "prod.yaml:9:11: identity_config.selfservice.flows.login.after.deviceauthn: " in (
        checked.err
    )


def test_a_key_live_lacks_is_still_an_error_when_the_user_writes_it(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    declared = (
        "identity_config:\n  selfservice:\n    flows:\n      login:\n        after:\n"
        "          deviceauthn: {hooks: []}\n"
    )
    write("environments/prod.yaml", _target(ory_server.project_id) + declared)
    planned = run("plan", "prod", env=ory_server.cli_env())
    assert planned.code == 1
    said = planned.out + planned.err
    assert "Error [schema] " in said
    assert "prod.yaml:9:11: identity_config.selfservice.flows.login.after.deviceauthn: " in said
    assert ory_server.writes() == []


def test_network_keys_real_documents_hold_are_valid_when_the_user_writes_them(
    write: Write, run: Run
) -> None:
    # `export` writes these (they are in every real Network document since 2025): its own
    # `validate` accepts them.
    write(
        "environments/prod.yaml",
        "identity_config:\n  selfservice:\n    flows:\n      login:\n        after:\n"
        "          saml: {hooks: []}\n    methods:\n      captcha:\n"
        "        config: {provider: cf-turnstile}\n",
    )
    result = run("validate", "prod")
    assert result.code == 0, result.err
    assert "Warning" not in result.out + result.err


def _schema_entry(schema_id: str, document: JSONObject) -> str:
    url = "base64://" + base64.b64encode(json.dumps(document).encode()).decode()
    return f"      - id: {schema_id}\n        url: {url}\n"


def test_presets_are_never_reported_as_invalid_identity_schemas(write: Write, run: Run) -> None:
    head = "identity_config:\n  identity:\n    default_schema_id: preset://blank\n    schemas:\n"
    write("environments/dev.yaml", head + _schema_entry("preset://blank", TRAITLESS))
    assert run("validate", "dev").code == 0
    # The same content under a custom id is checked, and fails: the check is not switched off.
    write("environments/dev.yaml", head + _schema_entry("custom", TRAITLESS))
    result = run("validate", "dev")
    assert result.code == 1 and "Error [identity-schema]" in result.err


def test_a_schema_referenced_by_https_url_equals_itself(
    write: Write, run: Run, ory_server: OryTestServer
) -> None:
    url = "https://schemas.acme.test/customer.schema.json"
    config = fixture_identity_config()
    config["identity"] = {
        "default_schema_id": "customer",
        "schemas": [{"id": "customer", "url": url}],
    }
    project = ory_server.add_project(config)
    write(
        "environments/prod.yaml",
        _target(project) + "identity_config:\n  identity:\n    default_schema_id: customer\n"
        f"    schemas:\n      - id: customer\n        url: {url}\n"
        "  selfservice:\n    methods:\n      totp:\n        enabled: true\n",
    )
    planned = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert planned.code == 2, planned.err
    assert "identity/schemas" not in planned.out  # only the totp switch changes
    applied = run("apply", "prod", "--yes", env=ory_server.cli_env())
    assert applied.code == 0, applied.out + applied.err
    again = run("plan", "prod", "--detailed-exitcode", env=ory_server.cli_env())
    assert again.code == 0, again.out + again.err

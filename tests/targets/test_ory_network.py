"""End to end against the local Ory project API server (tests/ory_server.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler import blobs
from reconciler.checks.kratos_schema import for_target
from reconciler.comparing.diff import compute_diff
from reconciler.errors import ConflictError
from reconciler.jsontypes import JSONObject, JSONValue, get_at
from reconciler.services.registry import IDENTITY
from reconciler.targets.client import OryClient
from reconciler.targets.ory_network import OryNetworkProject, shows_changes
from reconciler.targets.retry import RetryPolicy
from reconciler.usecases import applying, planning, steps

from conftest import Run, identity_rules
from ory_server import OryTestServer

HOOK_KEY = "hook-key-for-tests"
PROD_PROJECT = "2d3f6a1e-5b7c-4c8d-9e0f-1a2b3c4d5e6f"


def _env(server: OryTestServer, key: str | None = None) -> dict[str, str]:
    return {
        "ORY_WORKSPACE_API_KEY": key or server.workspace_key,
        "ORY_CONSOLE_API_URL": server.base_url,
        "LOGIN_HOOK_KEY": HOOK_KEY,
    }


def _write_env(repo: Path, name: str, body: str, project: str) -> None:
    text = f"extends: base.yaml\ntarget:\n  ory_network:\n    project: {project}\n{body}"
    (repo / "environments" / f"{name}.yaml").write_text(text)


VARIED = {
    "durations-and-hooks": """
identity_config:
  selfservice:
    flows:
      login:
        lifespan: 2h
        after:
          password:
            hooks:
              - hook: require_verified_address
          hooks:
            - hook: web_hook
              config:
                url: https://hooks.acme.test/login
                method: POST
                body: file://../hooks/login.jsonnet
                auth:
                  type: api_key
                  config: {name: X-Api-Key, value: "${LOGIN_HOOK_KEY}", in: header}
""",
    "aal-and-methods": """
identity_config:
  selfservice:
    methods:
      code: {mfa_enabled: false, passwordless_enabled: true}
      webauthn:
        enabled: true
        config: {passwordless: false, rp: {id: acme.test, display_name: Acme, origins: [https://acme.test]}}
    flows:
      settings: {required_aal: aal1}
  session: {whoami: {required_aal: aal1}, lifespan: 24h}
""",
    "remove-and-courier": """
identity_config:
  courier:
    smtp:
      from_name: Acme Security
      connection_uri: "smtps://acme:${LOGIN_HOOK_KEY}@mail.acme.test:465"
remove:
  - /selfservice/methods/password/config/max_breaches
""",
    "new-schema-as-default": """
identity_config:
  identity:
    default_schema_id: customer-v1
    schemas:
      - id: customer-v1
        url: file://../schemas/customer-v1.schema.json
        selfservice_selectable: true
""",
}


@pytest.mark.parametrize("body", [VARIED[k] for k in sorted(VARIED)], ids=sorted(VARIED))
def test_apply_then_plan_has_no_changes(
    example_repo: Path, run: Run, ory_server: OryTestServer, body: str
) -> None:
    _write_env(example_repo, "varied", body, ory_server.project_id)
    before = ory_server.stored_identity_config()

    planned = run("plan", "varied", "--detailed-exitcode", env=_env(ory_server))
    assert planned.code == 2, planned.err
    assert ory_server.writes() == []  # plan never writes

    applied = run("apply", "varied", "--yes", "--allow-weaken", env=_env(ory_server))
    assert applied.code == 0, applied.out + applied.err
    assert len(ory_server.writes()) == 1

    again = run("plan", "varied", "--detailed-exitcode", env=_env(ory_server))
    assert again.code == 0, again.out + again.err
    assert again.out.endswith("No changes.\n")

    after = ory_server.stored_identity_config()
    _assert_unmanaged_untouched(before, after, planned.out)
    for output in (planned, applied, again):
        assert HOOK_KEY not in output.out + output.err
        assert ory_server.workspace_key not in output.out + output.err


def _assert_unmanaged_untouched(
    before: dict[str, Any], after: dict[str, Any], plan_text: str
) -> None:
    changed = [
        # a list element's fields read /…/hooks[web_hook https://…].config.body
        line.split()[1].rstrip(":").split("[")[0]
        for line in plan_text.splitlines()
        if line[:4] in ("  + ", "  ~ ", "  - ")
    ]
    for pointer in _leaves(before):
        if any(pointer.startswith(c.removesuffix("/-")) for c in changed):
            continue
        assert get_at(after, pointer) == get_at(before, pointer), pointer


def _leaves(value: Any, pointer: str = "") -> list[str]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaves(v, f"{pointer}/{k}")]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaves(v, f"{pointer}/{i}")]
    return [pointer]


def test_example_environments_converge(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    ory_server.add_project(project_id=PROD_PROJECT)
    env = _env(ory_server)
    for name in ("dev", "local", "prod"):
        assert run("apply", name, "--yes", env=env).code == 0
    result = run("plan", "--all", "--detailed-exitcode", env=env)
    assert result.code == 0, result.out + result.err
    # Every environment with a target (base.yaml has none) has converged.
    assert result.out.count("No changes.") == 3


def test_requests_per_operation(example_repo: Path, run: Run, ory_server: OryTestServer) -> None:
    env = _env(ory_server)
    ory_server.clear_requests()
    assert run("plan", "dev", env=env).code == 0
    assert [(r.method, r.path) for r in ory_server.requests] == [
        ("GET", f"/projects/{ory_server.project_id}")
    ]
    ory_server.clear_requests()
    assert run("apply", "dev", "--yes", env=env).code == 0
    revision_path = next(r.path for r in ory_server.requests if r.method == "PATCH")
    assert [r.method for r in ory_server.requests] == ["GET", "PATCH"]
    assert revision_path.startswith(f"/projects/{ory_server.project_id}/revision/")
    patch = ory_server.requests[1]
    assert patch.headers["authorization"] == f"Bearer {ory_server.workspace_key}"
    assert isinstance(patch.json_body, list)
    assert all(op["path"].startswith("/services/identity/config/") for op in patch.json_body)


def test_project_changed_since_plan_is_refused(
    example_repo: Path, ory_server: OryTestServer
) -> None:
    settings = steps.Settings(root=example_repo, environ=_env(ory_server))
    valid = steps.load("dev", settings)
    target = steps.open_target(valid, settings)
    plan = planning.plan_environment(valid, target, settings)

    def console_change(config: dict[str, Any]) -> None:
        config["selfservice"]["methods"]["lookup_secret"]["enabled"] = True

    ory_server.console_edit(console_change)
    edited = ory_server.stored_identity_config()
    with pytest.raises(
        ConflictError, match=r"changed since this plan was made.*nothing was changed"
    ):
        applying.apply_plan(plan, valid, target, settings)
    assert ory_server.stored_identity_config() == edited
    target.close()


def test_a_409_that_is_not_a_stale_revision_shows_orys_message(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    # ory-network-behaviour.md §1.1: Ory answers 409 for an identity schema in use as well.
    body = {
        "error": {
            "code": 409,
            "status": "Conflict",
            "message": "The identity schema is in use by identities (in_use_by_identity)",
        }
    }
    ory_server.fail_next(409, body=body, methods=("PATCH",))
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 1
    assert (
        "the Ory API refused the change (409 Conflict): The identity schema is in use by "
        "identities (in_use_by_identity); nothing was changed."
    ) in result.err
    assert "changed since this plan" not in result.err
    assert ory_server.applied_patches == []


def test_console_drift_shows_up_in_the_next_plan(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    env = _env(ory_server)
    assert run("apply", "dev", "--yes", env=env).code == 0

    def downgrade(config: dict[str, Any]) -> None:
        config["session"]["whoami"]["required_aal"] = "aal1"

    ory_server.console_edit(downgrade)
    result = run("plan", "dev", env=env)
    assert '  ~ /session/whoami/required_aal: "aal1" -> "highest_available"' in result.out
    assert "Plan: 0 to add, 1 to change, 0 to reset." in result.out


def test_remove_resets_to_the_server_default(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    def disable_password(config: dict[str, Any]) -> None:
        config["selfservice"]["methods"]["password"]["enabled"] = False

    ory_server.console_edit(disable_password)
    _write_env(
        example_repo,
        "reset",
        "remove:\n  - /selfservice/methods/password/enabled\n",
        ory_server.project_id,
    )
    env = _env(ory_server)
    planned = run("plan", "reset", env=env)
    assert "  - /selfservice/methods/password/enabled: false -> true (reset)" in planned.out
    assert run("apply", "reset", "--yes", env=env).code == 0
    assert (
        ory_server.stored_identity_config()["selfservice"]["methods"]["password"]["enabled"] is True
    )
    assert run("plan", "reset", "--detailed-exitcode", env=env).code == 0


@pytest.mark.parametrize(
    ("status", "key", "expected"),
    [
        (None, "ory_wak_wrong", "rejected the API key (401 Unauthorized)"),
        (
            None,
            "project",
            "holds a project API key (ory_pat_… / ory_apikey_…), which cannot read or change",
        ),
        (429, None, "rate limiting requests (429); try again in 7 s (gave up after 8 attempts)"),
        (500, None, "the Ory API failed (500)"),
        (503, None, "the Ory API failed (503)"),
    ],
)
def test_api_errors_are_one_clear_message_and_no_write(
    example_repo: Path,
    run: Run,
    ory_server: OryTestServer,
    status: int | None,
    key: str | None,
    expected: str,
) -> None:
    if status is not None:
        # Every attempt fails: reads are retried (tests/targets/test_faults.py covers recovery).
        policy = RetryPolicy()
        times = policy.rate_limit_retries + 1 if status == 429 else policy.attempts
        ory_server.fail_next(status, headers={"x-ratelimit-reset": "7"}, times=times)
    api_key = ory_server.project_key if key == "project" else key
    result = run("apply", "dev", "--yes", env=_env(ory_server, api_key))
    assert result.code == 1
    assert expected in result.err
    assert "Traceback" not in result.err
    assert ory_server.writes() == []
    assert (api_key or ory_server.workspace_key) not in result.out + result.err


def test_unknown_project_is_404_with_a_hint(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    _write_env(example_repo, "ghost", "", "00000000-0000-4000-8000-000000000000")
    result = run("plan", "ghost", env=_env(ory_server))
    assert result.code == 1
    assert "project 00000000-0000-4000-8000-000000000000 was not found (404)" in result.err


def test_patch_failing_twice_with_5xx_says_nothing_was_changed(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    revision = ory_server.revision()
    ory_server.fail_next(502, methods=("PATCH",), times=2)
    result = run("apply", "dev", "--yes", env=_env(ory_server))
    assert result.code == 1
    assert "the Ory API failed (502)" in result.err
    assert f"nothing was changed: project {ory_server.project_id} is still at revision" in (
        result.err
    )
    assert len(ory_server.writes()) == 2
    assert ory_server.revision() == revision


def test_server_warnings_are_returned_with_the_new_state(ory_server: OryTestServer) -> None:
    with OryClient(ory_server.base_url, ory_server.workspace_key) as client:
        target = OryNetworkProject(client, ory_server.project_id)
        live = target.fetch()
        outcome = target.apply(
            [("identity", {"op": "replace", "path": "/cookies/domain", "value": "evil.test"})],
            live.revision,
        )
    assert "Configuration key `cookies.domain` can not be set and will be ignored." in (
        outcome.warnings
    )
    assert len(outcome.warnings) == 5  # Ory sends the same five on every write
    assert outcome.state.revision == ory_server.revision() != live.revision
    assert "ory_wak" not in repr(client)


def test_web_hook_converges_with_the_shipped_schema(
    example_repo: Path, run: Run, ory_server: OryTestServer
) -> None:
    # The server fills in web hook defaults (emit_analytics_event, can_interrupt); the schema
    # shipped in the package names them, so keys the user did not write do not make the plan
    # flap, and no override is needed.
    env = _env(ory_server)
    _write_env(example_repo, "hooked", VARIED["durations-and-hooks"], ory_server.project_id)
    assert run("apply", "hooked", "--yes", "--allow-weaken", env=env).code == 0
    stored = ory_server.stored_identity_config()
    hook = stored["selfservice"]["flows"]["login"]["after"]["hooks"][0]
    assert "emit_analytics_event" in hook["config"]  # the server did add a default
    again = run("plan", "hooked", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err
    assert "[schema]" not in again.out and "not configured" not in again.out, again.out


def test_the_apply_judge_agrees_with_the_planner(ory_server: OryTestServer) -> None:
    # After an apply whose answer was lost, OryNetworkProject._judge decides from a re-read
    # whether it landed. It must compare as the planner does (values.StoredEquality): the
    # stored hook body equals the sent base64:// only by digest, and the server fills in hook
    # defaults; but a hook someone else changed right after our PATCH does not show our plan.
    hooks_at = "/selfservice/flows/login/after/hooks"
    body = blobs.encode(b"function(ctx) { user: ctx.identity.id }")
    hooks: JSONValue = [
        {
            "hook": "web_hook",
            "config": {"url": "https://hooks.acme.test/login", "method": "POST", "body": body},
        }
    ]
    operations: list[JSONObject] = [{"op": "add", "path": hooks_at, "value": hooks}]
    desired: JSONObject = {"selfservice": {"flows": {"login": {"after": {"hooks": hooks}}}}}
    rules = identity_rules(default_at=for_target("ory_network").default_at, defaults_complete=True)
    sent = [("identity", operation) for operation in operations]
    equality = {"identity": rules}
    with OryClient(ory_server.base_url, ory_server.workspace_key) as client:
        target = OryNetworkProject(client, ory_server.project_id, equality)
        applied = target.apply(sent, target.fetch().revision).state
        assert compute_diff(desired, applied.of(IDENTITY), (), rules).changes == ()
        assert shows_changes(sent, applied, equality)

        interrupt = f"/services/identity/config{hooks_at}/0/config/can_interrupt"
        other_writer: list[JSONObject] = [{"op": "replace", "path": interrupt, "value": True}]
        client.patch_project(ory_server.project_id, applied.revision, other_writer)
        changed = target.fetch()
    assert compute_diff(desired, changed.of(IDENTITY), (), rules).changes != ()
    assert not shows_changes(sent, changed, equality)

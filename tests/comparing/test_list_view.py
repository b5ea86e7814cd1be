"""Issue 12 items 4 and 10: list changes read element by element, field by field, with the
same names in findings; the JSON Patch sent stays the whole-list replace it always was.

Live documents are the Ory CLI fixture project (tests/fixtures/SOURCES.md); hooks, providers
and schemas are shaped as Ory's docs and the fixture write them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler import blobs
from reconciler.checks.kratos_schema import for_target
from reconciler.checks.lint import lint
from reconciler.comparing import list_view
from reconciler.comparing.diff import compute_diff
from reconciler.jsontypes import JSONObject
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.services.registry import IDENTITY
from reconciler.views import text as views

from conftest import FIXTURE_PROJECT, identity_rules

HOOKS = "/selfservice/flows/login/after/hooks"
LOGIN_URL = "https://hooks.acme.test/login"
OLD_BODY = blobs.encode(b"function(ctx) { identity: ctx.identity }\n")
NEW_BODY = blobs.encode(b"function(ctx) { identity: ctx.identity, flow: ctx.flow }\n")


def live_config() -> Any:
    project = json.loads(FIXTURE_PROJECT.read_text())
    return copy.deepcopy(project["services"]["identity"]["config"])


def web_hook(url: str, body: str, **extra: Any) -> JSONObject:
    return {"hook": "web_hook", "config": {"url": url, "method": "POST", "body": body, **extra}}


def planned(desired: Any, live: Any, **plan: Any) -> Plan:
    default_at = for_target("ory_network").default_at
    rules = identity_rules(default_at=default_at, defaults_complete=True)
    diff = compute_diff(desired, live, (), rules)
    return make_plan(
        "dev", "test", "rev", {"identity": diff}, default_at={"identity": default_at}, **plan
    )


def with_hooks(config: Any, hooks: list[Any]) -> Any:
    config["selfservice"]["flows"]["login"]["after"]["hooks"] = hooks
    return config


def change_lines(plan: Plan) -> list[str]:
    return [line for index in range(len(plan.changes)) for line in views.change_lines(plan, index)]


def test_a_changed_hook_body_is_one_field_line_and_the_patch_still_replaces_the_list() -> None:
    # The server fills in emit_analytics_event and can_interrupt (their Kratos defaults).
    live = with_hooks(
        live_config(),
        [
            {"hook": "require_verified_address"},
            web_hook(LOGIN_URL, OLD_BODY, emit_analytics_event=True, can_interrupt=False),
        ],
    )
    desired_hooks = [{"hook": "require_verified_address"}, web_hook(LOGIN_URL, NEW_BODY)]
    desired = with_hooks({"selfservice": {"flows": {"login": {"after": {}}}}}, desired_hooks)
    plan = planned(
        desired,
        live,
        file_refs={"identity": {f"{HOOKS}/1/config/body": "file://../hooks/login.jsonnet"}},
    )
    old, new = blobs.digest_of(OLD_BODY) or "", blobs.digest_of(NEW_BODY) or ""
    assert change_lines(plan) == [
        f"~ {HOOKS}[web_hook {LOGIN_URL}].config.body: sha512:{old[:12]}… -> "
        f"file://../hooks/login.jsonnet (sha512:{new[:12]}…)"
    ]
    assert plan.operations == ({"op": "replace", "path": HOOKS, "value": desired_hooks},)


def test_hooks_added_removed_and_reordered_are_named_by_hook_and_url() -> None:
    other = "https://hooks.acme.test/audit"
    live = with_hooks(
        live_config(), [web_hook(LOGIN_URL, OLD_BODY), web_hook(other, OLD_BODY), {"hook": "x"}]
    )
    desired = with_hooks(
        {"selfservice": {"flows": {"login": {"after": {}}}}},
        [web_hook(other, OLD_BODY), web_hook(LOGIN_URL, OLD_BODY), {"hook": "session"}],
    )
    lines = change_lines(planned(desired, live))
    assert f'+ {HOOKS}[session].hook: "session"' in lines
    assert f'- {HOOKS}[x].hook: "x"' in lines
    assert (
        f"~ {HOOKS} (order): web_hook {LOGIN_URL}, web_hook {other} -> "
        f"web_hook {other}, web_hook {LOGIN_URL}"
    ) in lines
    assert not any("body" in line for line in lines)  # the same content: nothing to say


def test_oidc_providers_are_matched_by_id() -> None:
    providers = "/selfservice/methods/oidc/config/providers"
    google = {
        "id": "google",
        "provider": "google",
        "client_id": "old",
        "mapper_url": "base64://e30=",
    }
    github = {"id": "github", "provider": "github", "client_id": "gh"}
    live = live_config()
    live["selfservice"]["methods"]["oidc"]["config"]["providers"] = [github, google]
    desired = {
        "selfservice": {
            "methods": {"oidc": {"config": {"providers": [{**google, "client_id": "new"}, github]}}}
        }
    }
    lines = change_lines(planned(desired, live))
    assert f'~ {providers}[google].client_id: "old" -> "new"' in lines
    assert f"~ {providers} (order): github, google -> google, github" in lines


def test_a_live_schema_is_labelled_by_the_live_entry_not_the_desired_entry_at_its_index() -> None:
    # Live: [preset://username, beb7…, preset://email]; desired lists email second, so the
    # desired entry at live email's index (2) is customer-v1 (issue 12: the live value was
    # labelled with customer-v1's file).
    live = live_config()
    email = json.loads(blobs.decode(live["identity"]["schemas"][2]["url"]) or b"")
    email["properties"]["traits"]["properties"]["nickname"] = {"type": "string"}
    edited = blobs.encode(json.dumps(email).encode())
    customer = blobs.encode(b'{"type": "object"}')
    desired = {
        "identity": {
            "default_schema_id": "preset://email",
            "schemas": [
                live["identity"]["schemas"][0],
                {"id": "preset://email", "url": edited},
                {"id": "customer-v1", "url": customer},
            ],
        }
    }
    refs = {
        "/identity/schemas/1/url": "file://../schemas/preset-email.schema.json",
        "/identity/schemas/2/url": "file://../schemas/customer-v1.schema.json",
    }
    lines = change_lines(planned(desired, live, file_refs={"identity": refs}))
    live_digest = blobs.digest_of(live["identity"]["schemas"][2]["url"]) or ""
    edited_digest = blobs.digest_of(edited) or ""
    assert (
        f"~ /identity/schemas[preset://email].url: sha512:{live_digest[:12]}… -> "
        f"file://../schemas/preset-email.schema.json (sha512:{edited_digest[:12]}…)"
    ) in lines
    assert "+ /identity/schemas[customer-v1].url: file://../schemas/customer-v1.schema.json" in (
        " ".join(lines)
    )
    assert not any(".id:" in line for line in lines)  # the label names it already
    assert not any("customer-v1.schema.json" in line and "->" in line for line in lines)


def test_findings_name_hooks_as_the_plan_does() -> None:
    hook = web_hook(LOGIN_URL, OLD_BODY, response={"ignore": True, "parse": True})
    desired = with_hooks(
        {"selfservice": {"flows": {"login": {"after": {}}}}}, [{"hook": "session"}, hook]
    )
    [finding] = [
        f for f in lint(IDENTITY, desired, None) if f.rule_id == "webhook-response-conflict"
    ]
    assert finding.message.startswith(f"{HOOKS}[web_hook {LOGIN_URL}]: response.ignore is true")


def test_labelled_keys_name_elements_by_identity_and_fall_back_to_the_index() -> None:
    document: Any = {"identity": {"schemas": [{"id": "preset://email"}]}, "list": [{"x": 1}]}
    assert (
        list_view.labelled_key("/identity/schemas/0/url", document)
        == "identity.schemas[preset://email].url"
    )
    assert list_view.labelled_key("/list/0/x", document) == "list[0].x"
    assert list_view.labelled_pointer("/list/0/x", document) == "/list/0/x"

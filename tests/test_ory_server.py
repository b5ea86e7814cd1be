"""Tests for the Ory Network console API test server (tests/ory_server.py).

Responses are checked against the component schemas of the Ory OpenAPI spec v1.22.65
(tests/fixtures/ory-sdk/spec-subset.json); transformations against
shared/docs/ory-api.md §1a.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from ory_behaviour import ReadRules

from ory_server import (
    DEFAULT_STORAGE_BASE,
    OryTestServer,
    fixture_identity_config,
    format_go_duration,
    normalise_duration,
    parse_go_duration,
)
from ory_server import ory_server as ory_server_fixture  # noqa: F401 - registers the fixture

# The local Ory API itself is what every test here checks.
pytestmark = pytest.mark.ory_server

# The part of ory/sdk spec/client/v1.22.65.json these tests read (fixtures/SOURCES.md).
SPEC = Path(__file__).resolve().parent / "fixtures" / "ory-sdk" / "spec-subset.json"
IC = "/services/identity/config"
FIXED_WARNINGS = [
    {"code": 0, "message": f"Configuration key `{key}` can not be set and will be ignored."}
    for key in (
        "serve.*",
        "cookies.path",
        "cookies.domain",
        "session.cookie.domain",
        "session.cookie.name",
    )
]
Ops = list[dict[str, Any]]


# --------------------------------------------------------------------------- helpers


def _nullable_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema ``type: [T, "null"]``."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_to_jsonschema(value) for key, value in node.items()}
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@functools.cache
def _spec_components() -> dict[str, Any]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    components: dict[str, Any] = _nullable_to_jsonschema(spec["components"])
    return components


def assert_matches_spec(name: str, payload: Any) -> None:
    """Validate ``payload`` against ``#/components/schemas/<name>`` of the OpenAPI spec."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _spec_components()}
    errors = [f"{e.json_path}: {e.message}" for e in Draft7Validator(schema).iter_errors(payload)]
    assert errors == [], errors


def b64(text: str, *, urlsafe: bool = False, pad: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.standard_b64encode
    encoded = encode(text.encode()).decode()
    return "base64://" + (encoded if pad else encoded.rstrip("="))


def sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


@pytest.fixture
def client(ory_server: OryTestServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {ory_server.workspace_key}"}
    with httpx.Client(base_url=ory_server.base_url, headers=headers, verify=False) as http:
        yield http


@pytest.fixture
def raw() -> Iterator[httpx.Client]:
    """A client without credentials or base URL."""
    with httpx.Client(verify=False, timeout=5) as http:
        yield http


def patch(
    http: httpx.Client, server: OryTestServer, ops: Ops, revision: str | None = None
) -> httpx.Response:
    rev = revision if revision is not None else server.revision()
    return http.patch(f"/projects/{server.project_id}/revision/{rev}", json=ops)


def patch_ok(http: httpx.Client, server: OryTestServer, ops: Ops) -> dict[str, Any]:
    response = patch(http, server, ops)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_matches_spec("successfulProjectUpdate", body)
    return body


def returned_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = body["project"]["services"]["identity"]["config"]
    return config


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert_matches_spec("errorGeneric", body)
    assert body["error"]["code"] == status
    assert body["error"]["message"]
    return body


# --------------------------------------------------------------------------- GET / PATCH


def test_get_returns_the_seeded_project_matching_the_spec(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    response = client.get(f"/projects/{ory_server.project_id}")

    assert response.status_code == 200
    project = response.json()
    assert_matches_spec("project", project)
    assert project["id"] == ory_server.project_id == "6f0cae50-182d-8f7a-afdd-f83f3fa1f30c"
    assert project["revision_id"] == ory_server.revision()
    assert project["slug"] == "silly-hofstadter-e5balirqq2"
    config = project["services"]["identity"]["config"]
    stored = ory_server.stored_identity_config()
    # courier.smtp is reported only once an SMTP URI is set (ory-network-behaviour.md §5).
    assert "connection_uri" not in stored["courier"]["smtp"] and "smtp" not in config["courier"]
    del stored["courier"]["smtp"]
    assert config == stored
    assert config["selfservice"]["flows"]["login"]["lifespan"] == "30m0s"
    assert ory_server.base_url.startswith("http://127.0.0.1:")


def test_patch_with_revision_applies_ops_and_returns_a_new_revision(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    before = ory_server.revision()
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/selfservice/methods/totp/enabled", "value": True},
        {"op": "replace", "path": "/name", "value": "Renamed"},
    ]

    body = patch_ok(client, ory_server, ops)

    assert body["warnings"] == FIXED_WARNINGS
    assert body["project"]["name"] == "Renamed"
    assert body["project"]["revision_id"] not in (before, "")
    assert body["project"]["revision_id"] == ory_server.revision()
    assert returned_config(body)["selfservice"]["methods"]["totp"]["enabled"] is True
    assert ory_server.stored_identity_config()["selfservice"]["methods"]["totp"]["enabled"]
    assert client.get(f"/projects/{ory_server.project_id}").json() == body["project"]


def test_deprecated_patch_without_revision_also_applies(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    before = ory_server.revision()
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/selfservice/methods/lookup_secret/enabled", "value": True}
    ]

    response = client.patch(f"/projects/{ory_server.project_id}", json=ops)

    assert response.status_code == 200
    assert_matches_spec("successfulProjectUpdate", response.json())
    assert ory_server.stored_identity_config()["selfservice"]["methods"]["lookup_secret"]["enabled"]
    assert ory_server.revision() != before


def test_one_patch_changes_several_services_and_the_root_in_one_revision(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # ory-api.md §1a "PUT vs PATCH semantics": RFC 6902 operations against the whole project
    # document, paths like /name, /cors_public/origins, /services/identity/config/...; the CLI
    # fixture project (GET) holds services.oauth2.config and services.permission.config beside
    # the identity config.
    before = ory_server.project_document()
    body = patch_ok(
        client,
        ory_server,
        [
            {"op": "replace", "path": "/services/identity/config/session/lifespan", "value": "1h"},
            {"op": "replace", "path": "/services/oauth2/config/ttl/access_token", "value": "2h"},
            {"op": "add", "path": "/cors_public/origins/-", "value": "https://app.acme.test"},
            {"op": "replace", "path": "/name", "value": "Acme"},
        ],
    )
    shown = body["project"]
    assert shown["revision_id"] != before["revision_id"]
    assert shown["services"]["identity"]["config"]["session"]["lifespan"] == "1h0m0s"
    # Hydra's durations are stored as Go writes them, as Kratos' are (ory-api.md §1a item 3):
    # the CLI fixture's GET holds `ttl.access_token: "1h0m0s"` where Hydra's default is `1h`,
    # and TF's projectconfig (whose attributes include the OAuth2 TTLs) says "API normalizes
    # durations (e.g. "1h" → "1h0m0s")".
    assert shown["services"]["oauth2"]["config"]["ttl"]["access_token"] == "2h0m0s"
    assert shown["cors_public"]["origins"] == ["https://app.acme.test"]
    assert shown["name"] == "Acme"
    assert shown["services"]["permission"] == before["services"]["permission"]
    assert ory_server.project_document() == shown  # the next GET shows the same document


def test_a_service_added_by_a_test_is_patched_with_the_others_and_withholds_its_keys(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    ory_server.add_service("toy", {"greeting": "hello", "token": "t0"}, withheld=(("token",),))
    assert ory_server.project_document()["services"]["toy"]["config"] == {"greeting": "hello"}
    body = patch_ok(
        client,
        ory_server,
        [{"op": "replace", "path": "/services/toy/config/greeting", "value": "hi"}],
    )
    assert body["project"]["services"]["toy"]["config"] == {"greeting": "hi"}
    assert ory_server.stored_service_config("toy") == {"greeting": "hi", "token": "t0"}
    patch_ok(
        client, ory_server, [{"op": "add", "path": "/services/toy/config/token", "value": "t1"}]
    )
    assert ory_server.stored_service_config("toy")["token"] == "t1"


def test_read_only_project_fields_cannot_be_patched(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    body = patch_ok(client, ory_server, [{"op": "replace", "path": "/slug", "value": "mine"}])

    assert body["project"]["slug"] == "silly-hofstadter-e5balirqq2"
    assert body["project"]["id"] == ory_server.project_id


def test_stale_revision_is_409_and_changes_nothing(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    stale = ory_server.revision()
    patch_ok(client, ory_server, [{"op": "replace", "path": "/name", "value": "first"}])
    current, config = ory_server.revision(), ory_server.stored_identity_config()

    ops: Ops = [{"op": "replace", "path": f"{IC}/selfservice/methods/totp/enabled", "value": True}]
    response = patch(client, ory_server, ops, revision=stale)

    body = assert_error(response, 409)
    assert "stale" in body["error"]["message"]
    assert ory_server.revision() == current
    assert ory_server.stored_identity_config() == config


def test_concurrent_patches_on_one_revision_let_exactly_one_win(
    ory_server: OryTestServer, raw: httpx.Client
) -> None:
    revision = ory_server.revision()
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {ory_server.workspace_key}"}

    def attempt(index: int) -> None:
        ops: Ops = [{"op": "replace", "path": "/name", "value": f"writer {index}"}]
        url = f"{ory_server.base_url}/projects/{ory_server.project_id}/revision/{revision}"
        statuses.append(raw.patch(url, json=ops, headers=headers).status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 409, 409, 409, 409, 409]


# --------------------------------------------------------------------------- auth / 404


def test_missing_or_unknown_key_is_401(ory_server: OryTestServer, raw: httpx.Client) -> None:
    url = f"{ory_server.base_url}/projects/{ory_server.project_id}"

    assert_error(raw.get(url), 401)
    assert_error(raw.get(url, headers={"Authorization": "Bearer ory_wak_wrong"}), 401)
    assert_error(raw.get(url, headers={"Authorization": ory_server.workspace_key}), 401)
    assert_error(raw.patch(url, json=[]), 401)


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_project_keys_are_403(ory_server: OryTestServer, raw: httpx.Client, method: str) -> None:
    before = ory_server.revision()
    url = f"{ory_server.base_url}/projects/{ory_server.project_id}"
    ops: Ops = [{"op": "replace", "path": "/name", "value": "x"}]

    for key in (ory_server.project_key, "ory_apikey_abc"):
        assert ory_server.project_key.startswith("ory_pat_")
        headers = {"Authorization": f"Bearer {key}"}
        body = assert_error(raw.request(method, url, json=ops, headers=headers), 403)
        assert "workspace API key" in body["error"]["reason"]

    assert ory_server.revision() == before


def test_unknown_project_is_404(ory_server: OryTestServer, client: httpx.Client) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    assert_error(client.get(f"/projects/{missing}"), 404)
    assert_error(
        client.patch(f"/projects/{missing}/revision/{ory_server.revision()}", json=[]), 404
    )
    assert_error(client.get("/nothing-here"), 404)


# --------------------------------------------------------------------------- 400 cases


@pytest.mark.parametrize(
    "content",
    [
        json.dumps([{"op": "remove", "path": f"{IC}/no/such/key"}]),
        json.dumps(
            [{"op": "test", "path": f"{IC}/selfservice/methods/totp/enabled", "value": False}]
        ),
        json.dumps([{"op": "move", "from": f"{IC}/session", "path": f"{IC}/session2"}]),
        json.dumps([{"op": "copy", "from": f"{IC}/session", "path": f"{IC}/session2"}]),
        json.dumps([{"op": "frobnicate", "path": "/name"}]),
        json.dumps([{"op": "add", "path": "/name"}]),
        json.dumps({"op": "replace", "path": "/name", "value": "not in an array"}),
        json.dumps([{"op": "remove", "path": "/services/identity"}]),
        "[{not json",
    ],
    ids=[
        "remove-missing-path",
        "test-op",
        "move-op",
        "copy-op",
        "unknown-op",
        "add-without-value",
        "not-an-array",
        "identity-config-removed",
        "malformed-json",
    ],
)
def test_invalid_patches_are_400_and_change_nothing(
    ory_server: OryTestServer, client: httpx.Client, content: str
) -> None:
    revision, config = ory_server.revision(), ory_server.stored_identity_config()
    valid_first = {"op": "replace", "path": "/name", "value": "should not stick"}
    if content.startswith('[{"'):
        content = json.dumps([valid_first, *json.loads(content)])

    response = client.patch(
        f"/projects/{ory_server.project_id}/revision/{revision}",
        content=content,
        headers={"Content-Type": "application/json"},
    )

    assert_error(response, 400)
    assert ory_server.revision() == revision
    assert ory_server.stored_identity_config() == config
    assert ory_server.project_document()["name"] != "should not stick"


def test_only_add_remove_replace_are_accepted(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # ory-network-behaviour.md §1.2: X jsonx/patch.go opAllowList = {add, remove, replace}.
    ops: Ops = [{"op": "test", "path": f"{IC}/selfservice/methods/totp/enabled", "value": False}]
    body = assert_error(patch(client, ory_server, ops), 400)
    assert body["error"]["reason"] == "Unable to apply JSON Patch: unsupported operation: test"


def test_replace_on_a_missing_key_adds_it_and_add_creates_parents(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # §1.2: X patch.go:75-79 (replace -> add) and :88 (EnsurePathExistsOnAdd).
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/session/earliest_possible_extend", "value": "1h"},
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/captcha/config/allowed_domains",
            "value": ["a.test"],
        },
    ]
    patch_ok(client, ory_server, ops)
    stored = ory_server.stored_identity_config()
    assert stored["session"]["earliest_possible_extend"] == "1h0m0s"
    assert stored["selfservice"]["methods"]["captcha"] == {
        "config": {"allowed_domains": ["a.test"]}
    }


def test_unknown_and_misplaced_keys_are_accepted_and_dropped(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # §3/§5: 200 and the key is gone (TF #241, PR #330).
    ops: Ops = [
        {"op": "add", "path": f"{IC}/selfservice/methods/totp/unknown_key", "value": 1},
        {
            "op": "add",
            "path": f"{IC}/selfservice/flows/verification/after/password",
            "value": {"hooks": []},
        },
        {
            "op": "add",
            "path": f"{IC}/selfservice/flows/login/after/profile",
            "value": {"hooks": []},
        },
        {"op": "replace", "path": f"{IC}/selfservice/methods/totp/enabled", "value": True},
    ]
    config = returned_config(patch_ok(client, ory_server, ops))
    totp = config["selfservice"]["methods"]["totp"]
    assert totp["enabled"] is True and "unknown_key" not in totp
    assert "password" not in config["selfservice"]["flows"]["verification"]["after"]
    assert "profile" not in config["selfservice"]["flows"]["login"]["after"]
    assert (
        config
        == client.get(f"/projects/{ory_server.project_id}").json()["services"]["identity"]["config"]
    )


def test_the_network_keys_real_documents_return_are_kept(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # ory_behaviour.NETWORK_ONLY_METHODS, SAML_HOOK_FLOWS, DEFAULT_DROPPED_PATHS: keys real
    # Network documents return (the ory-network corpus entries) and PR #330 verified.
    provider = {"id": "corp", "raw_idp_metadata_xml": "base64://PHhtbC8+", "label": "Corp"}
    session = {"hooks": [{"hook": "session"}]}
    ops: Ops = [
        {"op": "add", "path": f"{IC}/selfservice/flows/registration/after/saml", "value": session},
        {"op": "add", "path": f"{IC}/selfservice/flows/settings/after/profile", "value": {}},
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/captcha",
            "value": {"enabled": False, "config": {"provider": "cf-turnstile"}},
        },
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/saml",
            "value": {"enabled": True, "config": {"providers": [provider]}},
        },
    ]
    config = returned_config(patch_ok(client, ory_server, ops))
    selfservice = config["selfservice"]
    assert selfservice["flows"]["registration"]["after"]["saml"] == session
    assert "profile" in selfservice["flows"]["settings"]["after"]
    assert selfservice["methods"]["captcha"]["config"]["provider"] == "cf-turnstile"
    [kept] = selfservice["methods"]["saml"]["config"]["providers"]
    assert {key: kept[key] for key in ("id", "label")} == {"id": "corp", "label": "Corp"}
    # "raw_idp_metadata_xml also gets transformed to a GCS URL on read" (TF @fec05332
    # samlprovider/resource.go, ImportStateVerifyIgnore), as every base64:// value is (§4).
    assert kept["raw_idp_metadata_xml"].startswith(ory_server.storage_base)


def test_the_old_schema_check_refuses_unknown_keys_when_asked(raw: httpx.Client) -> None:
    with OryTestServer(drop_unknown=False) as server:
        ops: Ops = [{"op": "add", "path": f"{IC}/selfservice/methods/totp/unknown_key", "value": 1}]
        url = f"{server.base_url}/projects/{server.project_id}/revision/{server.revision()}"
        response = raw.patch(
            url, json=ops, headers={"Authorization": f"Bearer {server.workspace_key}"}
        )
        assert response.status_code == 400
        assert "unknown_key" in response.json()["error"]["reason"]


def test_network_only_keys_are_accepted_and_stored(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # §5: SPEC normalizedProjectRevision columns the OSS schema lacks.
    captcha = {
        "enabled": True,
        "config": {"cf_turnstile": {"sitekey": "0x4AAA", "secret": "t-secret"}},
    }
    ops: Ops = [
        {"op": "add", "path": f"{IC}/selfservice/methods/captcha", "value": captcha},
        {"op": "add", "path": f"{IC}/selfservice/methods/saml", "value": {"enabled": True}},
        {"op": "add", "path": f"{IC}/selfservice/methods/deviceauthn", "value": {"enabled": False}},
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/oidc/enable_auto_link_policy",
            "value": True,
        },
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/code/passwordless_login_fallback_enabled",
            "value": True,
        },
        {"op": "add", "path": f"{IC}/feature_flags/enforce_identity_schema_guards", "value": True},
    ]
    config = returned_config(patch_ok(client, ory_server, ops))
    methods = ory_server.stored_identity_config()["selfservice"]["methods"]
    assert methods["captcha"] == captcha
    assert methods["saml"] == {"enabled": True} and methods["deviceauthn"] == {"enabled": False}
    assert methods["oidc"]["enable_auto_link_policy"] is True
    assert methods["code"]["passwordless_login_fallback_enabled"] is True
    # The Turnstile secret is write-only (SPEC 1818, 1826).
    assert config["selfservice"]["methods"]["captcha"]["config"]["cf_turnstile"] == {
        "sitekey": "0x4AAA"
    }


def test_schema_violations_are_400_with_paths_and_change_nothing(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    revision, config = ory_server.revision(), ory_server.stored_identity_config()
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/selfservice/flows/settings/required_aal", "value": "aal2"},
        {"op": "add", "path": f"{IC}/selfservice/methods/totp/enabled", "value": "yes"},
    ]

    body = assert_error(patch(client, ory_server, ops), 400)

    assert body["error"]["message"] == "The request was malformed or contained invalid parameters"
    reason = body["error"]["reason"]
    assert "$.selfservice.flows.settings.required_aal" in reason
    assert "'aal2' is not one of" in reason
    assert "$.selfservice.methods.totp.enabled" in reason and "'yes' is not of type" in reason
    assert ory_server.revision() == revision
    assert ory_server.stored_identity_config() == config


def test_default_schema_id_must_name_a_schema(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    ops: Ops = [{"op": "replace", "path": f"{IC}/identity/default_schema_id", "value": "nope"}]

    body = assert_error(patch(client, ory_server, ops), 400)

    assert "default_schema_id" in body["error"]["reason"]


def test_seeded_fixture_config_is_valid_and_a_fixed_point(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    before = ory_server.stored_identity_config()

    body = patch_ok(client, ory_server, [])

    assert body["warnings"] == FIXED_WARNINGS
    assert ory_server.stored_identity_config() == before


# --------------------------------------------------------------------------- transformations


def test_base64_values_become_content_addressed_storage_urls(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    jsonnet = "function(ctx) { user: ctx.identity.id }"
    hook = {
        "hook": "web_hook",
        "config": {"url": "https://example.com/hook", "method": "POST", "body": b64(jsonnet)},
    }
    ops: Ops = [{"op": "add", "path": f"{IC}/selfservice/flows/login/after/hooks/-", "value": hook}]

    body = patch_ok(client, ory_server, ops)

    stored = returned_config(body)["selfservice"]["flows"]["login"]["after"]["hooks"][-1]
    expected_name = f"{sha512(jsonnet)}.jsonnet"
    assert stored["config"]["body"] == f"{DEFAULT_STORAGE_BASE}/{expected_name}"
    assert ory_server.storage[expected_name] == jsonnet.encode()
    # defaults inside an array item reached through the hook's oneOf branch:
    assert stored["config"]["emit_analytics_event"] is True
    assert stored["config"]["can_interrupt"] is False


def test_docs_example_mapper_url_hash() -> None:
    # ory-api.md §1a item 1: sha512("function(ctx) ctx") starts with 94292215dbabe405.
    assert sha512("function(ctx) ctx").startswith("94292215dbabe405")


def test_storage_is_served_and_lenient_base64_is_decoded(raw: httpx.Client) -> None:
    content = "local claims = std.extVar('claims'); {identity: {traits: {email: claims.email}}}??>"
    with OryTestServer(local_storage=True) as server:
        assert server.storage_base == f"{server.base_url}/storage"
        headers = {"Authorization": f"Bearer {server.workspace_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers, verify=False) as http:
            urls = []
            variants = [
                ("registration", b64(content, urlsafe=True, pad=False)),
                ("login", b64(content, pad=False)),
            ]
            for flow, encoded in variants:
                hook = {
                    "hook": "web_hook",
                    "config": {"url": "https://example.com", "method": "POST", "body": encoded},
                }
                path = f"{IC}/selfservice/flows/{flow}/after/hooks/-"
                body = patch_ok(http, server, [{"op": "add", "path": path, "value": hook}])
                after = returned_config(body)["selfservice"]["flows"][flow]["after"]
                urls.append(after["hooks"][-1]["config"]["body"])

            assert urls[0] == urls[1] == f"{server.base_url}/storage/{sha512(content)}.jsonnet"
            served = raw.get(urls[0])
            assert served.status_code == 200
            assert served.text == content
            assert raw.get(f"{server.base_url}/storage/{'0' * 128}.json").status_code == 404


def test_invalid_base64_is_400(ory_server: OryTestServer, client: httpx.Client) -> None:
    hook = {
        "hook": "web_hook",
        "config": {"url": "https://e.com", "method": "POST", "body": "base64://!!!"},
    }
    ops: Ops = [{"op": "add", "path": f"{IC}/selfservice/flows/login/after/hooks/-", "value": hook}]

    assert "base64" in assert_error(patch(client, ory_server, ops), 400)["error"]["reason"]


def test_custom_schema_ids_are_hashed_deduplicated_and_followed(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    content = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"})
    digest = sha512(content)
    preset_url = b64('{"type": "object"}')
    ops: Ops = [
        {
            "op": "add",
            "path": f"{IC}/identity/schemas/-",
            "value": {"id": "mine", "url": b64(content)},
        },
        {
            "op": "add",
            "path": f"{IC}/identity/schemas/-",
            "value": {"id": "same", "url": b64(content, pad=False)},
        },
        {
            "op": "add",
            "path": f"{IC}/identity/schemas/-",
            "value": {"id": "preset://blank", "url": preset_url},
        },
        {"op": "replace", "path": f"{IC}/identity/default_schema_id", "value": "mine"},
    ]

    answered = returned_config(patch_ok(client, ory_server, ops))["identity"]
    # The PATCH response still shows the ids sent; the hash ids appear on a later GET (§4).
    assert answered["default_schema_id"] == "mine"
    assert "mine" in {schema["id"] for schema in answered["schemas"]}
    assert digest not in {schema["id"] for schema in answered["schemas"]}
    config = client.get(f"/projects/{ory_server.project_id}").json()["services"]["identity"][
        "config"
    ]

    identity = config["identity"]
    assert identity["default_schema_id"] == digest
    by_id = {schema["id"]: schema for schema in identity["schemas"]}
    assert [s["id"] for s in identity["schemas"]].count(digest) == 1
    assert "mine" not in by_id and "same" not in by_id
    assert by_id[digest]["url"] == f"{DEFAULT_STORAGE_BASE}/{digest}.json"
    assert ory_server.storage[f"{digest}.json"] == content.encode()
    assert by_id["preset://blank"]["url"] == preset_url
    assert by_id["preset://email"]["url"].startswith("base64://")


def test_schemas_are_sticky(ory_server: OryTestServer, client: httpx.Client) -> None:
    before = ory_server.stored_identity_config()["identity"]["schemas"]
    email = next(s for s in before if s["id"] == "preset://email")
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/identity/schemas", "value": [email]},
        {"op": "replace", "path": f"{IC}/identity/default_schema_id", "value": "preset://email"},
    ]

    config = returned_config(patch_ok(client, ory_server, ops))

    ids = [schema["id"] for schema in config["identity"]["schemas"]]
    assert ids[0] == "preset://email"
    assert sorted(ids) == sorted(s["id"] for s in before)
    assert config["identity"]["default_schema_id"] == "preset://email"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("30m", "30m0s"),
        ("1h", "1h0m0s"),
        ("72h", "72h0m0s"),
        ("90s", "1m30s"),
        ("500ms", "500ms"),
        ("1h30m", "1h30m0s"),
        ("30m0s", "30m0s"),
        ("1500ms", "1.5s"),
        ("2us", "2\u00b5s"),
        ("0s", "0s"),
        ("100h", "100h0m0s"),
    ],
)
def test_go_duration_formatting(given: str, expected: str) -> None:
    assert normalise_duration(given) == expected


def test_go_duration_parsing_edges() -> None:
    assert parse_go_duration("1h1m1s1ms1us1ns") == 3_661_001_001_001
    assert parse_go_duration("1.5h") == 5_400_000_000_000
    assert parse_go_duration("") is None
    assert parse_go_duration("10") is None
    assert parse_go_duration("1d") is None
    assert format_go_duration(-90_000_000_000) == "-1m30s"
    assert normalise_duration("soon") == "soon"


def test_durations_are_normalised_per_the_kratos_schema(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/selfservice/flows/login/lifespan", "value": "1h"},
        {
            "op": "replace",
            "path": f"{IC}/selfservice/flows/settings/privileged_session_max_age",
            "value": "90s",
        },
        {
            "op": "replace",
            "path": f"{IC}/selfservice/methods/code/config/lifespan",
            "value": "500ms",
        },
        {"op": "replace", "path": f"{IC}/session/lifespan", "value": "1h30m"},
        {
            "op": "add",
            "path": f"{IC}/session/whoami/tokenizer/templates/jwt",
            "value": {"ttl": "30m", "jwks_url": "https://example.com/jwks.json"},
        },
        {"op": "replace", "path": "/name", "value": "90s"},
    ]

    body = patch_ok(client, ory_server, ops)

    config = returned_config(body)
    assert config["selfservice"]["flows"]["login"]["lifespan"] == "1h0m0s"
    assert config["selfservice"]["flows"]["settings"]["privileged_session_max_age"] == "1m30s"
    assert config["selfservice"]["methods"]["code"]["config"]["lifespan"] == "500ms"
    assert config["session"]["lifespan"] == "1h30m0s"
    assert config["session"]["whoami"]["tokenizer"]["templates"]["jwt"]["ttl"] == "30m0s"
    assert body["project"]["name"] == "90s"


def test_remove_brings_the_default_back(ory_server: OryTestServer, client: httpx.Client) -> None:
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/selfservice/methods/password/enabled", "value": False},
    ]
    patch_ok(client, ory_server, ops)
    assert (
        ory_server.stored_identity_config()["selfservice"]["methods"]["password"]["enabled"]
        is False
    )
    ops = [
        {"op": "remove", "path": f"{IC}/selfservice/methods/password/enabled"},
        {"op": "remove", "path": f"{IC}/selfservice/flows/login/lifespan"},
        {"op": "remove", "path": f"{IC}/selfservice/flows/settings/required_aal"},
        {"op": "remove", "path": f"{IC}/selfservice/methods/totp/config"},
    ]

    config = returned_config(patch_ok(client, ory_server, ops))

    assert config["selfservice"]["methods"]["password"]["enabled"] is True
    assert config["selfservice"]["flows"]["login"]["lifespan"] == "1h0m0s"
    assert config["selfservice"]["flows"]["settings"]["required_aal"] == "highest_available"
    assert "config" not in config["selfservice"]["methods"]["totp"]  # no default => absent


def test_seed_has_defaults_materialised() -> None:
    raw = fixture_identity_config()
    assert "mfa_enabled" not in raw["selfservice"]["methods"]["code"]
    with OryTestServer() as server:
        stored = server.stored_identity_config()
    assert stored["selfservice"]["methods"]["code"]["mfa_enabled"] is False
    assert stored["selfservice"]["methods"]["code"]["config"]["max_submissions"] == 5
    assert stored["selfservice"]["methods"]["totp"]["config"]["issuer"] == "afds"


def test_server_managed_keys_are_reverted_with_warnings(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    before = ory_server.stored_identity_config()
    ops: Ops = [
        {"op": "replace", "path": f"{IC}/serve/public/base_url", "value": "https://mine.example/"},
        {"op": "replace", "path": f"{IC}/cookies/domain", "value": "example.org"},
        {"op": "remove", "path": f"{IC}/session/cookie/name"},
        {"op": "replace", "path": f"{IC}/session/cookie/persistent", "value": True},
    ]

    body = patch_ok(client, ory_server, ops)

    assert body["warnings"] == FIXED_WARNINGS  # the same five on every write (§3)
    config = returned_config(body)
    assert config["serve"] == before["serve"]
    assert config["cookies"] == before["cookies"]
    assert config["session"]["cookie"]["name"] == before["session"]["cookie"]["name"]
    assert config["session"]["cookie"]["persistent"] is True  # not server-managed


def _oidc_ops(secret: str, mapper: str) -> Ops:
    provider = {
        "id": "google",
        "provider": "google",
        "client_id": "client-id",
        "client_secret": secret,
        "mapper_url": mapper,
        "scope": ["email"],
    }
    return [
        {"op": "replace", "path": f"{IC}/selfservice/methods/oidc/enabled", "value": True},
        {
            "op": "replace",
            "path": f"{IC}/selfservice/methods/oidc/config/providers",
            "value": [provider],
        },
    ]


def test_secrets_and_write_only_keys_are_left_out_of_reads_and_kept(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    uri = "smtps://user:s3cret@mail.example.com:465/?skip_ssl_verify=false"
    mapper = "local claims = std.extVar('claims'); {identity: {traits: {email: claims.email}}}"
    ops: Ops = [
        {"op": "add", "path": f"{IC}/courier/smtp/connection_uri", "value": uri},
        {"op": "add", "path": f"{IC}/session/earliest_possible_extend", "value": "1h"},
        {
            "op": "add",
            "path": f"{IC}/selfservice/methods/webauthn/config/rp/icon",
            "value": "https://i",
        },
        *_oidc_ops("google-secret", b64(mapper)),
    ]

    config = returned_config(patch_ok(client, ory_server, ops))

    # §2: the SMTP URI is absent (PR #269); §5: never-returned keys; courier.smtp.* is
    # reported now that a URI is set.
    assert "connection_uri" not in config["courier"]["smtp"]
    assert config["courier"]["smtp"]["from_name"]
    assert "earliest_possible_extend" not in config["session"]
    assert "icon" not in config["selfservice"]["methods"]["webauthn"]["config"]["rp"]
    provider = config["selfservice"]["methods"]["oidc"]["config"]["providers"][0]
    assert provider["client_secret"] == "google-secret"  # returned in full (PR #269)
    assert provider["mapper_url"] == f"{DEFAULT_STORAGE_BASE}/{sha512(mapper)}.jsonnet"
    assert provider["pkce"] == "auto"  # default inside array items
    live = client.get(f"/projects/{ory_server.project_id}").json()["services"]["identity"]["config"]
    assert live == config
    stored = ory_server.stored_identity_config()
    assert stored["courier"]["smtp"]["connection_uri"] == uri
    assert stored["session"]["earliest_possible_extend"] == "1h0m0s"

    # A write that does not mention them keeps them.
    provider["scope"] = ["email", "profile"]
    ops = [
        {
            "op": "replace",
            "path": f"{IC}/selfservice/methods/oidc/config/providers",
            "value": [provider],
        }
    ]
    patch_ok(client, ory_server, ops)
    stored = ory_server.stored_identity_config()
    assert stored["courier"]["smtp"]["connection_uri"] == uri
    assert stored["session"]["earliest_possible_extend"] == "1h0m0s"
    assert stored["selfservice"]["methods"]["oidc"]["config"]["providers"][0]["scope"] == [
        "email",
        "profile",
    ]

    # A new value is stored.
    ops = [
        {"op": "replace", "path": f"{IC}/courier/smtp/connection_uri", "value": "smtp://new@h:25/"}
    ]
    patch_ok(client, ory_server, ops)
    assert (
        ory_server.stored_identity_config()["courier"]["smtp"]["connection_uri"]
        == "smtp://new@h:25/"
    )


def test_web_hook_urls_and_credentials_are_returned_as_stored(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # Only the values §2 names are withheld: a hook URL set from ${VAR}, and its credential,
    # come back as stored, so a console edit of either can be compared (issue 21 item 4).
    hook = {
        "hook": "web_hook",
        "config": {
            "url": "https://hooks.acme.test/login?token=abc",
            "method": "POST",
            "body": b64("function(ctx) ctx"),
            "auth": {
                "type": "api_key",
                "config": {"name": "X-Key", "value": "k-1", "in": "header"},
            },
        },
    }
    path = f"{IC}/selfservice/flows/login/after/hooks"
    config = returned_config(
        patch_ok(client, ory_server, [{"op": "add", "path": path, "value": [hook]}])
    )
    returned = config["selfservice"]["flows"]["login"]["after"]["hooks"][0]["config"]
    assert returned["url"] == "https://hooks.acme.test/login?token=abc"
    assert returned["auth"]["config"]["value"] == "k-1"


def test_read_rules_can_be_switched_off(raw: httpx.Client) -> None:
    rules = ReadRules(hide_smtp_uri=False, hide_never_returned=False, oidc_secrets_returned=False)
    config = fixture_identity_config()
    config["courier"]["smtp"]["connection_uri"] = "smtps://u:p@h:465/"
    config["session"]["earliest_possible_extend"] = "1h"
    config["selfservice"]["methods"]["oidc"]["config"]["providers"] = [
        {
            "id": "g",
            "provider": "google",
            "client_id": "c",
            "client_secret": "s",
            "mapper_url": b64("{}"),
        }
    ]
    shown = rules.view(config)
    assert shown["courier"]["smtp"]["connection_uri"] == "smtps://u:p@h:465/"
    assert shown["session"]["earliest_possible_extend"] == "1h"
    assert "client_secret" not in shown["selfservice"]["methods"]["oidc"]["config"]["providers"][0]


# --------------------------------------------------------------------------- helpers for tests


def test_console_edit_bumps_the_revision_and_makes_client_revisions_stale(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    seen = ory_server.revision()

    def enable_totp(config: dict[str, Any]) -> None:
        config["selfservice"]["methods"]["totp"]["enabled"] = True
        config["selfservice"]["flows"]["login"]["lifespan"] = "2h"

    first = ory_server.console_edit(enable_totp)
    second = ory_server.console_edit([{"op": "replace", "path": "/name", "value": "console"}])

    assert len({seen, first, second}) == 3
    assert second == ory_server.revision()
    config = ory_server.stored_identity_config()
    assert config["selfservice"]["methods"]["totp"]["enabled"] is True
    assert config["selfservice"]["flows"]["login"]["lifespan"] == "2h0m0s"
    assert ory_server.project_document()["name"] == "console"
    ops: Ops = [{"op": "replace", "path": "/name", "value": "client"}]
    assert_error(patch(client, ory_server, ops, revision=seen), 409)
    with pytest.raises(ValueError, match="required_aal"):
        ory_server.console_edit(
            lambda c: c["selfservice"]["flows"]["settings"].update(required_aal="aal9")
        )
    assert ory_server.revision() == second


def test_add_project(ory_server: OryTestServer, client: httpx.Client) -> None:
    custom = fixture_identity_config()
    custom["selfservice"]["methods"]["totp"]["enabled"] = True
    second = ory_server.add_project()
    third = ory_server.add_project(custom, project_id="11111111-2222-4333-8444-555555555555")

    assert len({ory_server.project_id, second, third}) == 3
    assert third == "11111111-2222-4333-8444-555555555555"
    assert (
        len({ory_server.revision(), ory_server.revision(second), ory_server.revision(third)}) == 3
    )
    project = client.get(f"/projects/{second}").json()
    assert_matches_spec("project", project)
    assert (
        project["services"]["identity"]["config"]
        == ory_server.project_document()["services"]["identity"]["config"]
    )
    assert ory_server.stored_identity_config(third)["selfservice"]["methods"]["totp"]["enabled"]
    patch_ok(client, ory_server, [{"op": "replace", "path": "/name", "value": "only seed"}])
    assert client.get(f"/projects/{third}").json()["name"] != "only seed"
    broken = fixture_identity_config()
    broken["selfservice"]["flows"]["settings"]["required_aal"] = "aal2"
    with pytest.raises(ValueError, match="aal2"):
        ory_server.add_project(broken)


def test_fail_next_queues_forced_responses(ory_server: OryTestServer, client: httpx.Client) -> None:
    url = f"/projects/{ory_server.project_id}"
    ory_server.fail_next(429, headers={"x-ratelimit-reset": "1"})
    ory_server.fail_next(503, times=2, methods=("PATCH",))
    ory_server.fail_next(500, body={"error": {"code": 500, "message": "boom"}}, methods=("GET",))

    limited = client.get(url)
    assert limited.status_code == 429
    assert limited.headers["x-ratelimit-reset"] == "1"
    assert limited.content == b""  # Ory sends an empty body with a 429 (§6)
    boom = client.get(url)
    assert (boom.status_code, boom.json()) == (500, {"error": {"code": 500, "message": "boom"}})
    assert client.get(url).status_code == 200

    revision = ory_server.revision()
    ops: Ops = [{"op": "replace", "path": "/name", "value": "after outage"}]
    assert_error(patch(client, ory_server, ops), 503)
    assert_error(patch(client, ory_server, ops), 503)
    assert ory_server.revision() == revision
    assert patch(client, ory_server, ops).status_code == 200


def test_fail_next_applies_before_auth(ory_server: OryTestServer, raw: httpx.Client) -> None:
    ory_server.fail_next(500)
    url = f"{ory_server.base_url}/projects/{ory_server.project_id}"
    assert raw.get(url).status_code == 500
    assert raw.get(url).status_code == 401


def test_latency_delays_responses(ory_server: OryTestServer, client: httpx.Client) -> None:
    ory_server.latency = 0.2
    started = time.monotonic()
    assert client.get(f"/projects/{ory_server.project_id}").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_request_log_records_every_request(
    ory_server: OryTestServer, client: httpx.Client, raw: httpx.Client
) -> None:
    ops: Ops = [{"op": "replace", "path": "/name", "value": "logged"}]
    client.get(f"/projects/{ory_server.project_id}?x=1")
    patch(client, ory_server, ops)
    raw.get(f"{ory_server.base_url}/projects/{ory_server.project_id}")

    requests = ory_server.requests
    assert [(r.method, r.status) for r in requests] == [("GET", 200), ("PATCH", 200), ("GET", 401)]
    get, write, anonymous = requests
    assert (get.path, get.query, get.body, get.json_body) == (
        f"/projects/{ory_server.project_id}",
        "x=1",
        b"",
        None,
    )
    assert get.headers["authorization"] == f"Bearer {ory_server.workspace_key}"
    assert "authorization" not in anonymous.headers
    assert write.json_body == ops
    assert json.loads(write.body) == ops
    assert write.path.startswith(f"/projects/{ory_server.project_id}/revision/")
    assert ory_server.writes() == [write]
    with pytest.raises(AttributeError):
        write.method = "GET"  # type: ignore[misc]
    ory_server.clear_requests()
    assert ory_server.requests == []


def test_stop_closes_the_port(raw: httpx.Client) -> None:
    server = OryTestServer().start()
    url = f"{server.base_url}/projects/{server.project_id}"
    assert raw.get(url).status_code == 401
    server.stop()
    with pytest.raises(httpx.ConnectError):
        raw.get(url, timeout=1)
    with pytest.raises(RuntimeError):
        _ = server.base_url


# --------------------------------------------------------------------------- switches


def _auth(server: OryTestServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.workspace_key}"}


def test_stale_reads_show_the_project_as_it_was_for_a_while(raw: httpx.Client) -> None:
    with OryTestServer(stale_reads=2) as server:
        before = server.revision()
        url = f"{server.base_url}/projects/{server.project_id}"
        ops: Ops = [{"op": "replace", "path": "/name", "value": "new"}]
        answered = raw.patch(f"{url}/revision/{before}", json=ops, headers=_auth(server)).json()
        after = answered["project"]["revision_id"]
        seen = [raw.get(url, headers=_auth(server)).json()["revision_id"] for _ in range(3)]
        assert seen == [before, before, after]


def test_schema_renaming_can_be_synchronous(raw: httpx.Client) -> None:
    content = '{"type": "object"}'
    ops: Ops = [
        {
            "op": "add",
            "path": f"{IC}/identity/schemas/-",
            "value": {"id": "mine", "url": b64(content)},
        }
    ]
    for asynchronous, expected in ((True, "mine"), (False, sha512(content))):
        with OryTestServer(async_schema_rename=asynchronous) as server:
            url = f"{server.base_url}/projects/{server.project_id}/revision/{server.revision()}"
            body = raw.patch(url, json=ops, headers=_auth(server)).json()
            ids = [s["id"] for s in returned_config(body)["identity"]["schemas"]]
            assert expected in ids


def test_removing_a_schema_in_use_is_a_409_unlike_a_stale_revision(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    schemas = ory_server.stored_identity_config()["identity"]["schemas"]
    ory_server.schemas_in_use.add("preset://username")
    kept = [s for s in schemas if s["id"] != "preset://username"]
    ops: Ops = [{"op": "replace", "path": f"{IC}/identity/schemas", "value": kept}]
    body = assert_error(patch(client, ory_server, ops), 409)
    assert "in use" in body["error"]["message"] and "stale" not in body["error"]["message"]


def test_warnings_can_be_switched_off(raw: httpx.Client) -> None:
    with OryTestServer(warn_every_write=False) as server:
        url = f"{server.base_url}/projects/{server.project_id}/revision/{server.revision()}"
        assert raw.patch(url, json=[], headers=_auth(server)).json()["warnings"] == []


def test_the_oauth2_secrets_and_salt_are_withheld_and_an_empty_salt_keeps_the_stored_one(
    ory_server: OryTestServer, client: httpx.Client
) -> None:
    # ory-network-behaviour.md §2: the pairwise salt is redacted from reads, "An empty value
    # does not clear the salt: the API keeps the stored one" (TF docs); the CLI fixture's GET
    # holds no `secrets` in services.oauth2.config.
    salt = "/services/oauth2/config/oidc/subject_identifiers/pairwise"
    patch_ok(
        client,
        ory_server,
        [
            {"op": "add", "path": salt, "value": {"salt": "s3cret-salt"}},
            {"op": "add", "path": "/services/oauth2/config/secrets", "value": {"system": ["x"]}},
        ],
    )
    shown = ory_server.project_document()["services"]["oauth2"]["config"]
    assert "secrets" not in shown and shown["oidc"]["subject_identifiers"]["pairwise"] == {}
    patch_ok(client, ory_server, [{"op": "add", "path": salt + "/salt", "value": ""}])
    stored = ory_server.stored_service_config("oauth2")
    assert stored["oidc"]["subject_identifiers"]["pairwise"]["salt"] == "s3cret-salt"
    assert stored["secrets"] == {"system": ["x"]}  # a write that did not mention it keeps it

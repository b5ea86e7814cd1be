"""The diff compares only declared paths and sees through what Ory rewrites."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from reconciler import blobs
from reconciler.comparing.diff import Change, compute_diff
from reconciler.comparing.durations import duration_ns
from reconciler.comparing.patch import patched
from reconciler.jsontypes import JSONObject
from reconciler.plan.planner import make_plan
from reconciler.services.identity import SERVER_MANAGED

from conftest import FIXTURE_PROJECT, identity_rules


def live_config() -> Any:
    project = json.loads(FIXTURE_PROJECT.read_text())
    return project["services"]["identity"]["config"]


def changes(
    desired: JSONObject, live: JSONObject, removals: tuple[str, ...] = (), **rules: Any
) -> list[Change]:
    return list(compute_diff(desired, live, removals, identity_rules(**rules)).changes)


def test_only_declared_paths_are_compared() -> None:
    live = live_config()
    desired: Any = {"selfservice": {"methods": {"totp": {"enabled": True}}}}
    assert changes(desired, live) == [
        Change("/selfservice/methods/totp/enabled", "change", False, True)
    ]


def test_missing_subtrees_are_added_at_their_deepest_existing_parent() -> None:
    live = live_config()
    desired: Any = {"selfservice": {"methods": {"lookup_secret": {"config": {"x": 1}}}}}
    assert changes(desired, live) == [
        Change(
            "/selfservice/methods/lookup_secret/config", "add", None, {"x": 1}, live_present=False
        )
    ]


@pytest.mark.parametrize(
    ("desired", "live", "same"),
    [
        ("30m", "30m0s", True),
        ("72h", "72h0m0s", True),
        ("1h30m", "90m0s", True),
        ("500ms", "0.5s", True),
        ("30m", "31m0s", False),
    ],
)
def test_durations_are_compared_by_length(desired: str, live: str, same: bool) -> None:
    found = changes({"session": {"lifespan": desired}}, {"session": {"lifespan": live}})
    assert (found == []) is same


def test_duration_parsing() -> None:
    assert duration_ns("1h0m0s") == 3600 * 10**9
    assert duration_ns("abc") is None


def test_inline_content_equals_its_content_addressed_url() -> None:
    body = b"function(ctx) ctx"
    stored = f"https://storage.googleapis.com/bac-gcs-production/{blobs.sha512_hex(body)}.jsonnet"
    hook: Any = {"hook": "web_hook", "config": {"url": "https://h.test", "method": "POST"}}
    desired: Any = {"hooks": [{**hook, "config": {**hook["config"], "body": blobs.encode(body)}}]}
    live: Any = {"hooks": [{**hook, "config": {**hook["config"], "body": stored}}]}
    assert changes(desired, live) == []
    other = (
        f"https://storage.googleapis.com/bac-gcs-production/{blobs.sha512_hex(b'other')}.jsonnet"
    )
    live["hooks"][0]["config"]["body"] = other
    assert [c.pointer for c in changes(desired, live)] == ["/hooks"]


def test_schema_renamed_to_its_hash_matches_by_content() -> None:
    live = live_config()
    # The fixture stores a custom schema whose id and URL are the SHA-512 of its content.
    stored = next(s for s in live["identity"]["schemas"] if not s["id"].startswith("preset"))
    content_digest = stored["id"]
    known = {stored["url"]: content_digest}
    fake_content_url = blobs.encode(b"stand-in")  # digest is taken from known_digests below
    desired: Any = {
        "identity": {
            "default_schema_id": "customer",
            "schemas": [{"id": "customer", "url": stored["url"]}],
        }
    }
    assert changes(desired, live, known_digests=known) == []
    desired["identity"]["schemas"][0]["url"] = fake_content_url
    found = changes(desired, live)
    assert [c.pointer for c in found] == ["/identity/default_schema_id", "/identity/schemas/-"]
    assert found[1].action == "add" and found[1].source == "/identity/schemas/0"


def test_presets_match_by_id_and_inline_content() -> None:
    live = live_config()
    email = next(s for s in live["identity"]["schemas"] if s["id"] == "preset://email")
    desired: Any = {"identity": {"default_schema_id": "preset://email", "schemas": [dict(email)]}}
    [found] = changes(desired, live)
    live_default = live["identity"]["default_schema_id"]
    assert (found.pointer, found.action, found.live, found.desired) == (
        "/identity/default_schema_id",
        "change",
        live_default,
        "preset://email",
    )
    # identities of the old default would move: a schema switch, its content not known here
    assert found.schema_switch == (live_default, "preset://email")
    assert found.details[0] == "the live content is not available to compare traits"
    assert found.details[1].startswith(
        f"a file of this repository with its content (SHA-512 {live_default[:16]}…"
    )


def test_live_schemas_not_declared_are_never_removed() -> None:
    live = live_config()
    email = next(s for s in live["identity"]["schemas"] if s["id"] == "preset://email")
    desired: Any = {"identity": {"schemas": [dict(email)]}}
    assert changes(desired, live) == []


def test_a_secret_live_returns_is_compared_by_value() -> None:
    # Ory returns these values (ory-network-behaviour.md §2): a console edit is a change.
    desired: Any = {"courier": {"smtp": {"connection_uri": "smtps://u:pw@mail.test"}}}
    edited: Any = {"courier": {"smtp": {"connection_uri": "smtps://u:other@mail.test"}}}
    assert [(c.pointer, c.action) for c in changes(desired, edited)] == [
        ("/courier/smtp/connection_uri", "change")
    ]
    assert changes(desired, copy.deepcopy(desired)) == []
    empty: Any = {"courier": {"smtp": {"connection_uri": ""}}}
    assert [c.action for c in changes(desired, empty)] == ["change"]


def test_a_value_from_a_variable_is_compared_by_value() -> None:
    hooks: Any = {"hooks": [{"hook": "web_hook", "config": {"url": "https://hooks.acme.test/a"}}]}
    edited: Any = copy.deepcopy(hooks)
    edited["hooks"][0]["config"]["url"] = "https://attacker.test/collect"
    marked = frozenset({"/hooks/0/config/url"})
    (change,) = changes(hooks, edited, sensitive=marked)
    assert (change.pointer, change.live, change.desired) == (
        "/hooks",
        edited["hooks"],
        hooks["hooks"],
    )
    assert changes(hooks, copy.deepcopy(hooks), sensitive=marked) == []


EMPTY_SECRETS: list[Any] = [
    {"selfservice": {"methods": {"oidc": {"config": {"providers": [{"client_secret": ""}]}}}}},
    {"hooks": [{"hook": "web_hook", "config": {"auth": {"config": {"value": ""}}}}]},
]


@pytest.mark.parametrize("desired", EMPTY_SECRETS, ids=["client_secret", "api_key"])
def test_equal_empty_write_only_values_are_equal(desired: Any) -> None:
    # Issue 22: an empty client_secret or web hook api_key value planned a change forever.
    diff = compute_diff(desired, copy.deepcopy(desired), (), identity_rules())
    assert diff.changes == ()
    assert diff.unverified == ()


def test_a_value_not_known_here_is_compared_by_presence() -> None:
    # adopt loads without the variables: an unset ${VAR} cannot be compared, only its presence.
    live: Any = {"a": {"token": "live-value"}}
    desired: Any = {"a": {"token": "(variable not set)"}}
    unknown = frozenset({"/a/token"})
    diff = compute_diff(desired, live, (), identity_rules(by_presence=unknown))
    assert diff.changes == ()
    assert diff.unverified == ("/a/token",)
    assert len(changes(desired, {"a": {"token": ""}}, by_presence=unknown)) == 1
    # diff between environments: their secrets differ by design.
    assert changes(desired, live, sensitive=unknown, secrets_by_presence=True) == []
    assert len(changes(desired, live, sensitive=unknown)) == 1


def test_only_the_server_managed_leaves_are_never_planned() -> None:
    live = live_config()
    desired: Any = {
        "cookies": {"domain": "x.test", "same_site": "Strict"},
        "serve": {"public": {"base_url": "https://x"}},
        "session": {"cookie": {"name": "mine", "persistent": True, "same_site": "None"}},
    }
    diff = compute_diff(
        desired, live, ("/session/cookie/name",), identity_rules(ignored=SERVER_MANAGED)
    )
    assert [(c.pointer, c.desired) for c in diff.changes] == [
        ("/cookies/same_site", "Strict"),
        ("/session/cookie/persistent", True),
        ("/session/cookie/same_site", "None"),
    ]
    assert diff.ignored == ("/cookies/domain", "/serve", "/session/cookie/name")


def test_server_managed_leaves_are_left_out_of_a_value_added_whole() -> None:
    live: Any = {"session": {}}
    desired: Any = {"session": {"cookie": {"name": "mine", "persistent": True}}}
    diff = compute_diff(desired, live, (), identity_rules(ignored=SERVER_MANAGED))
    assert [(c.pointer, c.desired) for c in diff.changes] == [
        ("/session/cookie", {"persistent": True})
    ]
    assert diff.ignored == ("/session/cookie/name",)


def test_a_withheld_key_absent_from_live_is_not_compared_unless_rotated() -> None:
    live: Any = {"courier": {"smtp": {"from_name": "Acme"}}, "session": {}}
    desired: Any = {
        "courier": {"smtp": {"connection_uri": "smtps://u:p@h"}},
        "session": {"earliest_possible_extend": "1h"},
    }
    diff = compute_diff(desired, live, (), identity_rules())
    assert diff.changes == ()
    assert diff.unverified == ("/courier/smtp/connection_uri", "/session/earliest_possible_extend")
    rotated = compute_diff(desired, live, (), identity_rules(rotate_secrets=True))
    assert [c.pointer for c in rotated.changes] == [
        "/courier/smtp/connection_uri",
        "/session/earliest_possible_extend",
    ]
    marked = identity_rules(
        rotate={"/session/earliest_possible_extend": "rotate: 2 (last sent: 1)"}
    )
    assert [(c.pointer, c.note) for c in compute_diff(desired, live, (), marked).changes] == [
        ("/session/earliest_possible_extend", "rotate: 2 (last sent: 1)")
    ]
    # Without the parent, live shows it unset: the parent is added with it.
    unset = compute_diff(desired, {"courier": {}, "session": {}}, (), identity_rules())
    assert [c.pointer for c in unset.changes] == ["/courier/smtp"]
    # A Kratos file returns everything: there absence means absent.
    readable = compute_diff(desired, live, (), identity_rules(secrets_readable=True))
    assert len(readable.changes) == 2


def test_a_withheld_key_inside_a_list_item_does_not_make_the_list_differ() -> None:
    hook: Any = {"hook": "web_hook", "config": {"url": "https://h", "auth": {"type": "api_key"}}}
    live: Any = {"hooks": [hook]}
    desired: Any = {
        "hooks": [
            {
                "hook": "web_hook",
                "config": {
                    "url": "https://h",
                    "auth": {"type": "api_key", "config": {"value": "k"}},
                },
            }
        ]
    }
    # The auth config itself is missing, so the list differs; only the withheld leaf is excused.
    assert len(compute_diff(desired, live, (), identity_rules()).changes) == 1
    hook["config"]["auth"]["config"] = {}
    assert compute_diff(desired, live, (), identity_rules()).changes == ()
    assert len(compute_diff(desired, live, (), identity_rules(rotate_secrets=True)).changes) == 1


def test_removal_is_a_reset_unless_live_already_has_the_default() -> None:
    live = live_config()
    defaults = {"/selfservice/methods/password/enabled": True}

    def default_at(pointer: str) -> tuple[bool, object]:
        return (pointer in defaults, defaults.get(pointer))

    assert (
        changes({}, live, ("/selfservice/methods/password/enabled",), default_at=default_at) == []
    )
    live["selfservice"]["methods"]["password"]["enabled"] = False
    assert changes({}, live, ("/selfservice/methods/password/enabled",), default_at=default_at) == [
        Change("/selfservice/methods/password/enabled", "reset", False, True)
    ]
    assert changes({}, live, ("/selfservice/methods/nothing/here",)) == []


def test_lists_are_compared_whole() -> None:
    live: Any = {"selfservice": {"allowed_return_urls": ["https://a.test", "https://b.test"]}}
    desired: Any = {"selfservice": {"allowed_return_urls": ["https://a.test"]}}
    assert changes(desired, live) == [
        Change(
            "/selfservice/allowed_return_urls",
            "change",
            ["https://a.test", "https://b.test"],
            ["https://a.test"],
        )
    ]


def test_booleans_are_not_numbers() -> None:
    assert len(changes({"a": {"b": True}}, {"a": {"b": 1}})) == 1


@pytest.mark.parametrize(
    "desired",
    [
        {"selfservice": {"methods": {"totp": {"enabled": True, "config": {"issuer": "Acme"}}}}},
        {
            "selfservice": {
                "flows": {
                    "login": {
                        "lifespan": "10m",
                        "after": {"hooks": [{"hook": "revoke_active_sessions"}]},
                    }
                }
            }
        },
        {
            "session": {"whoami": {"required_aal": "aal1"}},
            "courier": {"templates": {"x": {"y": 1}}},
        },
        {
            "identity": {
                "default_schema_id": "new",
                "schemas": [{"id": "new", "url": "base64://e30="}],
            }
        },
    ],
)
def test_patch_makes_live_match_desired_and_leaves_the_rest(desired: JSONObject) -> None:
    live = live_config()
    diff = compute_diff(desired, live, (), identity_rules())
    plan = make_plan("dev", "test", "rev", {"identity": diff})
    result = patched(copy.deepcopy(live), plan.operations)
    assert isinstance(result, dict)
    assert compute_diff(desired, result, (), identity_rules()).changes == ()
    # Everything outside the declared paths is untouched.
    for key in live:
        if key not in desired:
            assert result[key] == live[key]

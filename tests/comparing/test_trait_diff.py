"""Issue 25 item 1: the complete trait compatibility diff, on real identity schemas."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from reconciler.comparing.trait_diff import TraitChange, trait_diff
from reconciler.comparing.trait_keywords import keyword_changes

from conftest import FIXTURES, KRATOS

Doc = dict[str, Any]
# A real schema with an enum, an array, a nested object and email recovery/verification.
K8S = FIXTURES / "corpus" / "examples-kratos-keto-oathkeeper-k8s" / "identity.schema.json"
QUICKSTART = KRATOS / "contrib/quickstart/kratos/email-password/identity.schema.json"
PASSKEY = FIXTURES / "corpus" / "kratos-e2e-passkey" / "passkey" / "identity.traits.schema.json"


def load(path: Any) -> Doc:
    loaded: Doc = json.loads(path.read_text())
    return loaded


def traits_of(schema: Doc) -> Doc:
    node: Doc = schema["properties"]["traits"]["properties"]
    return node


def by_trait(changes: list[TraitChange]) -> dict[tuple[str, str | None], TraitChange]:
    return {(c.trait, c.keyword): c for c in changes}


def five_changes(old: Doc) -> Doc:
    """The five changes of issue 25, made to a real schema."""
    new = copy.deepcopy(old)
    properties = traits_of(new)
    properties["group"]["type"] = "string"  # array -> string
    del properties["group"]["items"]
    properties["role"]["enum"] = ["user"]  # "admin" no longer allowed
    properties["email"]["maxLength"] = 320
    properties["name"]["required"] = ["first"]
    del properties["email"]["ory.sh/kratos"]["recovery"]
    del properties["email"]["ory.sh/kratos"]["verification"]
    return new


def test_the_five_changes_of_issue_25_are_breaking_with_their_trait_names() -> None:
    changes = by_trait(trait_diff(load(K8S), five_changes(load(K8S))))
    expected = {
        ("traits.group", "type"): 'type "array" -> "string"',
        ("traits.role", "enum"): 'enum narrowed, ["admin"] no longer allowed',
        ("traits.email", "maxLength"): "maxLength 320 added",
        ("traits.name.first", "required"): "identities that have traits.name but without it",
        ("traits.email", "recovery.via"): "users can no longer recover their account by email",
        ("traits.email", "verification.via"): "users can no longer verify their address by email",
    }
    for key, words in expected.items():
        assert changes[key].classification == "breaking", changes[key]
        assert words in changes[key].reason
        assert "\n" not in changes[key].reason
    assert set(changes) == set(expected)


def test_the_opposite_changes_widen_but_a_type_change_back() -> None:
    changes = trait_diff(five_changes(load(K8S)), load(K8S))
    classified = {(c.trait, c.keyword): c.classification for c in changes}
    assert classified == {
        ("traits.group", "type"): "breaking",  # string values stored meanwhile fail
        ("traits.role", "enum"): "widening",
        ("traits.email", "maxLength"): "widening",
        ("traits.name.first", "required"): "widening",
        ("traits.email", "recovery.via"): "widening",
        ("traits.email", "verification.via"): "widening",
    }


@pytest.mark.parametrize(
    ("keyword", "old", "new", "classification"),
    [
        ("type", "integer", "number", "widening"),
        ("type", "number", "integer", "breaking"),
        ("type", ["string", "null"], "string", "breaking"),
        ("type", "string", ["string", "null"], "widening"),
        ("enum", None, ["a"], "breaking"),
        ("enum", ["a"], None, "widening"),
        ("const", None, "a", "breaking"),
        ("format", "email", "tel", "breaking"),
        ("format", "email", None, "widening"),
        ("pattern", None, "^[a-z]+$", "breaking"),
        ("minimum", 1, 2, "breaking"),
        ("minimum", 2, 1, "widening"),
        ("exclusiveMaximum", 10, 5, "breaking"),
        ("maximum", 5, 10, "widening"),
        ("multipleOf", 2, 4, "breaking"),
        ("multipleOf", 4, 2, "widening"),
        ("minLength", None, 1, "breaking"),
        ("maxLength", 10, 20, "widening"),
        ("minItems", 0, 1, "breaking"),
        ("maxItems", 3, 2, "breaking"),
        ("uniqueItems", None, True, "breaking"),
        ("uniqueItems", True, False, "widening"),
        ("additionalProperties", None, False, "breaking"),
        ("additionalProperties", False, True, "widening"),
    ],
)
def test_each_keyword_is_classified(keyword: str, old: Any, new: Any, classification: str) -> None:
    before = {} if old is None else {keyword: old}
    after = {} if new is None else {keyword: new}
    [change] = keyword_changes(before, after)
    assert (change.keyword, change.classification) == (keyword, classification)


def test_nested_traits_are_diffed_at_any_depth() -> None:
    old = load(QUICKSTART)
    new = copy.deepcopy(old)
    name = traits_of(new)["name"]
    name["properties"]["first"]["maxLength"] = 64
    name["properties"]["middle"] = {"type": "string"}
    name["additionalProperties"] = False
    del name["properties"]["last"]
    changes = {(c.trait, c.kind, c.keyword): c.classification for c in trait_diff(old, new)}
    assert changes == {
        # name is now closed: an identity that still has name.last fails
        ("traits.name.last", "removed", None): "breaking",
        ("traits.name", "keyword", "additionalProperties"): "breaking",
        ("traits.name.first", "keyword", "maxLength"): "breaking",
        ("traits.name.middle", "added", None): "widening",
    }


def test_a_removed_trait_of_an_open_schema_narrows() -> None:
    old = load(K8S)  # additionalProperties: true
    new = copy.deepcopy(old)
    del traits_of(new)["role"]
    [change] = trait_diff(old, new)
    assert (change.trait, change.kind, change.classification) == (
        "traits.role",
        "removed",
        "narrowing",
    )


def test_closing_the_traits_root_is_breaking() -> None:
    old = load(K8S)
    new = copy.deepcopy(old)
    new["properties"]["traits"]["additionalProperties"] = False
    [change] = trait_diff(old, new)
    assert (change.trait, change.keyword, change.classification) == (
        "traits",
        "additionalProperties",
        "breaking",
    )


def test_a_new_required_trait_inside_an_existing_object_is_breaking() -> None:
    old = load(QUICKSTART)
    new = copy.deepcopy(old)
    name = traits_of(new)["name"]
    name["properties"]["title"] = {"type": "string"}
    name["required"] = ["title"]
    [change] = trait_diff(old, new)
    assert (change.trait, change.kind, change.classification) == (
        "traits.name.title",
        "added",
        "breaking",
    )
    assert "inside traits.name" in change.reason


@pytest.mark.parametrize(
    ("flags_before", "flags_after", "key", "classification"),
    [
        (
            {"credentials": {"webauthn": {"identifier": True}}},
            {},
            "credentials.webauthn.identifier",
            "breaking",
        ),
        (
            {},
            {"credentials": {"password": {"identifier": True}}},
            "credentials.password.identifier",
            "narrowing",
        ),
        (
            {"credentials": {"code": {"identifier": True, "via": "email"}}},
            {"credentials": {"code": {"identifier": True, "via": "sms"}}},
            "credentials.code.via",
            "breaking",
        ),
        (
            {"credentials": {"passkey": {"display_name": True}}},
            {},
            "credentials.passkey.display_name",
            "narrowing",
        ),
        (
            {},
            {"credentials": {"totp": {"account_name": True}}},
            "credentials.totp.account_name",
            "widening",
        ),
        ({"recovery": {"via": "email"}}, {"recovery": {"via": "sms"}}, "recovery.via", "breaking"),
        ({}, {"verification": {"via": "email"}}, "verification.via", "widening"),
        ({"organizations": {"matcher": "email_domain"}}, {}, "organizations.matcher", "breaking"),
        ({}, {"organizations": {"matcher": "email_domain"}}, "organizations.matcher", "narrowing"),
    ],
)
def test_every_kratos_flag_is_classified(
    flags_before: Doc, flags_after: Doc, key: str, classification: str
) -> None:
    old = load(PASSKEY)
    new = copy.deepcopy(old)
    traits_of(old)["email"]["ory.sh/kratos"] = flags_before
    traits_of(new)["email"]["ory.sh/kratos"] = flags_after
    [change] = trait_diff(old, new)
    assert (change.trait, change.kind, change.keyword) == ("traits.email", "annotation", key)
    assert change.classification == classification, change.reason


def test_a_line_names_the_trait_and_marks_breaking() -> None:
    changes = trait_diff(load(K8S), five_changes(load(K8S)))
    lines = [change.line() for change in changes]
    assert (
        'BREAKING traits.role: enum narrowed, ["admin"] no longer allowed: existing '
        in "\n".join(lines)
    )
    assert all(line.startswith("BREAKING traits.") for line in lines)


def test_flags_on_array_items_are_diffed() -> None:
    # A list of addresses, each one a way to sign in and recover (Kratos' multiple-email shape).
    old = load(K8S)
    traits_of(old)["emails"] = {
        "type": "array",
        "items": {
            "type": "string",
            "format": "email",
            "ory.sh/kratos": {
                "credentials": {"password": {"identifier": True}},
                "recovery": {"via": "email"},
            },
        },
    }
    new = copy.deepcopy(old)
    del traits_of(new)["emails"]["items"]["ory.sh/kratos"]["recovery"]
    traits_of(new)["emails"]["maxItems"] = 3
    changes = {(c.trait, c.keyword): c.classification for c in trait_diff(old, new)}
    assert changes == {
        ("traits.emails", "maxItems"): "breaking",
        ("traits.emails[]", "recovery.via"): "breaking",
    }

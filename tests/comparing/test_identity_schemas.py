from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from reconciler import blobs
from reconciler.comparing.identity_schemas import (
    PRESETS,
    channels_used,
    code_identifiers,
    flatten_annotations,
    required_code_identifiers,
    resolve_entry,
    resolve_schemas,
    traits,
)
from reconciler.comparing.trait_diff import trait_diff

from conftest import FIXTURE_PROJECT as PROJECT
from conftest import KRATOS

Doc = dict[str, Any]
MFA_OPTIONAL = KRATOS / "test/e2e/profiles/mfa-optional/identity.traits.schema.json"
PHONE = KRATOS / "contrib/quickstart/kratos/phone-password/identity.schema.json"


def load(path: Path) -> Doc:
    loaded = json.loads(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def live_config() -> Doc:
    config = load(PROJECT)["services"]["identity"]["config"]
    assert isinstance(config, dict)
    return config


def test_base64_entry_is_decoded_and_hashed() -> None:
    raw = MFA_OPTIONAL.read_bytes()
    resolved = resolve_entry({"id": "default", "url": blobs.encode(raw)})
    assert resolved.source == "base64"
    assert resolved.content == load(MFA_OPTIONAL)
    assert resolved.digest == blobs.sha512_hex(raw)


def test_storage_url_resolves_through_contents_by_digest() -> None:
    raw = MFA_OPTIONAL.read_bytes()
    digest = blobs.sha512_hex(raw)
    url = f"https://storage.googleapis.com/bac-gcs-staging/{digest}.json"
    unresolved = resolve_entry({"id": digest, "url": url})
    assert (unresolved.source, unresolved.content, unresolved.digest) == (
        "unresolved",
        None,
        digest,
    )
    resolved = resolve_entry({"id": digest, "url": url}, {digest: raw})
    assert resolved.source == "contents"
    assert resolved.content == load(MFA_OPTIONAL)


def test_contents_may_be_keyed_by_url() -> None:
    raw = PHONE.read_bytes()
    resolved = resolve_entry(
        {"id": "phone", "url": "https://example.com/s.json"}, {"https://example.com/s.json": raw}
    )
    assert resolved.content == load(PHONE)


def test_invalid_json_content_is_reported() -> None:
    resolved = resolve_entry({"id": "broken", "url": blobs.encode(b"{not json")})
    assert resolved.content is None
    assert resolved.problem is not None and "not valid JSON" in resolved.problem


def test_presets_resolve_by_url_or_id() -> None:
    by_url = resolve_entry({"id": "mine", "url": "preset://email"})
    by_id = resolve_entry({"id": "preset://username", "url": "https://example.com/unknown"})
    assert (by_url.source, by_url.content) == ("preset", PRESETS["preset://email"])
    assert (by_id.source, by_id.content) == ("preset", PRESETS["preset://username"])
    assert resolve_entry({"id": "preset://sms", "url": "preset://sms"}).source == "unresolved"


def test_our_preset_descriptions_match_what_ory_network_serves() -> None:
    # The live fixture carries the presets Ory Network serves, inline as base64.
    served = {s.id: s.content for s in resolve_schemas(live_config())}
    for preset_id in ("preset://email", "preset://username"):
        ours, theirs = PRESETS[preset_id], served[preset_id]
        assert theirs is not None
        assert traits(ours) == traits(theirs)


def test_resolve_schemas_keeps_order_and_selectable() -> None:
    config: Doc = {
        "identity": {
            "schemas": [
                {"id": "a", "url": "preset://email"},
                {"id": "b", "url": "preset://username", "selfservice_selectable": True},
            ]
        }
    }
    assert [(s.id, s.selectable) for s in resolve_schemas(config)] == [("a", False), ("b", True)]
    assert resolve_schemas({}) == []


def test_preset_email_has_a_required_code_identifier() -> None:
    forced = required_code_identifiers(PRESETS["preset://email"])
    assert [(t.name, t.code_via, t.identifiers) for t in forced] == [
        ("email", "email", ("password", "webauthn", "code"))
    ]
    assert required_code_identifiers(PRESETS["preset://username"]) == []


def test_mfa_optional_profile_has_only_an_optional_code_identifier() -> None:
    schema = load(MFA_OPTIONAL)
    assert [t.name for t in code_identifiers(schema)] == ["optionalMfaEmail"]
    assert required_code_identifiers(schema) == []
    required = copy.deepcopy(schema)
    required["properties"]["traits"]["required"] = ["email", "optionalMfaEmail"]
    assert [t.name for t in required_code_identifiers(required)] == ["optionalMfaEmail"]


def test_nested_traits_are_required_only_if_every_level_is() -> None:
    schema: Doc = {
        "definitions": {
            "addr": {
                "type": "string",
                "ory.sh/kratos": {"credentials": {"code": {"identifier": True}}},
            }
        },
        "properties": {
            "traits": {
                "type": "object",
                "required": ["contact"],
                "properties": {
                    "contact": {
                        "type": "object",
                        "required": ["email"],
                        "properties": {
                            "email": {"$ref": "#/definitions/addr"},
                            "phone": {"type": "string"},
                        },
                    },
                    "backup": {
                        "type": "object",
                        "required": ["email"],
                        "properties": {"email": {"$ref": "#/definitions/addr"}},
                    },
                },
            }
        },
    }
    found = {t.name: (t.required, t.is_code_identifier) for t in traits(schema)}
    assert found == {
        "contact": (True, False),
        "contact.email": (True, True),
        "contact.phone": (False, False),
        "backup": (False, False),
        "backup.email": (False, True),
    }


def test_channels_used_lists_every_via() -> None:
    used = channels_used(load(PHONE))
    assert sorted(used) == ["email", "sms"]
    assert [key for _, key in used["email"]] == ["credentials.code.via", "verification.via"]
    assert [key for _, key in used["sms"]] == ["verification.via"]


def test_flatten_annotations() -> None:
    assert flatten_annotations({"credentials": {"code": {"identifier": True, "via": "sms"}}}) == {
        "credentials.code.identifier": True,
        "credentials.code.via": "sms",
    }


def test_trait_diff_marks_new_required_trait_and_removed_identifier_as_breaking() -> None:
    old = PRESETS["preset://email"]
    new: Doc = json.loads(json.dumps(old))
    traits_node = new["properties"]["traits"]
    traits_node["properties"]["email"]["ory.sh/kratos"]["credentials"].pop("password")
    traits_node["properties"]["name"] = {"type": "string"}
    traits_node["required"] = ["email", "name"]
    changes = {(c.trait, c.kind, c.keyword): c.breaking for c in trait_diff(old, new)}
    assert changes == {
        ("traits.email", "annotation", "credentials.password.identifier"): True,
        ("traits.name", "added", None): True,
    }


def test_trait_diff_to_the_optional_mfa_pattern() -> None:
    changes = trait_diff(PRESETS["preset://email"], load(MFA_OPTIONAL))
    kinds = {(c.trait, c.kind, c.keyword, c.classification) for c in changes}
    assert ("traits.optionalMfaEmail", "added", None, "widening") in kinds
    assert ("traits.email", "annotation", "credentials.code.identifier", "breaking") in kinds
    # users of the preset recovered by email; the new schema drops it: they no longer can
    assert ("traits.email", "annotation", "recovery.via", "breaking") in kinds


def test_trait_diff_requiredness_and_removal() -> None:
    old = load(MFA_OPTIONAL)
    new = copy.deepcopy(old)
    traits_node = new["properties"]["traits"]
    traits_node["required"] = []
    del traits_node["properties"]["optionalMfaEmail"]
    changes = {(c.trait, c.kind): c.breaking for c in trait_diff(old, new)}
    # optionalMfaEmail was a code identifier: removing it breaks code 2FA for those who set it
    assert changes == {
        ("traits.email", "now_optional"): False,
        ("traits.optionalMfaEmail", "removed"): True,
    }


def test_identical_schemas_have_no_trait_changes() -> None:
    assert trait_diff(load(MFA_OPTIONAL), load(MFA_OPTIONAL)) == []

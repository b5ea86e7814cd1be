"""Counting identities: integers by schema, credential type and check; the traits are checked
in memory against a schema (the breaking trait changes of issue 25) and never kept."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any

from reconciler.checks.identity_counts import CodeAddresses, TraitCheck, count
from reconciler.checks.kratos_schema import traits_check

from ory_server import generated_identities

PLANTED = "zq-planted-trait-7f3a"


def _schema(traits: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"traits": {"type": "object", "properties": traits, "required": required}},
    }


def _check(label: str, schema: dict[str, Any]) -> TraitCheck:
    valid = traits_check(schema)
    assert valid is not None
    return TraitCheck(label, frozenset({"customer"}), valid)


def _identity(traits: dict[str, Any], schema_id: str = "customer") -> dict[str, Any]:
    return {"id": "x", "schema_id": schema_id, "traits": traits, "credentials": {}}


def test_each_breaking_trait_change_counts_the_identities_it_refuses() -> None:
    people = [
        _identity({"age": "41", "plan": "gold", "name": {"first": PLANTED}}),
        _identity({"age": "7", "plan": "free", "name": {}}),
        _identity({"age": "33", "plan": "free", "name": {"first": "Al", "last": "B"}}),
    ]
    checks = [
        _check("type", _schema({"age": {"type": "integer"}}, [])),
        _check("enum", _schema({"plan": {"enum": ["free"]}}, [])),
        _check("length", _schema({"name": {"properties": {"first": {"maxLength": 5}}}}, [])),
        _check(
            "nested required",
            _schema({"name": {"type": "object", "required": ["last"]}}, ["name"]),
        ),
    ]
    counts = count(people, checks=checks)
    assert counts.checked == {"type": 3, "enum": 3, "length": 3, "nested required": 3}
    assert counts.failing == {"type": 3, "enum": 1, "length": 1, "nested required": 2}
    # Why, by trait and keyword: from the schema's side, never a value.
    assert counts.reasons == {
        "type": {"age type": 3},
        "enum": {"plan enum": 1},
        "length": {"name.first maxLength": 1},
        "nested required": {"name.last required": 2},
    }
    assert PLANTED not in json.dumps(counts.to_json())


def test_only_the_identities_of_the_checked_schema_are_checked() -> None:
    check = _check("type", _schema({"age": {"type": "integer"}}, []))
    counts = count([_identity({"age": "1"}), _identity({"age": "1"}, "staff")], checks=[check])
    assert counts.checked == {"type": 1} and counts.failing == {"type": 1}
    assert counts.per_schema == {"customer": 1, "staff": 1}


def test_code_addresses_and_other_second_factors() -> None:
    people = generated_identities(
        {"customer": 6, "staff": 3}, totp_every=3, code_schemas=["customer"]
    )
    for person in people:  # traits alone say who has an address: no code credential needed
        person["credentials"].pop("code", None)
    code = CodeAddresses({"customer": ("email",)})
    counts = count(people, code=code)
    assert counts.read == 9
    assert counts.code_second_factor == 6
    assert counts.code_only == 4  # TOTP on customers 0 and 3
    assert counts.per_credential == {"password": 9, "totp": 3}


def test_an_empty_or_missing_code_trait_is_no_address() -> None:
    code = CodeAddresses({"customer": ("contact.email",)})
    people = [
        _identity({"contact": {"email": ""}}),
        _identity({"contact": {}}),
        _identity({"contact": {"email": "a@b.example"}}),
    ]
    assert count(people, code=code).code_second_factor == 1


def test_an_unknown_key_is_a_reason_without_its_name() -> None:
    closed = _schema({"email": {"type": "string"}}, [])
    closed["properties"]["traits"]["additionalProperties"] = False
    counts = count([_identity({PLANTED: "x"})], checks=[_check("closed", closed)])
    assert counts.reasons == {"closed": {"traits additionalProperties": 1}}


def test_a_schema_that_is_no_json_schema_is_not_checked() -> None:
    assert traits_check({"type": 12}) is None


def test_the_migration_plan_reads_counts_by_switch_and_trait_change() -> None:
    from reconciler.checks.identity_counts import IdentityCounts, SwitchCounts
    from reconciler.comparing.trait_diff import TraitChange

    label = "customer -> customer-v2 (the new default)"
    counts = IdentityCounts(
        read=12,
        complete=True,
        per_schema={"customer": 12},
        checked={label: 12},
        failing={label: 5},
        reasons={label: {"email maxLength": 4, "tags[] enum": 1, "name.last required": 2}},
    )
    switch = SwitchCounts(counts)

    def change(trait: str, kind: Any, keyword: str | None) -> TraitChange:
        return TraitChange(trait, kind, keyword, None, None, "breaking", "")

    assert switch.with_schema("customer") == 12
    assert (
        switch.failing("customer", "customer-v2", change("traits.email", "keyword", "maxLength"))
        == 4
    )
    assert (
        switch.failing("customer", "customer-v2", change("traits.tags[]", "keyword", "enum")) == 1
    )
    assert (
        switch.failing(
            "customer", "customer-v2", change("traits.name.last", "now_required", "required")
        )
        == 2
    )
    assert switch.failing("customer", "customer-v2", change("traits.age", "keyword", "type")) == 0
    assert (
        switch.failing("customer", "other", change("traits.email", "keyword", "maxLength")) is None
    )
    sample = SwitchCounts(IdentityCounts(read=5, complete=False, per_schema={"customer": 5}))
    assert sample.with_schema("customer") is None  # a sample is no total


def test_a_map_traits_keys_are_the_identitys_and_never_a_reason() -> None:
    # A trait that is a map has the identity's own data as keys: the reason names the map.
    schema = _schema({"prefs": {"type": "object", "additionalProperties": {"type": "string"}}}, [])
    counts = count([_identity({"prefs": {PLANTED: 5}})], checks=[_check("map", schema)])
    assert counts.reasons == {"map": {"prefs.* type": 1}}
    assert PLANTED not in json.dumps(counts.to_json())


def test_every_missing_required_trait_is_a_reason() -> None:
    schema = _schema({"email": {"type": "string"}, "name": {"type": "string"}}, ["email", "name"])
    counts = count([_identity({})], checks=[_check("both", schema)])
    assert counts.reasons == {"both": {"email required": 1, "name required": 1}}


def test_a_remote_ref_in_an_identity_schema_is_never_fetched() -> None:
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "integer"}')

        def log_message(self, format: str, *args: Any) -> None:
            """Silent."""

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        remote = f"http://127.0.0.1:{server.server_address[1]}/trait.json"
        schema = _schema({"age": {"$ref": remote}}, [])
        counts = count([_identity({"age": "x"})], checks=[_check("remote", schema)])
        server.shutdown()
    assert asked == []
    assert counts.reasons == {"remote": {"$ref": 1}}

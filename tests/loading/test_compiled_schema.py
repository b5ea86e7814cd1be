"""The compiled fast path (jsonschema-rs) agrees with jsonschema, the authority on problems,
on the official schemas (the environment file is checked by its pydantic model).

A schema check trusts the compiled answer when it says "valid" (and, for an environment's
partial document, when only plain missing keys fail), so here each such answer is checked
against jsonschema itself on the real configs and identity schemas of the corpus and on
random mutations of them: a value replaced, a key dropped, a key added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from reconciler.checks.kratos_schema import KratosSchema, for_target
from reconciler.jsontypes import JSONObject, JSONValue, copy_json
from reconciler.loading.compiled_schema import CompiledSchema
from reconciler.targets import TargetKind

import corpus

KINDS: tuple[TargetKind, ...] = ("kratos_file", "ory_network")


@cache
def _configs(kind: TargetKind) -> tuple[Any, ...]:
    build = corpus.config_of if kind == "kratos_file" else corpus.network_seed
    return tuple(build(entry) for entry in corpus.entries())


@cache
def _identity_schemas() -> tuple[Any, ...]:
    paths = sorted(corpus.CORPUS.rglob("*.schema.json"))
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in paths)


def _authority(schema: KratosSchema, identity: bool = False) -> Draft7Validator:
    """jsonschema on exactly the schema and resources the compiled check was built from."""
    if identity:
        meta, _ = schema._identity_vocabulary
        schema._identity_schema_validator()  # registers the identity resources
        return Draft7Validator(meta, registry=schema._registry)
    return Draft7Validator(schema.governing, registry=schema._registry)


def _assert_agree(compiled: CompiledSchema, authority: Draft7Validator, document: Any) -> None:
    errors = list(authority.iter_errors(document))
    assert compiled.is_valid(document) == (not errors)
    failed = compiled.failed_keywords(document)
    assert failed is not None
    # What a partial check relies on: "only required" there means only required here.
    if failed == {"required"}:
        assert {error.validator for error in errors} == {"required"}
    assert bool(failed) == bool(errors)


def test_the_corpus_is_there_to_compare() -> None:
    assert len(_configs("kratos_file")) >= 30
    assert len(_identity_schemas()) >= 20


@pytest.mark.parametrize("kind", KINDS)
def test_every_real_config_gets_the_same_answer(kind: TargetKind) -> None:
    schema = for_target(kind)
    authority = _authority(schema)
    for config in _configs(kind):
        _assert_agree(schema._compiled_config, authority, config)


def test_every_real_identity_schema_gets_the_same_answer() -> None:
    schema = for_target("ory_network")
    authority = _authority(schema, identity=True)
    for document in _identity_schemas():
        _assert_agree(schema._identity_schema_check(), authority, document)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "https://a.test", "aal2", "web_hook", "1h", "password", "-1s"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["enabled", "hook", "config", "url", "x"]), children, max_size=3
        )
    ),
    max_leaves=6,
)


def _places(node: JSONValue, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _places(value, (*path, index))


@st.composite
def _mutated(draw: st.DrawFn, documents: tuple[Any, ...]) -> Any:
    document = copy_json(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        places = [place for place in _places(document) if place]
        if not places:
            break
        *parent_path, last = draw(st.sampled_from(places))
        parent = document
        for step in parent_path:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[last] = draw(JSON_VALUES)
        elif action == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["enabled", "hook", "required_aal", "zzz"]))] = draw(
                JSON_VALUES
            )
    return document


MUTATIONS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", KINDS)
@MUTATIONS
@given(data=st.data())
def test_mutated_configs_get_the_same_answer(kind: TargetKind, data: st.DataObject) -> None:
    schema = for_target(kind)
    document = data.draw(_mutated(_configs(kind)))
    _assert_agree(schema._compiled_config, _authority(schema), document)


@MUTATIONS
@given(data=st.data())
def test_mutated_identity_schemas_get_the_same_answer(data: st.DataObject) -> None:
    schema = for_target("ory_network")
    document = data.draw(_mutated(_identity_schemas()))
    _assert_agree(schema._identity_schema_check(), _authority(schema, identity=True), document)


@pytest.mark.parametrize("kind", KINDS)
def test_formats_are_not_asserted_as_jsonschema_does_not(kind: TargetKind) -> None:
    # jsonschema without a format checker ignores `format: uri`; were the compiled check to
    # assert it, every such config would take the slow path (and this would disagree).
    schema, authority = for_target(kind), _authority(for_target(kind))
    config = copy_json(next(c for c in _configs(kind) if authority.is_valid(c)))
    config.setdefault("selfservice", {})["default_browser_return_url"] = "not a url"
    assert authority.is_valid(config)
    assert schema._compiled_config.is_valid(config)


def test_what_it_cannot_compile_it_leaves_to_the_authority() -> None:
    # A lookbehind without its end is no regex in either dialect: no answer, so "not valid"
    # sends the caller to jsonschema, which reports the broken schema itself.
    broken = CompiledSchema({"properties": {"a": {"pattern": "(?<"}}})
    assert broken.is_valid({"a": "x"}) is False
    assert broken.failed_keywords({"a": "x"}) is None


def test_references_resolve_among_the_resources_given_and_nowhere_else() -> None:
    resources: dict[str, JSONObject] = {"ory://t": {"type": "string"}}
    assert CompiledSchema({"$ref": "ory://t"}, resources).is_valid("x")
    assert not CompiledSchema({"$ref": "ory://t"}, resources).is_valid(1)
    # Offline: a reference to the network is never fetched, the check is left undecided.
    assert CompiledSchema({"$ref": "https://example.test/s.json"}).failed_keywords("x") is None


def test_the_resolver_follows_a_reference_to_its_target() -> None:
    schema: JSONObject = {"definitions": {"flag": {"type": "boolean", "default": True}}}
    resolved = CompiledSchema(schema, base_uri="urn:test").resolver().lookup("#/definitions/flag")
    assert resolved.contents == {"type": "boolean", "default": True}


def test_the_shipped_kratos_schema_compiles() -> None:
    # Were it refused, every check would silently take the slow path.
    for kind in KINDS:
        assert for_target(kind)._compiled_config.failed_keywords({}) is not None
    assert for_target("ory_network")._identity_schema_check().failed_keywords({}) is not None

"""The environment file's model (``models.environment_model``, the identity config's part from
``services/identity/shape.py``) is never stricter than the official Kratos schema (issue 10,
item 3).

For every subtree of ``identity_config`` it types (each flow's hooks, the settings flow, every
method, ``identity``, ``session.whoami``), hypothesis-jsonschema generates documents from the
official schema itself, and the environment file's model must accept each one placed at its
path.
A type that rejects a key, a union or a hook the official schema allows fails here.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from reconciler import official
from reconciler.checks import network_overlay
from reconciler.checks.kratos_schema import for_target
from reconciler.jsontypes import JSONObject, JSONValue, split_pointer
from reconciler.loading import model_messages
from reconciler.loading.models import PATTERN_MEANING, environment_model
from reconciler.targets import TargetKind

# Keywords that only annotate: they constrain nothing a generator must honour.
_ANNOTATIONS = frozenset(
    {"description", "examples", "title", "default", "deprecationMessage", "$comment"}
)
# `not` only narrows values the environment schema takes as plain bool/str (a web hook's
# `body` oneOf, `response.ignore` with `parse`): dropping it lets the generator produce a
# superset of those values, which it must accept as well, and keeps it from rejecting most
# draws (it made one subtree take ~20 s).
_GENERATOR_HOSTILE = frozenset({"not"})

SUBTREES = (
    *(f"/selfservice/flows/{flow}/before" for flow in ("login", "registration", "settings")),
    *(f"/selfservice/flows/{flow}/before" for flow in ("recovery", "verification")),
    *(f"/selfservice/flows/{flow}/after" for flow in ("login", "registration", "recovery")),
    *(f"/selfservice/flows/{flow}/after" for flow in ("verification", "logout")),
    "/selfservice/flows/settings",
    *(
        f"/selfservice/methods/{method}"
        for method in ("password", "code", "totp", "lookup_secret", "webauthn", "passkey")
    ),
    *(f"/selfservice/methods/{method}" for method in ("link", "oidc", "profile")),
    "/identity",
    "/session/whoami",
)


KINDS: tuple[TargetKind, ...] = ("ory_network", "kratos_file")


@functools.cache
def _config_schema(kind: TargetKind) -> JSONObject:
    """The shipped schema a ``kind`` target is checked against (Ory Network: + the overlay)."""
    path = for_target(kind).path
    loaded: JSONObject = json.loads(path.read_text(encoding="utf-8"))
    if kind == "ory_network":
        overlay = json.loads(official.NETWORK_OVERLAY.read_text(encoding="utf-8"))
        loaded = network_overlay.extend(loaded, overlay)
    return loaded


def _inline(node: JSONValue, kind: TargetKind) -> JSONValue:
    """``node`` with every local ``$ref`` replaced by its definition (the subtrees typed here
    hold no recursive reference; hypothesis-jsonschema wants a self-contained schema)."""
    if isinstance(node, list):
        return [_inline(item, kind) for item in node]
    if not isinstance(node, dict):
        return node
    resolved: dict[str, Any] = {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        assert ref.startswith("#/definitions/"), f"unexpected reference {ref}"
        definitions = _config_schema(kind)["definitions"]
        assert isinstance(definitions, dict)
        resolved.update(_inline(definitions[ref.rsplit("/", 1)[1]], kind))  # type: ignore[arg-type]
    for key, value in node.items():
        if key != "$ref" and key not in _ANNOTATIONS and key not in _GENERATOR_HOSTILE:
            resolved[key] = _inline(value, kind)
    return resolved


def subtree_schema(pointer: str, kind: TargetKind = "ory_network") -> JSONObject:
    node: JSONValue = _config_schema(kind)
    for token in split_pointer(pointer):
        assert isinstance(node, dict)
        properties = node["properties"]
        assert isinstance(properties, dict)
        node = properties[token]
    inlined = _inline(node, kind)
    assert isinstance(inlined, dict)
    return inlined


def _placed(pointer: str, value: JSONValue) -> JSONObject:
    document: JSONValue = value
    for token in reversed(split_pointer(pointer)):
        document = {token: document}
    return {"identity_config": document}


def _schema_ref_is_ours(value: JSONValue) -> bool:
    # In an identity-schema entry, `schema` is our envelope's inline schema (rendered to a
    # base64:// url); the Kratos schema allows any extra key there, so leave that one out.
    schemas = value.get("schemas") if isinstance(value, dict) else None
    return isinstance(schemas, list) and any(
        isinstance(entry, dict) and "schema" in entry for entry in schemas
    )


def _grouped_by_schema() -> list[tuple[TargetKind, tuple[str, ...]]]:
    """Subtrees whose schemas are identical (every flow's ``before``; most of the release
    schema's subtrees equal master's) share one set of generated documents, each placed at
    every path of the group: same coverage, less time."""
    groups: dict[str, tuple[TargetKind, list[str]]] = {}
    for kind in KINDS:
        for pointer in SUBTREES:
            key = json.dumps(subtree_schema(pointer, kind), sort_keys=True)
            groups.setdefault(key, (kind, []))[1].append(pointer)
    return [(kind, tuple(dict.fromkeys(pointers))) for kind, pointers in groups.values()]


@pytest.mark.parametrize(
    ("kind", "pointers"),
    _grouped_by_schema(),
    ids=lambda value: str(value[0]) if isinstance(value, tuple) else value,
)
def test_the_environment_schema_accepts_what_the_official_schema_accepts(
    kind: TargetKind, pointers: tuple[str, ...]
) -> None:
    strategy = from_schema(subtree_schema(pointers[0], kind))
    if pointers[0] == "/identity":
        strategy = strategy.filter(lambda value: not _schema_ref_is_ours(value))

    @settings(
        max_examples=4,  # each draw costs ~0.2 s in hypothesis-jsonschema; make test stays fast
        deadline=None,
        database=None,
        # No shrinking: through hypothesis-jsonschema it takes minutes; the unshrunk
        # document and the schema's problem names the offending key well enough.
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        value = data.draw(strategy, label=pointers[0])
        for pointer in pointers:
            document = _placed(pointer, value)
            _, problems = model_messages.check(environment_model(), document, PATTERN_MEANING)
            assert problems == [], document

    check()


def test_the_generator_reaches_the_typed_fields() -> None:
    """The property above is not vacuous: the official schema types the fields ours types."""
    properties = subtree_schema("/selfservice/flows/login/after")["properties"]
    assert isinstance(properties, dict)
    assert {"hooks", "default_browser_return_url", "password"} <= set(properties)
    code = subtree_schema("/selfservice/methods/code")["properties"]
    assert isinstance(code, dict) and "mfa_enabled" in code

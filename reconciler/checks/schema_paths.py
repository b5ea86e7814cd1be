"""Walking a JSON schema to the place of a pointer: is there one, and what default does the
schema declare there. Pure; ``$ref`` is followed through a ``referencing`` resolver, passed in
(this module imports no schema library).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.jsontypes import JSONObject, JSONValue, Pointer, split_pointer

# Longer ``$ref`` chains than this are treated as a loop.
_MAX_REFS = 32
_BRANCHES = ("allOf", "anyOf", "oneOf")


def default_at(root: JSONValue, pointer: Pointer, resolver: Any) -> tuple[bool, JSONValue]:
    """``(True, default)`` when the schema declares a default for ``pointer``.

    ``$ref`` is followed, array indices step into ``items``, and object keys are looked up
    in ``properties``, ``patternProperties``, ``allOf``/``anyOf``/``oneOf`` branches and a
    schema-valued ``additionalProperties``, in that order.
    """
    node = root
    for token in split_pointer(pointer):
        found = _child_schema(node, token, resolver)
        if found is None:
            return False, None
        node, resolver = found
    return _default_of(node, resolver)


def schema_at(root: JSONValue, pointer: Pointer, resolver: Any) -> JSONValue | None:
    """The schema the place of ``pointer`` has, as its parent writes it (a ``$ref`` is not
    followed), found as ``default_at`` finds it; None when the schema has no place there."""
    node, tokens = root, split_pointer(pointer)
    for index, token in enumerate(tokens):
        found = _child_schema(node, token, resolver)
        if found is None:
            return None
        node, resolver = found
        if index == len(tokens) - 1:
            return node
    return node


def declares(node: JSONValue, tokens: list[str], resolver: Any) -> bool:
    """True when some branch of the schema has a place for the path ``tokens`` (unlike
    ``default_at``, every ``allOf``/``anyOf``/``oneOf`` branch is searched)."""
    return _somewhere(node, tokens, resolver, lambda _place: True)


def admits_null(node: JSONValue, tokens: list[str], resolver: Any) -> bool:
    """True when some branch of the schema accepts null as a value at the path ``tokens``:
    it names null (``type: null``, ``const: null``, an ``enum`` with null: OIDC
    ``requested_claims``), or it declares the place without restricting its type (Kratos'
    ``feature_flags`` has properties but no ``type``, so ``feature_flags:`` left empty is a
    valid Kratos config). A place the schema does not declare admits nothing."""
    return _somewhere(node, tokens, resolver, _accepts_null)


def _somewhere(
    node: JSONValue, tokens: list[str], resolver: Any, found: Callable[[JSONValue], bool]
) -> bool:
    """True when some branch of the schema at the path ``tokens`` is ``found``."""
    node, resolver = deref(node, resolver)
    if not tokens and found(node):
        return True
    if not isinstance(node, dict):
        return False
    if tokens:
        children = [direct_child(node, tokens[0])]
        extra = node.get("additionalProperties")
        children.append(extra if isinstance(extra, dict) else None)
        if any(c is not None and _somewhere(c, tokens[1:], resolver, found) for c in children):
            return True
    for keyword in _BRANCHES:
        branches = node.get(keyword)
        for branch in branches if isinstance(branches, list) else []:
            if _somewhere(branch, tokens, resolver, found):
                return True
    return False


def _accepts_null(place: JSONValue) -> bool:
    if place is True:
        return True
    if not isinstance(place, dict):
        return False
    kind, enum = place.get("type"), place.get("enum")
    if kind is None and enum is None and "const" not in place:
        return not any(keyword in place for keyword in _BRANCHES)  # branches decide for themselves
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or ("const" in place and place["const"] is None)
        or (isinstance(enum, list) and None in enum)
    )


def deref(node: JSONValue, resolver: Any) -> tuple[JSONValue, Any]:
    """``node`` with its ``$ref`` chain followed, and the resolver for where it ended."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < _MAX_REFS:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
        seen += 1
    return node, resolver


def direct_child(node: JSONObject, token: str) -> JSONValue | None:
    properties = node.get("properties")
    if isinstance(properties, dict) and token in properties:
        return properties[token]
    items = node.get("items")
    if token.isdigit() and isinstance(items, dict):
        return items
    if token.isdigit() and isinstance(items, list) and int(token) < len(items):
        return items[int(token)]
    patterns = node.get("patternProperties")
    for pattern, sub in patterns.items() if isinstance(patterns, dict) else []:
        if re.search(pattern, token):
            return sub
    return None


def child_schemas(node: JSONObject, key: str) -> list[JSONValue]:
    """Every schema of ``key``'s place below the object schema ``node``, as a validator
    applies them: its property and the patterns it matches, else a schema-valued
    ``additionalProperties`` (a map). ``$ref`` is not followed."""
    found: list[JSONValue] = []
    properties = node.get("properties")
    if isinstance(properties, dict) and key in properties:
        found.append(properties[key])
    patterns = node.get("patternProperties")
    for pattern, sub in patterns.items() if isinstance(patterns, dict) else []:
        if re.search(pattern, key):
            found.append(sub)
    extra = node.get("additionalProperties")
    if not found and isinstance(extra, dict):
        found.append(extra)
    return found


def _child_schema(node: JSONValue, token: str, resolver: Any) -> tuple[JSONValue, Any] | None:
    node, resolver = deref(node, resolver)
    if not isinstance(node, dict):
        return None
    direct = direct_child(node, token)
    if direct is not None:
        return direct, resolver
    for keyword in _BRANCHES:
        branches = node.get(keyword)
        for branch in branches if isinstance(branches, list) else []:
            found = _child_schema(branch, token, resolver)
            if found is not None:
                return found
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and not token.isdigit():
        return extra, resolver
    return None


def _default_of(node: JSONValue, resolver: Any) -> tuple[bool, JSONValue]:
    # A default written next to a `$ref` wins over the referenced one (Kratos does this).
    for _ in range(_MAX_REFS):
        if not isinstance(node, dict):
            return False, None
        if "default" in node:
            return True, node["default"]
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return False, None
        resolved = resolver.lookup(ref)
        node, resolver = resolved.contents, resolved.resolver
    return False, None

"""Keys an open object of the official schema accepts although nothing reads them. Pure.

The Kratos config schema closes most objects (``additionalProperties: false``), so its check
refuses a mistyped key there. A few objects it leaves open (``selfservice.methods.code``, a
webauthn or passkey ``rp``, a SAML provider, ``clients``, ``security`` …): Kratos and Ory
Network take any key there and silently ignore those they do not know, so a typo of the key
that turns on forced email 2FA (``mfa_enabeld``) would pass every check and do nothing.

This walks a document beside its schema and yields the keys of such objects that no branch of
the schema declares, with the keys the schema does declare there (what a typo is measured
against). Objects the schema declares no key for (free-form maps: headers, Jsonnet variables)
are not judged. ``$ref`` is followed through a resolver passed in, as ``schema_paths`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reconciler.checks import schema_paths
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, join_pointer

# Where the keys of one place may be declared: the place and every branch of it.
_BRANCHES = ("allOf", "anyOf", "oneOf")
_CONDITIONAL = ("then", "else")
# Deeper branch nesting than this is treated as a loop.
_MAX_DEPTH = 16

Schemas = list[tuple[JSONObject, Any]]


def undeclared(
    document: JSONValue, root: JSONValue, resolver: Any, pointer: Pointer = ""
) -> Iterator[tuple[Pointer, frozenset[str]]]:
    """``(pointer of the key, keys declared beside it)`` for each key of ``document`` (at
    ``pointer`` of the whole document) that the schema ``root`` has no place for."""
    yield from _walk(document, pointer, _expand(root, resolver))


def _walk(
    value: JSONValue, pointer: Pointer, schemas: Schemas
) -> Iterator[tuple[Pointer, frozenset[str]]]:
    if isinstance(value, list):
        items: Schemas = []
        for node, resolver in schemas:
            if isinstance(node.get("items"), dict):
                items += _expand(node["items"], resolver)
        for index, item in enumerate(value):
            yield from _walk(item, join_pointer(pointer, index), items)
        return
    if not isinstance(value, dict) or not schemas:
        return
    known = frozenset(key for node, _ in schemas for key in _properties(node))
    for key, child in value.items():
        below = join_pointer(pointer, key)
        children = [found for node, resolver in schemas for found in _child(node, key, resolver)]
        if children:
            yield from _walk(child, below, children)
        elif known:
            yield below, known


def _child(node: JSONObject, key: str, resolver: Any) -> Schemas:
    """The schemas of ``key``'s place below ``node``: its property, the patterns it matches,
    or a schema-valued ``additionalProperties`` (a map)."""
    found: list[JSONValue] = []
    properties = _properties(node)
    if key in properties:
        found.append(properties[key])
    patterns = node.get("patternProperties")
    for pattern, sub in patterns.items() if isinstance(patterns, dict) else []:
        if re.search(pattern, key):
            found.append(sub)
    extra = node.get("additionalProperties")
    if not found and isinstance(extra, dict):
        found.append(extra)
    return [expanded for sub in found for expanded in _expand(sub, resolver)]


def _expand(node: JSONValue, resolver: Any, depth: int = 0) -> Schemas:
    """``node`` with its ``$ref`` followed, and every branch that may apply at its place."""
    node, resolver = schema_paths.deref(node, resolver)
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return []
    expanded: Schemas = [(node, resolver)]
    for keyword in _BRANCHES:
        branches = node.get(keyword)
        for branch in branches if isinstance(branches, list) else []:
            expanded += _expand(branch, resolver, depth + 1)
    for keyword in _CONDITIONAL:
        expanded += _expand(node.get(keyword), resolver, depth + 1)
    return expanded


def _properties(node: JSONObject) -> JSONObject:
    properties = node.get("properties")
    return properties if isinstance(properties, dict) else {}

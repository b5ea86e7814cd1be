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


class OpenObjects:
    """The open objects of one schema: ``root`` with the ``$ref`` ``resolver`` at its root.

    Which schemas apply at a place is worked out once per schema node and remembered (each
    remembered entry holds its node, so a node's ``id`` is never reused while remembered)."""

    def __init__(self, root: JSONValue, resolver: Any) -> None:
        self._root = root
        self._resolver = resolver
        self._expanded: dict[int, tuple[JSONValue, Schemas]] = {}

    def undeclared(
        self, document: JSONValue, pointer: Pointer = ""
    ) -> Iterator[tuple[Pointer, frozenset[str]]]:
        """``(pointer of the key, keys declared beside it)`` for each key of ``document`` (at
        ``pointer`` of the whole document) that the schema has no place for."""
        yield from self._walk(document, pointer, self._expand(self._root, self._resolver))

    def _walk(
        self, value: JSONValue, pointer: Pointer, schemas: Schemas
    ) -> Iterator[tuple[Pointer, frozenset[str]]]:
        if isinstance(value, list):
            items = [
                found
                for node, resolver in schemas
                if isinstance(node.get("items"), dict)
                for found in self._expand(node["items"], resolver)
            ]
            for index, item in enumerate(value):
                yield from self._walk(item, join_pointer(pointer, index), items)
            return
        if not isinstance(value, dict) or not schemas:
            return
        known = frozenset(key for node, _ in schemas for key in _properties(node))
        for key, child in value.items():
            below = join_pointer(pointer, key)
            children = [
                found
                for node, resolver in schemas
                for sub in schema_paths.child_schemas(node, key)
                for found in self._expand(sub, resolver)
            ]
            if children:
                yield from self._walk(child, below, children)
            elif known:
                yield below, known

    def _expand(self, node: JSONValue, resolver: Any, depth: int = 0) -> Schemas:
        """``node`` with its ``$ref`` followed, and every branch that may apply at its place."""
        remembered = self._expanded.get(id(node))
        if remembered is not None:
            return remembered[1]
        found, resolver = schema_paths.deref(node, resolver)
        if not isinstance(found, dict) or depth > _MAX_DEPTH:
            return []
        expanded: Schemas = [(found, resolver)]
        for keyword in _BRANCHES:
            branches = found.get(keyword)
            for branch in branches if isinstance(branches, list) else []:
                expanded += self._expand(branch, resolver, depth + 1)
        for keyword in _CONDITIONAL:
            if keyword in found:
                expanded += self._expand(found[keyword], resolver, depth + 1)
        self._expanded[id(node)] = (node, expanded)
        return expanded


def _properties(node: JSONObject) -> JSONObject:
    properties = node.get("properties")
    return properties if isinstance(properties, dict) else {}

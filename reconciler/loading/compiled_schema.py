"""A JSON Schema compiled to native code (jsonschema-rs): is a document valid, yes or no.

The fast path of every schema check. Most documents are valid, and for those the question
is answered in microseconds without importing the Python ``jsonschema`` library, which costs a
cold start about 75 ms and a Kratos config check about 1-4 ms (issue 14: ``validate`` of one
environment within 6x bare Python, a few ms of CPU per environment in ``plan --all``).

``jsonschema`` stays the one authority on *why* a document is invalid: callers ask it only
when this says no. So the two must agree on every valid document, which
``tests/loading/test_compiled_schema.py`` checks on the real configs of the corpus and on mutations
of them. Whatever this cannot answer (a pattern its regex engine refuses, a value that is not
plain JSON) is answered "no", which sends the caller to the authority: slower, never wrong.

Draft-07 and no ``format`` assertions, as the Python checks use it (``Draft7Validator``
without a format checker); references resolve only among the resources given (offline).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from reconciler.jsontypes import JSONObject, JSONValue


class CompiledSchema:
    """``schema`` with ``resources`` (URI -> schema) for its ``$ref``s, compiled on first use.
    ``base_uri``: where the schema's own relative references resolve (its ``$id``)."""

    def __init__(
        self,
        schema: JSONObject,
        resources: Mapping[str, JSONObject] | None = None,
        base_uri: str = "urn:reconciler:schema",
    ):
        self._schema = schema
        self._resources = {**(resources or {}), base_uri: schema}
        self._base_uri = base_uri
        self._lock = threading.Lock()
        self._built = False
        self._validator: jsonschema_rs.Validator | None = None
        self._registry: jsonschema_rs.Registry | None = None

    def resolver(self) -> Any:
        """A ``$ref`` resolver at the schema's root: ``lookup(ref)`` gives ``.contents`` and the
        ``.resolver`` for where it landed (the interface ``checks/schema_paths`` walks)."""
        with self._lock:
            return self._registry_built().resolver(self._base_uri)

    def is_valid(self, document: JSONValue) -> bool:
        """True only when the document satisfies the schema; False when it does not, or when
        the compiled schema cannot tell (then the caller's full check decides)."""
        validator = self._compiled()
        if validator is None:
            return False
        try:
            return validator.is_valid(document)
        except (ValueError, TypeError, OverflowError):  # not plain JSON, or a huge integer
            return False

    def failed_keywords(self, document: JSONValue) -> frozenset[str] | None:
        """The keywords the document fails where they fail first (``required`` for a missing
        key, ``anyOf`` for an alternative none of whose branches fits…); empty when it is
        valid, None when the compiled schema cannot tell."""
        validator = self._compiled()
        if validator is None:
            return None
        try:
            return frozenset(error.kind.name for error in validator.iter_errors(document))
        except (ValueError, TypeError, OverflowError):
            return None

    def _compiled(self) -> jsonschema_rs.Validator | None:
        with self._lock:
            if not self._built:
                self._validator = self._compile()
                self._built = True
            return self._validator

    def _registry_built(self) -> jsonschema_rs.Registry:
        """The resources, registered once for the validator and the resolver (under the lock)."""
        if self._registry is None:
            resources = list(self._resources.items())
            self._registry = jsonschema_rs.Registry(resources, draft=jsonschema_rs.Draft7)
        return self._registry

    def _compile(self) -> jsonschema_rs.Validator | None:
        try:
            return jsonschema_rs.Draft7Validator(
                self._schema,
                validate_formats=False,
                registry=self._registry_built(),
                base_uri=self._base_uri,
                offline=True,
            )
        except (
            ValueError,
            TypeError,
            jsonschema_rs.ValidationError,
            jsonschema_rs.ReferencingError,
        ):
            # A pattern outside its regex dialect, an unresolvable reference…: the Python
            # check answers every document instead (and reports any such problem itself).
            return None

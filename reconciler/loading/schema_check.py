"""A document against one of our own schemas (``models``: the environment file,
``reconciler.yaml``): is it valid, and if not, every problem in the user's words.

The compiled schema (``compiled_schema``) answers a valid document; jsonschema is imported
only to explain one it refused (cold start: ``validate`` of a valid file never loads it).
A problem names its pointer; the caller knows the file and the line (``validate.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import suggest
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, join_pointer, pointer_from
from reconciler.loading.compiled_schema import CompiledSchema

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

# ``x-message``: a rule's own wording, keyed by the keyword that enforces it (models.py).
MESSAGE_KEYWORD = "x-message"

# Our schemas combine branches only to say which keys an object may have together.
_RULES_ABOUT_KEYS = frozenset({"oneOf", "anyOf", "not"})

_TYPE_WORDS = {
    "object": "a mapping (key: value pairs)",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "integer": "a whole number",
    "number": "a number",
}


@dataclass(frozen=True)
class SchemaCheckProblem:
    """One reason a document does not fit its schema; ``shows_value``: the message ends with
    what was written (``got 'yes'``), unless that is sensitive."""

    pointer: Pointer
    message: str
    value: JSONValue = field(default=None, compare=False)  # may be a mapping: not hashable
    shows_value: bool = False

    def text(self, *, sensitive: bool) -> str:
        if not self.shows_value:
            return self.message
        return f"{self.message}, got {'(sensitive)' if sensitive else _short(self.value)}"


class SchemaCheck:
    """One of our schemas, checked fast and explained on demand."""

    def __init__(self, schema: JSONObject, pattern_meaning: dict[str, str] | None = None):
        self.schema = schema
        self._pattern_meaning = pattern_meaning or {}
        self._compiled = CompiledSchema(schema)
        self._lock = threading.Lock()
        self._explainer: Draft7Validator | None = None

    def problems(self, document: JSONValue) -> list[SchemaCheckProblem]:
        """Every problem of ``document``, by pointer; ``[]`` when it fits."""
        if self._compiled.is_valid(document):
            return []
        errors = list(self._explaining().iter_errors(document))
        # Which keys go together is judged once every key is known: an unknown key (a typo
        # of one of them, most likely) is the one problem there.
        unknown_at = {e.json_path for e in errors if e.validator == "additionalProperties"}
        found = {
            problem
            for error in errors
            if not (error.validator in _RULES_ABOUT_KEYS and error.json_path in unknown_at)
            for problem in self._describe(error)
        }
        return sorted(found, key=lambda problem: (problem.pointer, problem.message))

    def _explaining(self) -> Draft7Validator:
        with self._lock:
            if self._explainer is None:
                from jsonschema import Draft7Validator

                self._explainer = Draft7Validator(self.schema)
            return self._explainer

    def _describe(self, error: ValidationError) -> Iterator[SchemaCheckProblem]:
        pointer = pointer_from(error.absolute_path)
        kind = str(error.validator)
        own = error.schema.get(MESSAGE_KEYWORD) if isinstance(error.schema, dict) else None
        if kind in _RULES_ABOUT_KEYS and not isinstance(error.instance, dict):
            return  # a rule about an object's keys: the value's type error says it all
        if isinstance(own, dict) and isinstance(own.get(kind), str):
            yield SchemaCheckProblem(pointer, own[kind])
        elif kind == "additionalProperties":
            yield from _unknown_keys(error, pointer)
        elif kind == "required":
            yield from _missing_keys(error, pointer)
        else:
            if "propertyNames" in error.relative_schema_path:  # the key itself is wrong
                pointer = join_pointer(pointer, str(error.instance))
            yield self._plain(error, pointer, kind)

    def _plain(self, error: ValidationError, pointer: Pointer, kind: str) -> SchemaCheckProblem:
        expected: Any = error.validator_value
        if kind == "type":
            kinds = [expected] if isinstance(expected, str) else list(expected)
            named = next((k for k in kinds if k != "null"), "null")
            return _shown(pointer, f"must be {_TYPE_WORDS.get(named, named)}", error)
        if kind == "enum":
            choices = [repr(choice) for choice in expected if choice is not None]
            return _shown(pointer, f"must be {_either(choices)}", error)
        if kind == "pattern":
            meaning = self._pattern_meaning.get(expected, f"text matching {expected}")
            return _shown(pointer, f"must be {meaning}", error)
        if kind in ("minLength", "minItems"):
            return SchemaCheckProblem(pointer, "must not be empty")
        if kind == "minimum":
            return _shown(pointer, f"must be at least {expected}", error)
        if kind == "maximum":
            return _shown(pointer, f"must be at most {expected}", error)
        return SchemaCheckProblem(pointer, str(error.message))


def _shown(pointer: Pointer, message: str, error: ValidationError) -> SchemaCheckProblem:
    value: Any = error.instance
    return SchemaCheckProblem(pointer, message, value=value, shows_value=True)


def _unknown_keys(error: ValidationError, pointer: Pointer) -> Iterator[SchemaCheckProblem]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key not in known:
            yield SchemaCheckProblem(
                join_pointer(pointer, key), f"unknown key {key!r}{_did_you_mean(key, known)}"
            )


def _missing_keys(error: ValidationError, pointer: Pointer) -> Iterator[SchemaCheckProblem]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    required: Any = error.validator_value
    for key in required:
        if key not in instance:
            yield SchemaCheckProblem(join_pointer(pointer, key), "required key is missing")


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return ""
    close = suggest.closest(key, names)
    if close:
        return f"; did you mean {close!r}?"
    return f"; expected one of: {', '.join(names)}"


def _either(choices: list[str]) -> str:
    if len(choices) <= 1:
        return "".join(choices)
    return f"{', '.join(choices[:-1])} or {choices[-1]}"


def _short(value: JSONValue) -> str:
    """What was written, as short text; true, false and null as YAML spells them."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

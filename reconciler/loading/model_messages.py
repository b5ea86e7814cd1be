"""A document against one of our own models (``models``: the environment file,
``reconciler.yaml``): is it valid, and if not, every problem in the user's words.

pydantic reports where (a ``loc``) and what (an error type); this module is the one place
that turns that into our messages: the pointer of the key (a tagged union's tag and a
dictionary key's ``[key]`` marker dropped), "unknown key 'x'; did you mean 'y'?" with the keys
the model knows there, "must be a boolean (true or false), got 'yes'", what a pattern means,
and a rule's own text (``services/shape.RULE``). A problem names its pointer; the caller knows
the file and the line (``validate.py``, ``repository_settings.py``).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic_core import ErrorDetails

from reconciler import suggest
from reconciler.jsontypes import JSONValue, Pointer, pointer_from
from reconciler.services.shape import RULE

_TYPE_WORDS = {
    "object": "a mapping (key: value pairs)",
    "array": "a list",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "integer": "a whole number",
    "number": "a number",
}
# Each pydantic error about a value's type, as the type it wanted.
_WANTED = {
    "bool_type": "boolean",
    "string_type": "string",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}
# Where pydantic puts a dictionary key's own problem (after the key).
_KEY_MARKER = "[key]"
_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One reason a document does not fit its model; ``shows_value``: the message ends with
    what was written (``got 'yes'``), unless that is sensitive."""

    pointer: Pointer
    message: str
    value: JSONValue = field(default=None, compare=False)  # may be a mapping: not hashable
    shows_value: bool = False

    def text(self, *, sensitive: bool) -> str:
        if not self.shows_value:
            return self.message
        return f"{self.message}, got {'(sensitive)' if sensitive else _short(self.value)}"


def check(
    model: type[_Model], document: JSONValue, pattern_meaning: Mapping[str, str]
) -> tuple[_Model | None, list[Problem]]:
    """``document`` read through ``model``, or None and every problem, by pointer."""
    try:
        return model.model_validate(document), []
    except ValidationError as exc:
        return None, _problems(model, exc.errors(include_url=False), pattern_meaning)


def _problems(
    model: type[BaseModel], errors: list[ErrorDetails], pattern_meaning: Mapping[str, str]
) -> list[Problem]:
    located = [(_place(model, error["loc"]), error) for error in errors]
    # Which keys go together is judged once every key is known: an unknown key (a typo of one
    # of them, most likely) is the one problem there.
    unknown_at = {
        tokens[:-1] for (tokens, _), error in located if error["type"] == "extra_forbidden"
    }
    found = {
        _describe(error, tokens, known, pattern_meaning)
        for (tokens, known), error in located
        if not (error["type"] == RULE and tokens in unknown_at)
    }
    return sorted(found, key=lambda problem: (problem.pointer, problem.message))


def _describe(
    error: ErrorDetails,
    tokens: tuple[str | int, ...],
    known: Iterable[str],
    pattern_meaning: Mapping[str, str],
) -> Problem:
    pointer = pointer_from(list(tokens))
    kind = error["type"]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "extra_forbidden":
        key = str(tokens[-1])
        return Problem(pointer, f"unknown key {key!r}{_did_you_mean(key, known)}")
    if kind == "missing":
        return Problem(pointer, "required key is missing")
    if kind == RULE:
        return Problem(pointer, error["msg"])
    if kind in _WANTED:
        return _shown(pointer, f"must be {_TYPE_WORDS[_WANTED[kind]]}", error)
    if kind == "literal_error":
        return _shown(pointer, f"must be {context['expected']}", error)
    if kind == "string_pattern_mismatch":
        pattern = str(context["pattern"])
        meaning = pattern_meaning.get(pattern, f"text matching {pattern}")
        return _shown(pointer, f"must be {meaning}", error)
    if kind in ("string_too_short", "too_short"):
        return Problem(pointer, "must not be empty")
    if kind == "greater_than_equal":
        return _shown(pointer, f"must be at least {context['ge']}", error)
    if kind == "less_than_equal":
        return _shown(pointer, f"must be at most {context['le']}", error)
    return Problem(pointer, error["msg"])


def _shown(pointer: Pointer, message: str, error: ErrorDetails) -> Problem:
    return Problem(pointer, message, value=error["input"], shows_value=True)


# --- where an error is, and which keys the model knows there --------------------------------


def _place(
    model: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[tuple[str | int, ...], list[str]]:
    """The pointer tokens of ``loc``, and the keys the model knows at its parent (for an
    unknown key's did-you-mean)."""
    tokens: list[str | int] = []
    current: Any = model
    parent: Any = model
    for part in loc:
        parent = current
        current, kept = _step(current, part)
        if kept:
            tokens.append(part)
    return tuple(tokens), _keys_of(parent)


def _step(annotation: Any, part: int | str) -> tuple[Any, bool]:
    """What ``part`` of a value typed ``annotation`` is typed, and whether ``part`` is a key
    of the document (a tag or a key marker is pydantic's, not the user's)."""
    annotation, tags = _unwrapped(annotation)
    if part == _KEY_MARKER:
        return Any, False
    if part in tags:
        return tags[part], False
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation, True
        return Any, True
    arguments = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) and arguments:
        return arguments[0], True
    if origin is dict and len(arguments) == 2:
        return arguments[1], True
    return Any, True


def _unwrapped(annotation: Any) -> tuple[Any, dict[str | int, Any]]:
    """``annotation`` without ``Annotated`` and ``| None``; and, for a tagged union, its
    members by tag."""
    tags: dict[str | int, Any] = {}
    while True:
        origin = typing.get_origin(annotation)
        arguments = typing.get_args(annotation)
        if origin is typing.Annotated:
            if any(isinstance(meta, Discriminator) for meta in arguments[1:]):
                tags.update(_tagged(arguments[0]))
            annotation = arguments[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in arguments if a is not type(None)]
            if len(members) != 1:
                return annotation, tags
            annotation = members[0]
        else:
            return annotation, tags


def _tagged(union: Any) -> dict[str | int, Any]:
    members: dict[str | int, Any] = {}
    for member in typing.get_args(union):
        for meta in typing.get_args(member)[1:]:
            if isinstance(meta, Tag):
                members[meta.tag] = typing.get_args(member)[0]
    return members


def _keys_of(annotation: Any) -> list[str]:
    annotation, _ = _unwrapped(annotation)
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [info.alias or name for name, info in annotation.model_fields.items()]
    return []


# --- wording -------------------------------------------------------------------------------


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    names = sorted(known)
    if not names:
        return ""
    close = suggest.closest(key, names)
    if close:
        return f"; did you mean {close!r}?"
    return f"; expected one of: {', '.join(names)}"


def _short(value: JSONValue) -> str:
    """What was written, as short text; true, false and null as YAML spells them."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

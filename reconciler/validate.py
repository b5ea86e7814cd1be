"""Turn a raw environment into a typed one, or one ConfigError listing every problem.

Each problem names the file, line and key that produced it (not the merged document), and
unknown keys of our envelope get a did-you-mean (inside ``identity_config`` the official schema
reports unknown keys, see ``kratos_schema.py``).
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, dotted_key, join_pointer
from reconciler.loader import RawEnvironment
from reconciler.models import HOOK_TAGS, PATTERN_MEANING, Environment


@dataclass(frozen=True)
class ValidEnvironment:
    """A raw environment that passed the typed model; ``raw`` stays the source of truth."""

    raw: RawEnvironment
    model: Environment = field(repr=False)  # holds secret values

    @property
    def identity_config(self) -> JSONObject:
        config = self.raw.data.get("identity_config", {})
        assert isinstance(config, dict)
        return config


def validate(raw: RawEnvironment) -> ValidEnvironment:
    """Check ``raw`` against the models; raises ConfigError with every problem found."""
    try:
        model = Environment.model_validate(raw.data)
    except ValidationError as exc:
        described = {_describe(raw, error) for error in exc.errors()}
        raise ConfigError([text for _, text in sorted(described)]) from None
    _check_remove_vs_set(raw)
    return ValidEnvironment(raw=raw, model=model)


def _check_remove_vs_set(raw: RawEnvironment) -> None:
    removals = raw.data.get("remove", [])
    assert isinstance(removals, list)
    problems = []
    for index, pointer in enumerate(removals):
        assert isinstance(pointer, str)
        if f"/identity_config{pointer}" in raw.info:
            where = raw.location(f"/remove/{index}")
            problems.append(
                f"{where}: {pointer} is listed under remove: but also set in "
                f"{raw.info[f'/identity_config{pointer}'].location}; keep one"
            )
    if problems:
        raise ConfigError(problems)


def _describe(raw: RawEnvironment, error: ErrorDetails) -> tuple[tuple[str, int, int], str]:
    """The problem's text, with a key that sorts problems by file, line and column."""
    pointer, model_path = _pointer_of(raw.data, error["loc"])
    location = raw.location(pointer)
    where = str(location) if location else f"{raw.path}: {dotted_key(pointer)}"
    order = (location.file, location.line, location.column) if location else ("", 0, 0)
    return order, f"{where}: {_message(raw, pointer, model_path, error)}"


def _pointer_of(data: JSONValue, loc: tuple[int | str, ...]) -> tuple[Pointer, list[str | int]]:
    """Map a pydantic error location onto the document, skipping the union tags it adds."""
    pointer = ""
    current: Any = data
    model_path: list[str | int] = []
    for element in loc:
        model_path.append(element)
        key = _ALIASES.get(element, element) if isinstance(element, str) else element
        if _has(current, key):
            current = current[key]
            pointer = join_pointer(pointer, key)
        elif not (isinstance(element, str) and element in _TAGS):
            return join_pointer(pointer, key), model_path
    return pointer, model_path


# Fields whose Python name differs from the key users write.
_ALIASES = {"in_": "in", "schema_": "schema"}


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(key, str) and key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


# Discriminated unions put their tag into error locations; it is no key of the document.
_TAGS = HOOK_TAGS


def _message(
    raw: RawEnvironment, pointer: Pointer, model_path: list[str | int], error: ErrorDetails
) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(model_path[-1])
        return f"unknown key {key!r}{_did_you_mean(key, model_path[:-1])}"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        message = "Must be a mapping (key: value pairs)"
    elif kind == "list_type":
        message = "Must be a list"
    elif kind == "too_short":
        return "must not be empty"
    elif kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        message = f"Must be {PATTERN_MEANING.get(pattern, f'text matching {pattern}')}"
    secret = any(
        info.variables or info.tagged_secret
        for p, info in raw.info.items()
        if p == pointer or p.startswith(pointer + "/")
    )
    got = "(sensitive)" if secret else _short(error.get("input"))
    return f"{message[0].lower()}{message[1:]}, got {got}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(key: str, model_path: list[str | int]) -> str:
    known = _known_keys(Environment, model_path)
    if not known:
        return ""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; expected one of: {', '.join(sorted(known))}"


def _known_keys(model: type[BaseModel], path: list[str | int]) -> list[str]:
    """Field names of the model found by walking ``path`` through annotations."""
    current: Any = model
    for element in path:
        current = _step(current, element)
        if current is None:
            return []
    models = _models_in(current)
    if not models:
        return []
    return [f.alias or name for name, f in models[0].model_fields.items()]


def _step(annotation: Any, element: str | int) -> Any:
    for candidate in _models_in(annotation):
        if isinstance(element, int):
            return candidate
        fields = candidate.model_fields
        if element in fields:
            return fields[element].annotation
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, str):
        return []
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found.extend(_models_in(argument))
    return found

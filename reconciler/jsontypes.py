"""Names for the JSON shapes that flow through the reconciler, and the one home of what is
done with them: canonical JSON, JSON pointers (through ``jsonpointer``), the deep merge."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Container, Iterable
from typing import TypeAlias, TypeVar, Union, cast

import jsonpointer

JSONScalar: TypeAlias = str | int | float | bool | None
JSONValue: TypeAlias = Union[JSONScalar, "JSONArray", "JSONObject"]
JSONArray: TypeAlias = list[JSONValue]
JSONObject: TypeAlias = dict[str, JSONValue]
# An RFC 6901 JSON pointer, relative to the identity config unless stated otherwise.
Pointer: TypeAlias = str
_Copied = TypeVar("_Copied", bound=JSONValue)


def canonical_json(value: JSONValue) -> str:
    """The one serialisation every digest, fingerprint and ``base64://`` blob is taken of:
    sorted keys, no spaces, Unicode kept as is (so equal documents give equal bytes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(value: JSONValue) -> bytes:
    """:func:`canonical_json` encoded as UTF-8, ready for a hash or a blob."""
    return canonical_json(value).encode()


def readable_json(value: JSONValue) -> str:
    """The layout of the generated JSON files people read and diff (the editor and plan-file
    schemas): indented, sorted keys, Unicode kept, a final newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def escape_token(token: str) -> str:
    """Escape one reference token for use in a JSON pointer (RFC 6901 §3)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(parent: Pointer, token: str | int) -> Pointer:
    return f"{parent}/{escape_token(str(token))}"


def pointer_from(tokens: Iterable[str | int]) -> Pointer:
    """The pointer of a path of keys and indices (``["a", 0]`` -> ``/a/0``): the inverse of
    ``split_pointer``, for the paths schema validators report."""
    pointer = ""
    for token in tokens:
        pointer = join_pointer(pointer, token)
    return pointer


def nearest_known(pointer: Pointer, known: Container[Pointer]) -> Pointer:
    """``pointer`` if ``known`` has it, else its nearest ancestor that is, else the root:
    where a message points when the value itself was never written (a missing key)."""
    while pointer and pointer not in known:
        pointer = pointer.rsplit("/", 1)[0]
    return pointer


def split_pointer(pointer: Pointer) -> list[str]:
    """Split ``/a/b~1c`` into ``["a", "b/c"]``; the empty pointer is the root."""
    return list(_tokens(pointer))


# Lint rules, defaults and the diff look up the same few hundred pointers in every
# environment of plan --all: split once per run (it was the largest share of lint's CPU).
@functools.lru_cache(maxsize=16384)
def _tokens(pointer: Pointer) -> tuple[str, ...]:
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return tuple(unescape_token(t) for t in pointer[1:].split("/"))


def copy_json(value: _Copied) -> _Copied:
    """A deep copy of plain JSON (mappings, lists, scalars): what ``copy.deepcopy`` does for
    these, several times faster (a shared layer is copied for every environment)."""
    return cast(_Copied, _copy_json(value))


def _copy_json(value: JSONValue) -> JSONValue:
    if isinstance(value, dict):
        return {key: _copy_json(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_copy_json(child) for child in value]
    return value


def dotted_key(pointer: Pointer) -> str:
    """``/identity_config/a/hooks/0/url`` -> ``identity_config.a.hooks[0].url``."""
    text = ""
    for token in split_pointer(pointer):
        text += f"[{token}]" if token.isdigit() else (f".{token}" if text else token)
    return text


def is_within(pointer: Pointer, ancestor: Pointer) -> bool:
    """True when ``pointer`` is ``ancestor`` or lies below it."""
    return pointer == ancestor or pointer.startswith(ancestor + "/")


def get_at(doc: JSONValue, pointer: Pointer) -> tuple[bool, JSONValue]:
    """Return ``(found, value)`` for ``pointer`` in ``doc``; never raises on absence."""
    # Walked here, not by jsonpointer: reads are the hot path (every lint rule and default
    # lookup), and JsonPointer(p).resolve measured 10x slower per call (6.5x with parsed
    # pointers cached), about 2 ms more CPU per environment where the whole plan takes 7 ms
    # (docs/benchmarks.md). It also indexes into strings and yields EndOfList for "-".
    current = doc
    for token in _tokens(pointer):
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return False, None
    return True, current


def set_at(doc: JSONValue, pointer: Pointer, value: JSONValue, *, create: bool = False) -> None:
    """Set the value at ``pointer``. Its parent must exist, unless ``create``: then missing
    mappings on the way are made. Raises ``jsonpointer.JsonPointerException`` otherwise."""
    jsonpointer.JsonPointer(pointer).set(doc, value, create=create)


def remove_at(doc: JSONValue, pointer: Pointer) -> None:
    """Remove the key ``pointer`` names from its mapping; nothing when either is absent."""
    try:
        parent, key = jsonpointer.JsonPointer(pointer).to_last(doc)
    except jsonpointer.JsonPointerException:
        return
    if isinstance(parent, dict):
        parent.pop(key, None)


def deep_merge(
    base: JSONValue,
    overlay: JSONValue,
    *,
    at: Pointer = "",
    whole: Collection[Pointer] = (),
    replaced: list[Pointer] | None = None,
) -> JSONValue:
    """``overlay`` laid over ``base`` (found at ``at``): mappings merge key by key, the overlay
    winning; anything else (lists, scalars, a mapping at a pointer in ``whole``) is replaced
    by the overlay's value, and its pointer added to ``replaced``. Neither input is changed."""
    if isinstance(base, dict) and isinstance(overlay, dict) and at not in whole:
        merged = dict(base)
        for key, value in overlay.items():
            child = join_pointer(at, key)
            merged[key] = deep_merge(base.get(key), value, at=child, whole=whole, replaced=replaced)
        return merged
    if replaced is not None:
        replaced.append(at)
    return overlay

"""Which values are write-only secrets and how they are shown.

A value is secret when it came from ``${VAR}`` or ``!secret`` (the loader records those), or
when it sits at a path Ory redacts on read or treats as a credential (ory-api.md §1a
"Server-side transformations" 6; docs "Configure projects with Ory CLI → Stored secrets").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from reconciler.jsontypes import JSONValue, Pointer, join_pointer

MASK = "(sensitive)"

_SECRET_PATHS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/courier/smtp/connection_uri$",
        r"/providers/\d+/(client_secret|apple_private_key)$",
        r"/auth/config/(value|password)$",  # web hook and courier HTTP auth
        r"/pairwise/salt$",
    )
)


def is_secret_path(pointer: Pointer) -> bool:
    return any(pattern.search(pointer) for pattern in _SECRET_PATHS)


def is_sensitive(pointer: Pointer, marked: Collection[Pointer]) -> bool:
    return pointer in marked or is_secret_path(pointer)


def mask(value: JSONValue, pointer: Pointer, marked: Collection[Pointer]) -> JSONValue:
    """A copy of ``value`` (found at ``pointer``) with every secret inside it masked."""
    if is_sensitive(pointer, marked):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, join_pointer(pointer, k), marked) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, join_pointer(pointer, i), marked) for i, v in enumerate(value)]
    return value

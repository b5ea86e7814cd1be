"""Which values are write-only secrets, which keys Ory never returns, and how they are shown.

A value is secret when it came from ``${VAR}`` or ``!secret`` (the loader records those), or
when it sits at a path Ory redacts on read or treats as a credential (ory-api.md §1a
"Server-side transformations" 6; docs "Configure projects with Ory CLI → Stored secrets").

A value is *withheld* when Ory may accept it and leave it out of every read: then its absence
from live says nothing about whether it is set (ory-network-behaviour.md §2 and §5: the SMTP
``connection_uri`` is absent from GET, ``session.earliest_possible_extend``,
``webauthn.config.rp.icon`` and ``captcha.config.byo`` are never returned, the Turnstile secret
is "write only", web hook and courier HTTP auth values "may not" be returned).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from reconciler.jsontypes import JSONValue, Pointer, join_pointer

# How a secret is shown, by path (views, saved plans) and by value (the output scrubber).
MASK = "(sensitive)"
# How a value Ory never returns, and that is no secret, is shown when it was not compared.
WRITE_ONLY = "(write-only)"
# Replaces the value found at a pointer (a secret, or a leaf that is not).
Replacement = Callable[[Pointer, JSONValue], JSONValue]

_SECRET_PATHS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/courier/smtp/connection_uri$",
        r"/providers/\d+/(client_secret|apple_private_key)$",
        r"/auth/config/(value|password)$",  # web hook and courier HTTP auth
        r"/pairwise/salt$",
        r"^/selfservice/methods/captcha/config/cf_turnstile/secret$",
    )
)

# Accepted, never returned, and not secret (ory-network-behaviour.md §5, TF docs
# project_config.md @03e938ef).
_NEVER_RETURNED = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/session/earliest_possible_extend$",
        r"^/selfservice/methods/webauthn/config/rp/icon$",
        r"^/selfservice/methods/captcha/config/byo$",
    )
)


def is_secret_path(pointer: Pointer) -> bool:
    return any(pattern.search(pointer) for pattern in _SECRET_PATHS)


def is_withheld(pointer: Pointer) -> bool:
    """Whether Ory may leave this key out of reads although it is set (see the docstring)."""
    return is_secret_path(pointer) or any(p.search(pointer) for p in _NEVER_RETURNED)


def is_sensitive(pointer: Pointer, marked: Collection[Pointer]) -> bool:
    return pointer in marked or is_secret_path(pointer)


def shown_as(pointer: Pointer, marked: Collection[Pointer]) -> str:
    """How a write-only value that was not compared is named: a secret, or only unreadable."""
    return MASK if is_sensitive(pointer, marked) else WRITE_ONLY


def mask(
    value: JSONValue,
    pointer: Pointer,
    marked: Collection[Pointer],
    *,
    secret: Replacement = lambda _pointer, _value: MASK,
    other: Replacement = lambda _pointer, leaf: leaf,
) -> JSONValue:
    """A copy of ``value`` (found at ``pointer``) with every secret inside it masked.

    The one walk over a value for its secrets: each outermost secret becomes
    ``secret(pointer, value)``, every other leaf ``other(pointer, leaf)``.
    """
    if is_sensitive(pointer, marked):
        return secret(pointer, value)
    if isinstance(value, dict):
        return {
            k: mask(v, join_pointer(pointer, k), marked, secret=secret, other=other)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            mask(v, join_pointer(pointer, i), marked, secret=secret, other=other)
            for i, v in enumerate(value)
        ]
    return other(pointer, value)


def secrets_in(
    value: JSONValue, pointer: Pointer, marked: Collection[Pointer]
) -> list[tuple[Pointer, JSONValue]]:
    """``(pointer, secret)`` for every outermost secret in ``value`` (found at ``pointer``)."""
    found: list[tuple[Pointer, JSONValue]] = []

    def note(at: Pointer, secret: JSONValue) -> JSONValue:
        found.append((at, secret))
        return MASK

    mask(value, pointer, marked, secret=note)
    return found

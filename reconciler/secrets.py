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

import functools
import re
from collections.abc import Callable, Collection

from reconciler.jsontypes import JSONValue, Pointer, join_pointer


def _one_pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


# How a secret is shown, by path (views, saved plans) and by value (the output scrubber).
MASK = "(sensitive)"
# How a value Ory never returns, and that is no secret, is shown when it was not compared.
WRITE_ONLY = "(write-only)"
# Replaces the value found at a pointer (a secret, or a leaf that is not).
Replacement = Callable[[Pointer, JSONValue], JSONValue]

_SECRET_PATHS = _one_pattern(
    r"^/courier/smtp/connection_uri$",
    r"/providers/\d+/(client_secret|apple_private_key)$",
    r"/auth/config/(value|password)$",  # web hook and courier HTTP auth
    r"/pairwise/salt$",
    r"^/selfservice/methods/captcha/config/cf_turnstile/secret$",
)

# Accepted, never returned, and not secret (ory-network-behaviour.md §5, TF docs
# project_config.md @03e938ef).
_NEVER_RETURNED = _one_pattern(
    r"^/session/earliest_possible_extend$",
    r"^/selfservice/methods/webauthn/config/rp/icon$",
    r"^/selfservice/methods/captcha/config/byo$",
)


# Asked for every leaf of every value a plan shows or saves, and the same pointers come back
# in every environment of plan --all: remembered (it was the largest CPU cost per environment).
@functools.lru_cache(maxsize=8192)
def is_secret_path(pointer: Pointer) -> bool:
    return _SECRET_PATHS.search(pointer) is not None


def is_withheld(pointer: Pointer) -> bool:
    """Whether Ory may leave this key out of reads although it is set (see the docstring)."""
    return is_secret_path(pointer) or _NEVER_RETURNED.search(pointer) is not None


def withheld_within(value: JSONValue, pointer: Pointer) -> list[Pointer]:
    """The outermost keys inside ``value`` (found at ``pointer``) that Ory may never return."""
    if is_withheld(pointer):
        return [pointer]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in withheld_within(v, join_pointer(pointer, k))]
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in withheld_within(v, join_pointer(pointer, i))
        ]
    return []


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

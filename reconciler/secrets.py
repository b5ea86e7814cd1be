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


def mask(value: JSONValue, pointer: Pointer, marked: Collection[Pointer]) -> JSONValue:
    """A copy of ``value`` (found at ``pointer``) with every secret inside it masked."""
    if is_sensitive(pointer, marked):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, join_pointer(pointer, k), marked) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, join_pointer(pointer, i), marked) for i, v in enumerate(value)]
    return value

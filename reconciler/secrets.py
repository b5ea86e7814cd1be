"""Which values of a service's config are write-only secrets, which keys Ory never returns, and
how they are shown.

A value is secret when it came from ``${VAR}`` or ``!secret`` (the loader records those), or
when it sits at a path Ory redacts on read or treats as a credential. A value is *withheld*
when Ory may accept it and leave it out of every read: then its absence from live says nothing
about whether it is set. Which paths those are is each service's to say (``SecretPaths``,
declared with the service: ``services/identity``); this module is how every step asks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from reconciler.jsontypes import JSONValue, Pointer, join_pointer

# How a secret is shown, by path (views, saved plans) and by value (the output scrubber).
MASK = "(sensitive)"
# How a value Ory never returns, and that is no secret, is shown when it was not compared.
WRITE_ONLY = "(write-only)"
# Replaces the value found at a pointer (a secret, or a leaf that is not).
Replacement = Callable[[Pointer, JSONValue], JSONValue]
# How many pointers a service's paths remember the answer for.
_REMEMBERED = 8192


def _one_pattern(alternatives: tuple[str, ...]) -> re.Pattern[str] | None:
    if not alternatives:
        return None
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


@dataclass(frozen=True)
class SecretPaths:
    """Where a service's config holds values Ory treats as secrets (``secret``: redacted on
    read or a credential), and where it holds values Ory accepts and never returns although
    they are no secret (``never_returned``); regular expressions over pointers relative to
    the service's config."""

    secret: tuple[str, ...] = ()
    never_returned: tuple[str, ...] = ()

    @functools.cached_property
    def _secret(self) -> re.Pattern[str] | None:
        return _one_pattern(self.secret)

    @functools.cached_property
    def _never_returned(self) -> re.Pattern[str] | None:
        return _one_pattern(self.never_returned)

    @functools.cached_property
    def _asked(self) -> dict[Pointer, bool]:
        # Asked for every leaf of every value a plan shows or saves, and the same pointers
        # come back in every environment of plan --all: remembered (it was the largest CPU
        # cost per environment).
        return {}

    def is_secret_path(self, pointer: Pointer) -> bool:
        known = self._asked.get(pointer)
        if known is None:
            known = self._secret is not None and self._secret.search(pointer) is not None
            if len(self._asked) >= _REMEMBERED:
                self._asked.clear()
            self._asked[pointer] = known
        return known

    def is_withheld(self, pointer: Pointer) -> bool:
        """Whether Ory may leave this key out of reads although it is set."""
        if self.is_secret_path(pointer):
            return True
        return self._never_returned is not None and self._never_returned.search(pointer) is not None

    def withheld_within(self, value: JSONValue, pointer: Pointer) -> list[Pointer]:
        """The outermost keys inside ``value`` (found at ``pointer``) that Ory may never
        return."""
        if self.is_withheld(pointer):
            return [pointer]
        if isinstance(value, dict):
            return [
                p
                for k, v in value.items()
                for p in self.withheld_within(v, join_pointer(pointer, k))
            ]
        if isinstance(value, list):
            return [
                p
                for i, v in enumerate(value)
                for p in self.withheld_within(v, join_pointer(pointer, i))
            ]
        return []

    def is_sensitive(self, pointer: Pointer, marked: Collection[Pointer]) -> bool:
        return pointer in marked or self.is_secret_path(pointer)

    def shown_as(self, pointer: Pointer, marked: Collection[Pointer]) -> str:
        """How a write-only value that was not compared is named: a secret, or only
        unreadable."""
        return MASK if self.is_sensitive(pointer, marked) else WRITE_ONLY

    def mask(
        self,
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
        if self.is_sensitive(pointer, marked):
            return secret(pointer, value)
        if isinstance(value, dict):
            return {
                k: self.mask(v, join_pointer(pointer, k), marked, secret=secret, other=other)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.mask(v, join_pointer(pointer, i), marked, secret=secret, other=other)
                for i, v in enumerate(value)
            ]
        return other(pointer, value)

    def secrets_in(
        self, value: JSONValue, pointer: Pointer, marked: Collection[Pointer]
    ) -> list[tuple[Pointer, JSONValue]]:
        """``(pointer, secret)`` for every outermost secret in ``value`` (found at
        ``pointer``)."""
        found: list[tuple[Pointer, JSONValue]] = []

        def note(at: Pointer, secret: JSONValue) -> JSONValue:
            found.append((at, secret))
            return MASK

        self.mask(value, pointer, marked, secret=note)
        return found


#: A service that declares no secret paths: only what the environment marks is secret.
NO_SECRET_PATHS = SecretPaths()

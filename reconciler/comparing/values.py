"""When a desired value and a live one are equal as Ory stores it.

The one equality the planner (``diff``) and the post-apply judge (``targets/ory_network``)
share, so that the judge never disagrees with the plan (ory-api.md §1a, "Server-side
transformations"):

* Go durations: ``30m`` equals ``30m0s`` (``durations``);
* ``base64://`` content equals the content-addressed URL named after its SHA-512, or any URL
  whose digest the target could read (``known_digests``);
* secrets are compared by value like everything else: Ory returns them (ory-network-behaviour.md
  §2), so a console edit of a ``${VAR}`` hook URL is a change; only a value whose desired
  content is not known here (``by_presence``: an unset ``${VAR}`` in a read-only command; every
  secret in ``diff`` between environments) counts as equal when live has one;
* keys Ory may leave out of reads (the service's ``SecretPaths.is_withheld``) count as present
  when absent;
* keys live has and desired does not are equal when they hold their default (the server
  fills defaults in, e.g. a web hook's ``emit_analytics_event``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reconciler import blobs
from reconciler.comparing.durations import duration_ns
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, is_within, join_pointer
from reconciler.secrets import NO_SECRET_PATHS, SecretPaths

DefaultLookup = Callable[[Pointer], tuple[bool, JSONValue]]


@dataclass(frozen=True)
class EqualityRules:
    """What deciding equality must know besides the two values."""

    # Where the service's config holds secrets and values Ory never returns (its declaration).
    secret_paths: SecretPaths = NO_SECRET_PATHS
    # Secret values (views mask them); compared by value all the same.
    sensitive: frozenset[Pointer] = frozenset()
    # Values whose desired content is not known here (an unset ``${VAR}`` in a read-only
    # command): equal when live has one, listed unverified.
    by_presence: frozenset[Pointer] = frozenset()
    # Every secret counts as equal when present: ``diff`` between environments, whose secrets
    # differ by design.
    secrets_by_presence: bool = False
    known_digests: Mapping[str, str] = field(default_factory=dict)
    default_at: DefaultLookup | None = None
    # True when default_at knows every default (the official schema): then a live key the user
    # did not write must be its default. Otherwise such keys get the benefit of the doubt.
    defaults_complete: bool = False
    rotate_secrets: bool = False
    # Write-only values to send although they cannot be compared (``rotate:`` bumped), each
    # with the note that says why (usecases/rotations.py).
    rotate: Mapping[Pointer, str] = field(default_factory=dict)
    # The target returns every value as stored (a Kratos file): nothing is withheld, so the
    # absence of a key is evidence.
    secrets_readable: bool = False


class StoredEquality:
    """``same(desired, live, pointer)``; remembers the values it could not compare
    (``unverified``), for the plan to list."""

    def __init__(self, rules: EqualityRules) -> None:
        self.rules = rules
        self.unverified: list[Pointer] = []

    def same(self, desired: JSONValue, live: JSONValue, pointer: Pointer) -> bool:
        if pointer in self.rules.rotate:
            return False  # a rotation the user asked for: sent whatever live shows
        if pointer in self.rules.by_presence or (
            self.rules.secrets_by_presence
            and self.rules.secret_paths.is_sensitive(pointer, self.rules.sensitive)
        ):
            if live in (None, ""):
                return False
            self.unverified.append(pointer)  # its desired value is not known here
            return True
        if isinstance(desired, dict) and isinstance(live, dict):
            return all(
                self._same_member(v, live, k, join_pointer(pointer, k)) for k, v in desired.items()
            ) and self._extra_live_keys_are_defaults(desired, live, pointer)
        if isinstance(desired, list) and isinstance(live, list):
            return len(desired) == len(live) and all(
                self.same(d, v, join_pointer(pointer, i))
                for i, (d, v) in enumerate(zip(desired, live, strict=True))
            )
        if isinstance(desired, str) and isinstance(live, str):
            return same_string(desired, live, self.rules.known_digests)
        if isinstance(desired, bool) or isinstance(live, bool):
            return desired is live
        return desired == live

    def holds(self, desired: JSONValue, live: JSONValue, pointer: Pointer) -> bool:
        """Whether ``live`` holds everything ``desired`` declares, walked as the diff walks a
        declared mapping (``diff._Walker.mapping``): key by key, keys live has besides being
        none of the environment's business; any other value compared by :meth:`same`."""
        if isinstance(desired, dict) and isinstance(live, dict):
            return all(
                self.holds(value, live[key], join_pointer(pointer, key))
                if key in live
                else self.unknowable(join_pointer(pointer, key))
                for key, value in desired.items()
            )
        return self.same(desired, live, pointer)

    def unknowable(self, pointer: Pointer) -> bool:
        """Ory may leave the key out of reads although it is set: absence proves nothing."""
        withheld = self.rules.secret_paths.is_withheld(pointer)
        return withheld and not self.rules.secrets_readable and not self.forced(pointer)

    def forced(self, pointer: Pointer) -> bool:
        """Sent whatever live shows: ``--rotate-secrets`` or a ``rotate:`` bump (of the key or,
        when reads leave out its parent whole, of a key inside it: the OAuth2 ``secrets``)."""
        withheld = self.rules.secret_paths.is_withheld(pointer)
        if self.rules.rotate_secrets and withheld:
            return True
        return pointer in self.rules.rotate or (
            withheld and any(is_within(bumped, pointer) for bumped in self.rules.rotate)
        )

    def _same_member(
        self, desired: JSONValue, live: JSONObject, key: str, pointer: Pointer
    ) -> bool:
        if key in live:
            return self.same(desired, live[key], pointer)
        if self.unknowable(pointer):
            self.unverified.append(pointer)
            return True
        return False

    def _extra_live_keys_are_defaults(
        self, desired: JSONObject, live: JSONObject, pointer: Pointer
    ) -> bool:
        # Inside lists (hooks) a whole object is compared; the server may have filled in
        # defaults the user did not write (e.g. a web hook's emit_analytics_event).
        lookup = self.rules.default_at
        if lookup is None:
            return True
        for key in live.keys() - desired.keys():
            found, default = lookup(join_pointer(pointer, key))
            if not found and not self.rules.defaults_complete:
                continue
            if not found or not self.same(default, live[key], join_pointer(pointer, key)):
                return False
        return True


def same_string(desired: str, live: str, known_digests: Mapping[str, str]) -> bool:
    if desired == live:
        return True
    desired_ns, live_ns = duration_ns(desired), duration_ns(live)
    if desired_ns is not None and live_ns is not None:
        return desired_ns == live_ns
    if blobs.looks_like_blob(desired) or blobs.looks_like_blob(live):
        desired_digest = blobs.digest_of(desired, known_digests)
        return desired_digest is not None and desired_digest == blobs.digest_of(live, known_digests)
    return False

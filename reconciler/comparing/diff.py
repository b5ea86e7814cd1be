"""Decide what differs between a service's desired (partial) config and live.

Only what the environment declares is compared: mappings key by key, lists whole, plus the
``remove:`` pointers. Values Ory rewrites are compared by meaning (``values.py``, the equality
the post-apply judge shares), so a converged project has no changes (ory-api.md §1a,
"Server-side transformations"):

* Go durations: ``30m`` equals ``30m0s``;
* ``base64://`` content equals the content-addressed URL named after its SHA-512;
* identity schemas (the identity config's, ``lists_identity_schemas``) are matched by content
  first, id second (the live id may be the hash); the live list never shrinks, so desired
  schemas only need to be present;
* secrets and ``${VAR}`` values are compared by value, as Ory returns them; keys Ory may leave
  out of reads (the service's ``SecretPaths.is_withheld``) are not compared when live lacks
  them but has their parent: absence is no evidence there. ``--rotate-secrets`` and
  ``rotate:`` send them anyway;
* keys the target manages itself (``serve.*``, ``cookies.path`` … on Ory Network) are never
  planned, not even inside a value that is added whole.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from reconciler.comparing import schema_match
from reconciler.comparing.trait_diff import TraitChange
from reconciler.comparing.values import EqualityRules, StoredEquality
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, get_at, is_within, join_pointer

Action = Literal["add", "change", "reset"]
SCHEMAS = "/identity/schemas"
DEFAULT_SCHEMA = "/identity/default_schema_id"


@dataclass(frozen=True)
class Change:
    """One planned change to ``service``'s config; ``pointer`` is relative to that config."""

    pointer: Pointer
    action: Action
    live: JSONValue = None
    desired: JSONValue = None
    live_present: bool = True
    note: str = ""
    details: tuple[str, ...] = ()
    # For an identity schema that replaces another: its trait changes (``trait_diff``), the
    # structured form of ``details``.
    trait_changes: tuple[TraitChange, ...] = ()
    # A schema switch: the live schema id whose identities would move, and the desired id
    # they would move to (a new default, or a changed schema that needs a new id).
    schema_switch: tuple[str, str] | None = None
    # Where the desired value sits in the environment's document, when that differs from
    # ``pointer`` (a new schema is appended at ``/identity/schemas/-``).
    source: Pointer | None = None
    # How views name ``pointer`` when its index says nothing to a reader:
    # ``/identity/schemas[preset://email].url`` for the live entry at that index.
    label: str = ""
    # The service whose config it changes (``services/``): the identity config unless said.
    service: str = "identity"


@dataclass(frozen=True)
class DiffRules(EqualityRules):
    """What the diff must know besides the two documents: how values compare
    (``values.EqualityRules``), and what to leave out or look up."""

    ignored: tuple[Pointer, ...] = ()
    # Content behind URLs (by URL or by SHA-512), e.g. identity schemas fetched from storage.
    contents: Mapping[str, bytes] = field(default_factory=dict)
    # The config lists identity schemas at ``/identity/schemas`` (the identity config).
    lists_identity_schemas: bool = False
    # The service the changes are to (``Change.service``).
    service: str = "identity"


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    # Write-only values not compared: live holds a redacted value, or leaves them out.
    unverified: tuple[Pointer, ...] = ()
    # Declared pointers the target manages itself, left out of the plan.
    ignored: tuple[Pointer, ...] = ()


def compute_diff(
    desired: JSONObject, live: JSONObject, removals: Collection[Pointer], rules: DiffRules
) -> Diff:
    """Changes that make ``live`` match ``desired`` at every declared path. Pure."""
    walker = _Walker(rules)
    walker.mapping(desired, live, "")
    for pointer in removals:
        walker.removal(pointer, live)
    ordered = sorted(walker.changes, key=lambda c: (c.pointer == SCHEMAS + "/-", c.pointer))
    warnings = tuple(dict.fromkeys(walker.warnings))
    unverified = [*walker.unverified, *walker.equality.unverified]
    return Diff(
        tuple(replace(change, service=rules.service) for change in ordered),
        warnings,
        tuple(sorted(set(unverified))),
        tuple(dict.fromkeys(walker.ignored)),
    )


class _Walker:
    def __init__(self, rules: DiffRules) -> None:
        self.rules = rules
        self.equality = StoredEquality(rules)
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self.unverified: list[Pointer] = []
        self.ignored: list[Pointer] = []
        self.index = schema_match.ContentIndex(rules.known_digests, rules.contents)
        self._live_positions: tuple[list[JSONValue], dict[int, int]] | None = None
        self.schema_ids: dict[str, str] = {}  # desired schema id -> live id holding its content
        self.defaults: tuple[JSONValue, JSONValue] = (None, None)  # desired and live default ids
        self.live_schemas: list[JSONObject] = []

    def mapping(self, desired: JSONObject, live: JSONObject, pointer: Pointer) -> None:
        # Schemas first: default_schema_id needs to know which live id holds which content.
        keys = sorted(desired, key=lambda k: k != "schemas")
        schemas = self.rules.lists_identity_schemas
        for key in keys:
            child = join_pointer(pointer, key)
            if self._ignored(child):
                continue
            if key not in live:
                self._absent(child, desired[key])
            elif schemas and child == SCHEMAS:
                defaults = (desired.get("default_schema_id"), live.get("default_schema_id"))
                self.schemas(desired[key], live[key], defaults)
            elif schemas and child == DEFAULT_SCHEMA:
                self.default_schema(desired[key], live[key])
            elif isinstance(desired[key], dict) and isinstance(live[key], dict):
                self.mapping(desired[key], live[key], child)  # type: ignore[arg-type]
            elif not self.equality.same(desired[key], live[key], child):
                note = self._rotation_note(child)
                self.changes.append(Change(child, "change", live[key], desired[key], note=note))

    def _absent(self, pointer: Pointer, desired: JSONValue) -> None:
        """A declared key live does not have (its parent is there)."""
        if self.equality.unknowable(pointer):
            self.unverified.append(pointer)
            return
        note = self._rotation_note(pointer)
        value = self._without_ignored(desired, pointer)
        self.changes.append(Change(pointer, "add", None, value, live_present=False, note=note))

    def _rotation_note(self, pointer: Pointer) -> str:
        if pointer in self.rules.rotate:
            return self.rules.rotate[pointer]
        return "write-only: sent again (--rotate-secrets)" if self.equality.forced(pointer) else ""

    def _without_ignored(self, value: JSONValue, pointer: Pointer) -> JSONValue:
        """``value`` without the keys the target manages itself (added whole otherwise)."""
        if not isinstance(value, dict):
            return value
        kept: JSONObject = {}
        for key, child in value.items():
            inner = join_pointer(pointer, key)
            if not self._ignored(inner):
                kept[key] = self._without_ignored(child, inner)
        return kept

    def _ignored(self, pointer: Pointer) -> bool:
        if any(is_within(pointer, prefix) for prefix in self.rules.ignored):
            self.ignored.append(pointer)
            return True
        return False

    def schemas(
        self, desired: JSONValue, live: JSONValue, defaults: tuple[JSONValue, JSONValue]
    ) -> None:
        if not isinstance(desired, list) or not isinstance(live, list):
            self.changes.append(Change(SCHEMAS, "change", live, desired))
            return
        live_entries = [e for e in live if isinstance(e, dict)]
        self.live_schemas = live_entries
        self.defaults = defaults
        matched: list[JSONObject] = []
        for index, entry in enumerate(desired):
            if isinstance(entry, dict):
                source = join_pointer(SCHEMAS, index)
                matched.extend(self._schema(entry, source, live_entries, live))
        taken = {id(e) for e in matched}
        kept = [str(e.get("id")) for e in live_entries if id(e) not in taken and e not in matched]
        if kept:
            # Quoted: a schema whose id is "default" read "identity schemas default stay".
            named = ", ".join(f'"{schema_id}"' for schema_id in kept)
            many = len(kept) > 1
            subject = f"identity schema{'s' if many else ''} {named} {'stay' if many else 'stays'}"
            self.warnings.append(
                f"{subject} although not declared here: identity schemas are never removed "
                "through config (Ory Network refuses it, and existing identities may still use "
                "them)"
            )

    def _position(self, match: JSONObject, live: list[JSONValue]) -> int:
        # live.index(match) compares every earlier entry: O(n) per schema, O(n²) per diff.
        if self._live_positions is None or self._live_positions[0] is not live:
            positions: dict[int, int] = {}
            for position, entry in enumerate(live):
                positions.setdefault(id(entry), position)
            self._live_positions = (live, positions)
        return self._live_positions[1][id(match)]

    def _schema(
        self,
        entry: JSONObject,
        source: Pointer,
        live_entries: list[JSONObject],
        live: list[JSONValue],
    ) -> list[JSONObject]:
        by_content = self.index.matching(entry, live_entries)
        by_id = [] if by_content else [e for e in live_entries if e.get("id") == entry.get("id")]
        match = next(iter(by_content or by_id), None)
        if match is None:
            self.changes.append(self._new_schema(entry, live_entries, source))
            return []
        self.schema_ids[str(entry.get("id"))] = str(match.get("id"))
        base = join_pointer(SCHEMAS, self._position(match, live))
        label = f"{SCHEMAS}[{match.get('id')}]"  # named by the live entry, not the index
        if not by_content:
            self.changes.append(self._immutable(entry, match, base, source, label))
        for key, value in entry.items():
            if key in ("id", "url"):
                continue  # the id may be the content hash; content was compared above
            child, origin = join_pointer(base, key), join_pointer(source, key)
            named = f"{label}.{key}"
            if key not in match:
                self.changes.append(
                    Change(child, "add", None, value, False, source=origin, label=named)
                )
            elif not self.equality.same(value, match[key], origin):
                self.changes.append(
                    Change(child, "change", match[key], value, source=origin, label=named)
                )
        return [match]

    def _new_schema(
        self, entry: JSONObject, live_entries: list[JSONObject], source: Pointer
    ) -> Change:
        desired_default, live_default = self.defaults
        replaced = next((e for e in live_entries if e.get("id") == live_default), None)
        if entry.get("id") != desired_default or replaced is None:
            return Change(
                SCHEMAS + "/-", "add", None, entry, False, "new identity schema", source=source
            )
        details, traits = self.index.compare(entry, replaced)
        return Change(
            SCHEMAS + "/-",
            "add",
            None,
            entry,
            False,
            f'new identity schema, replacing the default schema "{live_default}"; identities '
            "created under it keep it (schemas are immutable on Ory Network)",
            details=details,
            trait_changes=traits,
            schema_switch=(str(live_default), str(entry.get("id"))),
            source=source,
        )

    def _immutable(
        self, entry: JSONObject, match: JSONObject, base: Pointer, source: Pointer, label: str
    ) -> Change:
        details, traits = self.index.compare(entry, match)
        return Change(
            join_pointer(base, "url"),
            "change",
            match.get("url"),
            entry.get("url"),
            note=(
                f"new schema needed: identity schema {entry.get('id')} has different content, "
                "and identity schemas are immutable on Ory Network; publish it under a new id "
                "and switch default_schema_id"
            ),
            details=details,
            trait_changes=traits,
            schema_switch=(str(match.get("id")), str(entry.get("id"))),
            source=join_pointer(source, "url"),
            label=f"{label}.url",
        )

    def default_schema(self, desired: JSONValue, live: JSONValue) -> None:
        resolved = self.schema_ids.get(str(desired), desired)
        if live in (desired, resolved):
            return
        by_id = {str(e.get("id")): e for e in self.live_schemas}
        old, new = by_id.get(str(live)), by_id.get(str(resolved))
        if old is None or new is None:  # a new schema: its own change explains it
            self.changes.append(Change(DEFAULT_SCHEMA, "change", live, resolved))
            return
        details, traits = self.index.compare(new, old)
        self.changes.append(
            Change(
                DEFAULT_SCHEMA,
                "change",
                live,
                resolved,
                details=details,
                trait_changes=traits,
                schema_switch=(str(live), str(resolved)),
            )
        )

    def removal(self, pointer: Pointer, live: JSONObject) -> None:
        if self._ignored(pointer):
            return
        found, value = get_at(live, pointer)
        if not found:
            return
        if self._is_default(value, pointer):
            return  # resetting it changes nothing
        lookup = self.rules.default_at
        has_default, default = lookup(pointer) if lookup else (False, None)
        note = "" if has_default else "reset to the server default"
        self.changes.append(Change(pointer, "reset", value, default, True, note))

    def _is_default(self, value: JSONValue, pointer: Pointer) -> bool:
        """Whether ``value`` is what the server puts back anyway: the default itself, or a
        mapping whose every leaf is its default (``passkey: {enabled: false}``)."""
        lookup = self.rules.default_at
        if lookup is None:
            return False
        has_default, default = lookup(pointer)
        if has_default:
            return self.equality.same(default, value, pointer)
        return (
            isinstance(value, dict)
            and bool(value)
            and all(self._is_default(v, join_pointer(pointer, k)) for k, v in value.items())
        )

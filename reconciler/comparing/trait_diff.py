"""How two versions of an identity schema differ for the identities that already exist:
traits added or removed, required-ness changed, and every ``ory.sh/kratos`` annotation changed,
each marked breaking when existing identities may fail validation or lose a way to sign in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from reconciler.comparing.identity_schemas import IDENTIFIER_ANNOTATIONS, Trait, traits
from reconciler.jsontypes import JSONValue, get_at

ChangeKind = Literal[
    "added",
    "removed",
    "now_required",
    "now_optional",
    "annotation_added",
    "annotation_removed",
    "annotation_changed",
]


@dataclass(frozen=True)
class TraitChange:
    """One difference between two identity schemas, seen from existing identities.

    ``breaking`` means identities created under the old schema may fail validation or lose a
    way to sign in under the new one; ``reason`` says why in a sentence.
    """

    trait: str
    kind: ChangeKind
    annotation: str | None
    old: JSONValue
    new: JSONValue
    breaking: bool
    reason: str


def _forbids_unknown_traits(identity_schema: JSONValue) -> bool:
    _, value = get_at(identity_schema, "/properties/traits/additionalProperties")
    return value is False


def _added(trait: Trait) -> TraitChange:
    reason = (
        "new required trait: existing identities lack it and fail validation on their next update"
        if trait.required
        else "new optional trait"
    )
    return TraitChange(trait.name, "added", None, None, True, trait.required, reason)


def _removed(trait: Trait, closed: bool) -> TraitChange:
    if trait.identifiers:
        reason = f"removed trait was the {'/'.join(trait.identifiers)} identifier: sign-in breaks"
    elif closed:
        reason = "removed trait: identities that have it fail validation (additionalProperties)"
    else:
        reason = "removed trait"
    return TraitChange(
        trait.name, "removed", None, True, None, bool(trait.identifiers) or closed, reason
    )


def _requiredness(old: Trait, new: Trait) -> list[TraitChange]:
    if old.required == new.required:
        return []
    if new.required:
        reason = "trait became required: identities without it fail validation"
        return [TraitChange(new.name, "now_required", None, False, True, True, reason)]
    return [
        TraitChange(new.name, "now_optional", None, True, False, False, "trait became optional")
    ]


def _annotation_change(name: str, key: str, old: JSONValue, new: JSONValue) -> TraitChange:
    lost_identifier = key in IDENTIFIER_ANNOTATIONS and old is True and new is not True
    moved_channel = key == "credentials.code.via" and old is not None and new is not None
    breaking = lost_identifier or moved_channel
    if old is None:
        kind: ChangeKind = "annotation_added"
    elif new is None:
        kind = "annotation_removed"
    else:
        kind = "annotation_changed"
    if lost_identifier:
        reason = f"{key} removed: users lose this way to sign in"
    elif moved_channel:
        reason = f"{key} changed from {old} to {new}: stored code addresses use the old channel"
    else:
        reason = f"{key}: {json.dumps(old)} -> {json.dumps(new)}"
    return TraitChange(name, kind, key, old, new, breaking, reason)


def _annotations(old: Trait, new: Trait) -> list[TraitChange]:
    keys = sorted(set(old.annotations) | set(new.annotations))
    return [
        _annotation_change(new.name, key, old.annotations.get(key), new.annotations.get(key))
        for key in keys
        if old.annotations.get(key) != new.annotations.get(key)
    ]


def trait_diff(old_schema: JSONValue, new_schema: JSONValue) -> list[TraitChange]:
    """Traits added/removed, required-ness changes and every ``ory.sh/kratos`` change."""
    old = {t.name: t for t in traits(old_schema)}
    new = {t.name: t for t in traits(new_schema)}
    closed = _forbids_unknown_traits(new_schema)
    changes: list[TraitChange] = [_removed(t, closed) for n, t in old.items() if n not in new]
    for name, trait in new.items():
        if name not in old:
            changes.append(_added(trait))
            continue
        changes.extend(_requiredness(old[name], trait))
        changes.extend(_annotations(old[name], trait))
    return changes

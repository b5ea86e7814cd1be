"""How two versions of an identity schema differ for the identities that already exist.

Traits added or removed at any depth, required-ness (at each level: a nested property made
required), every validation keyword (``trait_keywords``) and every ``ory.sh/kratos`` flag
(the vocabulary of ``official/identity-extension.schema.json``). Each change is classified:

* **breaking**: identities written under the old schema may fail the new one on their next
  update (Kratos validates all traits on every update), or users lose a way in or out (an
  identifier, recovery or verification by a channel);
* **narrowing**: the schema does less for existing identities without failing them (a trait
  no longer validated, a label no longer shown, a value that must now be unique);
* **widening**: it accepts or offers more.

Traits are named from the identity's root (``traits.email``, ``traits.name.first``,
``traits.tags[]`` for an array's items): schema paths only, never an identity's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.comparing.identity_schemas import (
    IDENTIFIER_ANNOTATIONS,
    KRATOS_EXTENSION,
    Trait,
    flatten_annotations,
    traits,
)
from reconciler.comparing.trait_keywords import Classification, keyword_changes, shown
from reconciler.jsontypes import JSONObject, JSONValue, get_at

ChangeKind = Literal["added", "removed", "now_required", "now_optional", "keyword", "annotation"]
ROOT = "traits"


@dataclass(frozen=True)
class TraitChange:
    """One difference between two identity schemas, seen from existing identities.

    ``keyword`` names the JSON Schema keyword (``kind`` ``keyword``) or the dotted
    ``ory.sh/kratos`` flag (``kind`` ``annotation``, e.g. ``recovery.via``) that changed.
    """

    trait: str
    kind: ChangeKind
    keyword: str | None
    old: JSONValue
    new: JSONValue
    classification: Classification
    reason: str

    @property
    def breaking(self) -> bool:
        return self.classification == "breaking"

    def line(self) -> str:
        """One line for a plan: ``BREAKING traits.email: …`` (narrowing, widening lower case)."""
        mark = "BREAKING" if self.breaking else self.classification
        return f"{mark} {self.trait}: {self.reason}"

    def as_json(self) -> JSONObject:
        return {
            "trait": self.trait,
            "kind": self.kind,
            "keyword": self.keyword,
            "old": self.old,
            "new": self.new,
            "classification": self.classification,
            "reason": self.reason,
        }


def trait_name(name: str) -> str:
    """``name.first`` -> ``traits.name.first``: how an identity's document names it."""
    return f"{ROOT}.{name}" if name else ROOT


def _parent(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _added(trait: Trait) -> TraitChange:
    """A trait new in a parent the old schema had (or at the top): required, existing
    identities lack it."""
    parent = _parent(trait.name)
    named = trait_name(trait.name)
    if trait.required_in_parent:
        within = f" inside {trait_name(parent)}" if parent else ""
        reason = f"new required trait{within}: existing identities lack it and fail validation"
        return TraitChange(named, "added", None, None, True, "breaking", reason + " on update")
    return TraitChange(named, "added", None, None, True, "widening", "new optional trait")


def _removed(trait: Trait, new: Mapping[str, Trait], new_root: JSONObject) -> TraitChange | None:
    named = trait_name(trait.name)
    parent = _parent(trait.name)
    if parent and parent not in new:
        return None  # said once, of the outermost trait removed
    if trait.identifiers:
        reason = f"removed trait was the {'/'.join(trait.identifiers)} identifier: sign-in breaks"
        return TraitChange(named, "removed", None, True, None, "breaking", reason)
    holder = new[parent].schema if parent else new_root  # closed in the new schema?
    if holder.get("additionalProperties") is False:
        reason = "removed trait: identities that have it fail validation (additionalProperties)"
        return TraitChange(named, "removed", None, True, None, "breaking", reason)
    reason = "removed trait: stored values stay but are no longer validated nor shown in forms"
    return TraitChange(named, "removed", None, True, None, "narrowing", reason)


def _requiredness(old: Trait, new: Trait) -> list[TraitChange]:
    if old.required_in_parent == new.required_in_parent:
        return []
    named, parent = trait_name(new.name), _parent(new.name)
    if new.required_in_parent:
        holder = f"identities that have {trait_name(parent)} but" if parent else "identities"
        reason = f"trait became required: {holder} without it fail validation on update"
        return [TraitChange(named, "now_required", "required", False, True, "breaking", reason)]
    reason = "trait became optional"
    return [TraitChange(named, "now_optional", "required", True, False, "widening", reason)]


def _keywords(name: str, old: JSONObject, new: JSONObject) -> list[TraitChange]:
    changes = [
        TraitChange(name, "keyword", c.keyword, c.old, c.new, c.classification, c.reason)
        for c in keyword_changes(old, new)
    ]
    old_items, new_items = old.get("items"), new.get("items")
    if isinstance(old_items, dict) and isinstance(new_items, dict):
        changes += _keywords(f"{name}[]", old_items, new_items)
        changes += _annotations(f"{name}[]", old_items, new_items)  # e.g. a list of emails
    return changes


# -- ory.sh/kratos ------------------------------------------------------------------------

_WAYS = {"recovery.via": "recover their account", "verification.via": "verify their address"}


def _identifier_change(key: str, old: JSONValue, new: JSONValue) -> tuple[Classification, str]:
    method = key.split(".")[1]
    if old is True:
        return "breaking", f"{key} removed: users lose this way to sign in ({method})"
    reason = f"{key} added: a new {method} identifier; its values must be unique across "
    return "narrowing", reason + "identities (an identity whose value another has fails)"


def _channel_change(key: str, old: JSONValue, new: JSONValue) -> tuple[Classification, str]:
    way = _WAYS.get(key, "receive one-time codes")
    if old is None:
        return "widening", f"{key} {shown(new)} added: users can {way} by {new}"
    if new is None:
        return "breaking", f"{key} {shown(old)} removed: users can no longer {way} by {old}"
    return "breaking", f"{key} {shown(old)} -> {shown(new)}: users can no longer {way} by {old}"


def _organizations_change(key: str, old: JSONValue, new: JSONValue) -> tuple[Classification, str]:
    if old is None:
        reason = f"{key} {shown(new)} added: users whose address matches an organization "
        return "narrowing", reason + "must sign in through its SSO"
    reason = f"{key} {shown(old)} -> {shown(new)}: organization members lose their SSO route"
    return "breaking", reason


def _label_change(key: str, old: JSONValue, new: JSONValue) -> tuple[Classification, str]:
    # totp.account_name, passkey.display_name and flags this tool does not know yet.
    if old is True and new is not True:
        return "narrowing", f"{key} removed: no longer used for this trait"
    return "widening", f"{key}: {shown(old)} -> {shown(new)}"


def _annotation_change(named: str, key: str, old: JSONValue, new: JSONValue) -> TraitChange:
    if key in IDENTIFIER_ANNOTATIONS:
        classification, reason = _identifier_change(key, old, new)
    elif key.endswith(".via"):
        classification, reason = _channel_change(key, old, new)
    elif key.startswith("organizations."):
        classification, reason = _organizations_change(key, old, new)
    else:
        classification, reason = _label_change(key, old, new)
    return TraitChange(named, "annotation", key, old, new, classification, reason)


def _annotations(named: str, old: JSONObject, new: JSONObject) -> list[TraitChange]:
    before = flatten_annotations(old.get(KRATOS_EXTENSION) or {})
    after = flatten_annotations(new.get(KRATOS_EXTENSION) or {})
    return [
        _annotation_change(named, key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def _root(identity_schema: JSONValue) -> JSONObject:
    _, node = get_at(identity_schema, "/properties/traits")
    return node if isinstance(node, dict) else {}


def trait_diff(old_schema: JSONValue, new_schema: JSONValue) -> list[TraitChange]:
    """Every change from ``old_schema`` to ``new_schema`` that matters to existing identities,
    removals first, then in the new schema's order."""
    old = {t.name: t for t in traits(old_schema)}
    new = {t.name: t for t in traits(new_schema)}
    new_root = _root(new_schema)
    changes = [c for t in old.values() if t.name not in new and (c := _removed(t, new, new_root))]
    changes += _keywords(ROOT, _root(old_schema), new_root)
    for name, trait in new.items():
        if name not in old:
            if not _parent(name) or _parent(name) in old:
                changes.append(_added(trait))
            continue
        changes += _requiredness(old[name], trait)
        changes += _keywords(trait_name(name), old[name].schema, trait.schema)
        changes += _annotations(trait_name(name), old[name].schema, trait.schema)
    return changes

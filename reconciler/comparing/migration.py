"""What moving identities from one identity schema to another asks of their traits.

From a trait diff (``trait_diff``), one step per change: a **transform** the traits need
before (or while) their ``schema_id`` changes, so they pass the new schema (a type change
needs a conversion, a new required trait a default, a narrowed enum a mapping, a removed
trait is dropped); a **notice** for what changes for users without touching traits (a way to
recover or verify lost); **nothing** for what only widens. Schema paths and schema values
only: never an identity's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.comparing.trait_diff import TraitChange
from reconciler.comparing.trait_keywords import BOUNDS, RESTRICTING, shown

StepKind = Literal["transform", "notice", "nothing"]


@dataclass(frozen=True)
class Step:
    """One step of a migration: what to do to ``change.trait`` (``action``), and of what
    kind."""

    change: TraitChange
    kind: StepKind
    action: str


def _keyword_action(change: TraitChange) -> str:
    keyword, old, new = change.keyword or "", change.old, change.new
    if keyword == "type":
        return f"convert values to {shown(new)} (from {shown(old)}), or drop them"
    if keyword == "enum":
        allowed = shown(new)
        if isinstance(old, list) and isinstance(new, list):
            dropped = shown([value for value in old if value not in new])
            return f"map {dropped} to one of {allowed}"
        return f"map values to one of {allowed}"
    if keyword == "additionalProperties":
        return "drop the properties the new schema does not list"
    if keyword in BOUNDS or keyword in RESTRICTING or keyword in ("multipleOf", "uniqueItems"):
        return f"fix values that break {keyword} {shown(new)} (review each; never truncated)"
    return f"make values pass the new {keyword}"


def _transform(change: TraitChange) -> str:
    if change.kind in ("added", "now_required"):
        return "set a default where it is missing"
    if change.kind == "removed":
        return "drop it"
    return _keyword_action(change)


def step_of(change: TraitChange) -> Step:
    """The step a trait change asks of the identities that move."""
    if change.kind == "annotation":
        if change.classification == "widening":
            return Step(change, "nothing", "nothing")
        return Step(change, "notice", "no trait changes; tell users before the switch")
    if change.classification == "widening":
        return Step(change, "nothing", "nothing")
    if change.kind == "removed" and not change.breaking:
        return Step(change, "transform", "drop it (optional: its value stays stored, unused)")
    return Step(change, "transform", _transform(change))


def steps_of(changes: tuple[TraitChange, ...]) -> list[Step]:
    """Every step, transforms first (in the diff's order), then notices, then nothing."""
    order: dict[StepKind, int] = {"transform": 0, "notice": 1, "nothing": 2}
    return sorted((step_of(change) for change in changes), key=lambda step: order[step.kind])

"""The migration plan of a plan: for each identity schema switch it makes, which identities
would move and which trait transforms they need (issue 25 item 5). Read-only: it describes,
it never moves an identity.

A switch is a new default schema, or a changed schema that needs a new id (``Change``'s
``schema_switch``); its steps come from its trait changes (``comparing/migration``). How many
identities each switch and step touches is known only with identity access: the caller
passes an ``IdentityCounts`` (the identities client of issue 25 items 3-4), or nothing, and
the plan says the counts are not known. Secret-free and personal-data-free by construction:
schema ids, trait paths, schema values, transforms and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler import redact
from reconciler.comparing.migration import Step, steps_of
from reconciler.comparing.schema_match import UNAVAILABLE
from reconciler.comparing.trait_diff import TraitChange
from reconciler.plan.value import Plan
from reconciler.repository.atomic import write_atomically


class IdentityCounts(Protocol):
    """Counts from the project's identities; ``None`` where they are not known."""

    def with_schema(self, schema_id: str) -> int | None:
        """How many identities have ``schema_id``."""

    def failing(self, schema_id: str, target_id: str, change: TraitChange) -> int | None:
        """How many identities of ``schema_id`` fail ``change`` of ``target_id``'s schema."""


@dataclass(frozen=True)
class Switch:
    """Identities of ``from_id`` moving to ``to_id``; ``touched`` one count per step."""

    from_id: str
    to_id: str
    steps: tuple[Step, ...]
    content_known: bool
    identities: int | None = None
    touched: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class MigrationPlan:
    environment: str
    target: str
    revision: str
    switches: tuple[Switch, ...]
    counted: bool  # identity counts were asked for and given


def migration_plan(plan: Plan, counts: IdentityCounts | None = None) -> MigrationPlan:
    """The migration plan of ``plan``'s schema switches, with counts when ``counts`` is given."""
    switches = []
    for change in plan.changes:
        if change.schema_switch is None:
            continue
        from_id, to_id = change.schema_switch
        steps = tuple(steps_of(change.trait_changes))
        known = UNAVAILABLE not in change.details
        switches.append(_counted(Switch(from_id, to_id, steps, known), counts))
    return MigrationPlan(
        plan.environment, plan.target, plan.revision, tuple(switches), counts is not None
    )


def _counted(switch: Switch, counts: IdentityCounts | None) -> Switch:
    if counts is None:
        return switch
    touched = tuple(
        counts.failing(switch.from_id, switch.to_id, step.change)
        if step.kind == "transform"
        else None
        for step in switch.steps
    )
    return Switch(
        switch.from_id,
        switch.to_id,
        switch.steps,
        switch.content_known,
        counts.with_schema(switch.from_id),
        touched,
    )


def write(path: Path, text: str) -> None:
    """Write the migration plan atomically, through the output scrubber, owner-readable."""
    write_atomically(path, redact.scrub(text), 0o600)

"""The planner: a diff packaged as a plan pinned to a revision, each change's JSON Patch
operation built (``comparing.patch``), its security impact judged (``checks.security``), its
list changes laid out field by field (``comparing.list_view``), and the write-only values it
sends listed. Pure.
"""

from __future__ import annotations

from reconciler.checks.finding import Finding
from reconciler.checks.security import classify
from reconciler.comparing import list_view
from reconciler.comparing.diff import Change, Diff
from reconciler.comparing.patch import operation_for
from reconciler.comparing.values import DefaultLookup
from reconciler.jsontypes import Pointer
from reconciler.plan.value import Plan
from reconciler.secrets import withheld_within
from reconciler.targets import TargetInfo


def make_plan(
    environment: str,
    target: str,
    revision: str,
    diff: Diff,
    *,
    sensitive: frozenset[Pointer] = frozenset(),
    file_refs: dict[Pointer, str] | None = None,
    notes: tuple[Finding, ...] = (),
    target_info: TargetInfo | None = None,
    default_at: DefaultLookup | None = None,
) -> Plan:
    """Package a diff as a plan pinned to ``revision``, its security impact judged. Pure.

    ``target_info``, when given, replaces ``target`` as the heading; ``default_at``: the
    target's defaults (a list element's key the server fills in is no change to show)."""
    operations = tuple(operation_for(change) for change in diff.changes)
    impacts = tuple(classify(c.pointer, c.live, c.desired, c.action) for c in diff.changes)
    fields = field_changes(diff.changes, sensitive, default_at)
    return Plan(
        environment=environment,
        target=target_info.heading if target_info else target,
        revision=revision,
        changes=diff.changes,
        operations=operations,
        warnings=diff.warnings,
        sensitive=sensitive,
        file_refs=dict(file_refs or {}),
        notes=notes,
        impacts=impacts,
        field_changes=fields,
        unverified=diff.unverified,
        write_only_sent=write_only_sent(diff.changes),
        target_info=target_info,
    )


def write_only_sent(changes: tuple[Change, ...]) -> tuple[Pointer, ...]:
    """Where the changes send a value Ory never returns (``secrets.is_withheld``)."""
    return tuple(
        pointer
        for change in changes
        if change.action != "reset"
        for pointer in withheld_within(change.desired, change.source or change.pointer)
    )


def field_changes(
    changes: tuple[Change, ...], sensitive: frozenset[Pointer], default_at: DefaultLookup | None
) -> tuple[tuple[list_view.FieldChange, ...], ...]:
    """How each change reads field by field (``list_view.field_changes``)."""
    return tuple(list_view.field_changes(change, sensitive, default_at) for change in changes)

"""The planner: each service's diff packaged as one plan pinned to a revision, each change's
JSON Patch operation built (``comparing.patch``), its security impact judged by its service's
rules (``checks.security``), its list changes laid out field by field (``comparing.list_view``),
and the write-only values it sends listed. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.checks.finding import Finding
from reconciler.checks.security import classify
from reconciler.comparing import list_view
from reconciler.comparing.diff import Change, Diff
from reconciler.comparing.patch import operation_for
from reconciler.comparing.values import DefaultLookup
from reconciler.jsontypes import Pointer
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.targets import TargetInfo


def make_plan(
    environment: str,
    target: str,
    revision: str,
    diffs: Mapping[str, Diff],
    *,
    sensitive: Mapping[str, frozenset[Pointer]] | None = None,
    file_refs: Mapping[str, Mapping[Pointer, str]] | None = None,
    notes: tuple[Finding, ...] = (),
    target_info: TargetInfo | None = None,
    default_at: Mapping[str, DefaultLookup] | None = None,
) -> Plan:
    """Package each service's diff (by service name) as one plan pinned to ``revision``, its
    security impact judged. Pure.

    ``target_info``, when given, replaces ``target`` as the heading; ``default_at``: each
    service's defaults on the target (a list element's key the server fills in is no change
    to show)."""
    marked = dict(sensitive or {})
    changes = tuple(change for diff in diffs.values() for change in diff.changes)
    operations = tuple(operation_for(change) for change in changes)
    impacts = tuple(
        classify(registry.named(c.service), c.pointer, c.live, c.desired, c.action) for c in changes
    )
    fields = field_changes(changes, marked, default_at or {})
    warnings = tuple(dict.fromkeys(w for diff in diffs.values() for w in diff.warnings))
    return Plan(
        environment=environment,
        target=target_info.heading if target_info else target,
        revision=revision,
        changes=changes,
        operations=operations,
        warnings=warnings,
        sensitive={name: pointers for name, pointers in marked.items() if pointers},
        file_refs={name: dict(refs) for name, refs in (file_refs or {}).items() if refs},
        notes=notes,
        impacts=impacts,
        field_changes=fields,
        unverified={name: diff.unverified for name, diff in diffs.items() if diff.unverified},
        write_only_sent=write_only_sent(changes),
        target_info=target_info,
    )


def write_only_sent(changes: tuple[Change, ...]) -> dict[str, tuple[Pointer, ...]]:
    """Where the changes send a value Ory never returns (its service's
    ``SecretPaths.is_withheld``), by service name."""
    sent: dict[str, tuple[Pointer, ...]] = {}
    for change in changes:
        if change.action == "reset":
            continue
        paths = registry.named(change.service).secrets
        found = paths.withheld_within(change.desired, change.source or change.pointer)
        if found:
            sent[change.service] = (*sent.get(change.service, ()), *found)
    return sent


def field_changes(
    changes: tuple[Change, ...],
    sensitive: Mapping[str, frozenset[Pointer]],
    default_at: Mapping[str, DefaultLookup],
) -> tuple[tuple[list_view.FieldChange, ...], ...]:
    """How each change reads field by field (``list_view.field_changes``), by its service's
    secrets and defaults."""
    return tuple(
        list_view.field_changes(
            change,
            sensitive.get(change.service, frozenset()),
            default_at.get(change.service),
            registry.named(change.service).secrets,
        )
        for change in changes
    )

"""The plan: what will change, the JSON Patch that does it, and the revision it is pinned to.

A plan is a value. Apply sends exactly its operations against exactly its revision and derives
nothing else (Terraform: "the actions during apply must be described entirely by the changes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.checks.finding import Finding
from reconciler.checks.security import SecurityImpact, classify
from reconciler.comparing.diff import Change, Diff
from reconciler.jsontypes import JSONObject, Pointer
from reconciler.secrets import withheld_within
from reconciler.targets import TargetInfo

if TYPE_CHECKING:  # only annotations: a plan never needs the validation models loaded
    from reconciler.loading.validate import ValidEnvironment

_OPERATION = {"add": "add", "change": "replace", "reset": "remove"}


@dataclass(frozen=True)
class Plan:
    """Everything apply needs. Operations' paths are relative to the identity config."""

    environment: str
    target: str
    revision: str
    changes: tuple[Change, ...] = field(repr=False)  # values may be secret
    operations: tuple[JSONObject, ...] = field(repr=False)
    warnings: tuple[str, ...] = ()
    sensitive: frozenset[Pointer] = frozenset()
    file_refs: dict[Pointer, str] = field(default_factory=dict)
    notes: tuple[Finding, ...] = ()
    # One per change, in the same order: does it weaken, strengthen or not touch security?
    impacts: tuple[SecurityImpact, ...] = ()
    # Declared values not compared, and not sent: Ory does not return them (or, in a
    # read-only command, their ``${VAR}`` is not set).
    unverified: tuple[Pointer, ...] = ()
    # Values Ory never returns that the operations send (added with their parent, rotated):
    # derived from the changes, so a saved plan cannot claim otherwise.
    write_only_sent: tuple[Pointer, ...] = ()
    # Made with --rotate-secrets: apply --plan plans again the same way.
    rotate_secrets: bool = False
    # The target as it named itself when read (name, slug…); ``target`` is its heading.
    target_info: TargetInfo | None = None
    # The live config the plan was computed against, for the backup taken before applying.
    # Never serialised into saved plans (it may hold secrets as the server returned them).
    live_config: JSONObject | None = field(default=None, repr=False, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(note for note in self.notes if note.is_error)

    def weakening(self) -> list[tuple[Change, SecurityImpact]]:
        return [
            (c, i) for c, i in zip(self.changes, self.impacts, strict=True) if i.impact == "weakens"
        ]

    def counts(self) -> dict[str, int]:
        totals = {"add": 0, "change": 0, "reset": 0}
        for change in self.changes:
            totals[change.action] += 1
        return totals


@dataclass(frozen=True)
class PlanOutcome:
    """One environment's result when several are planned: a plan, or the error that stopped it.

    ``environment`` is kept so a saved plan can name where each secret comes from.
    """

    name: str
    plan: Plan | None = None
    environment: ValidEnvironment | None = None
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.plan is None or bool(self.plan.errors)


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
) -> Plan:
    """Package a diff as a plan pinned to ``revision``, its security impact judged. Pure.

    ``target_info``, when given, replaces ``target`` as the heading."""
    operations = tuple(operation_for(change) for change in diff.changes)
    impacts = tuple(classify(c.pointer, c.live, c.desired, c.action) for c in diff.changes)
    return Plan(
        environment=environment,
        target=target_info.heading() if target_info else target,
        revision=revision,
        changes=diff.changes,
        operations=operations,
        warnings=diff.warnings,
        sensitive=sensitive,
        file_refs=dict(file_refs or {}),
        notes=notes,
        impacts=impacts,
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


def operation_for(change: Change) -> JSONObject:
    op = _OPERATION[change.action]
    if op == "remove":
        return {"op": op, "path": change.pointer}
    return {"op": op, "path": change.pointer, "value": change.desired}

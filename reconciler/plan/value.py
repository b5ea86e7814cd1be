"""The plan: what will change, the JSON Patch that does it, and the revision it is pinned to.

A plan is a value. Apply sends exactly its operations against exactly its revision and derives
nothing else (Terraform: "the actions during apply must be described entirely by the changes").
It carries everything a view shows (views decide nothing): made by ``planner.make_plan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.checks.finding import Finding, SecurityImpact
from reconciler.comparing.diff import Change
from reconciler.comparing.list_view import FieldChange
from reconciler.jsontypes import JSONObject, Pointer
from reconciler.targets import TargetInfo

if TYPE_CHECKING:  # only annotations: a plan never needs the validation models loaded
    from reconciler.loading.validate import ValidEnvironment


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
    # One per change, in the same order: how a list change reads field by field (``()``: the
    # change reads whole).
    field_changes: tuple[tuple[FieldChange, ...], ...] = field(default=(), repr=False)
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

    def fields_of(self, index: int) -> tuple[FieldChange, ...]:
        """How change ``index`` reads field by field; ``()`` when it reads whole."""
        return self.field_changes[index] if index < len(self.field_changes) else ()

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

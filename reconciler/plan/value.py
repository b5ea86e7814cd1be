"""The plan: what will change, the JSON Patch that does it, and the revision it is pinned to.

A plan is a value. Apply sends exactly its operations against exactly its revision and derives
nothing else (Terraform: "the actions during apply must be described entirely by the changes").
It carries everything a view shows (views decide nothing): made by ``planner.make_plan``.

One plan covers every config service the environment sets: each change (and the operation
that makes it, one per change) names its service, pointers are relative to that service's
config, and what is known per service (its secrets, its files, its write-only values) is kept
by service name. The operations are one JSON Patch across the services, sent as one write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.checks.finding import Finding, SecurityImpact
from reconciler.comparing.diff import Change
from reconciler.comparing.list_view import FieldChange
from reconciler.jsontypes import JSONObject, JSONValue, Pointer
from reconciler.secrets import Replacement
from reconciler.services import registry
from reconciler.targets import ServiceOperation, TargetInfo

if TYPE_CHECKING:  # only annotations: a plan never needs the validation models loaded
    from reconciler.checks.identity_counts import IdentityCounts
    from reconciler.loading.validate import ValidEnvironment


@dataclass(frozen=True)
class Plan:
    """Everything apply needs. Operation ``i`` makes change ``i``; its path is relative to the
    config of that change's service."""

    environment: str
    target: str
    revision: str
    changes: tuple[Change, ...] = field(repr=False)  # values may be secret
    operations: tuple[JSONObject, ...] = field(repr=False)
    warnings: tuple[str, ...] = ()
    # By service name: the values the environment marks secret (``${VAR}``, ``!secret``,
    # ``secrets:``), and the ``file://`` reference each inlined value was read from.
    sensitive: Mapping[str, frozenset[Pointer]] = field(default_factory=dict)
    file_refs: Mapping[str, Mapping[Pointer, str]] = field(default_factory=dict)
    notes: tuple[Finding, ...] = ()
    # One per change, in the same order: does it weaken, strengthen or not touch security?
    impacts: tuple[SecurityImpact, ...] = ()
    # One per change, in the same order: how a list change reads field by field (``()``: the
    # change reads whole).
    field_changes: tuple[tuple[FieldChange, ...], ...] = field(default=(), repr=False)
    # By service name: declared values not compared, and not sent: Ory does not return them
    # (or, in a read-only command, their ``${VAR}`` is not set).
    unverified: Mapping[str, tuple[Pointer, ...]] = field(default_factory=dict)
    # By service name: values Ory never returns that the operations send (added with their
    # parent, rotated): derived from the changes, so a saved plan cannot claim otherwise.
    write_only_sent: Mapping[str, tuple[Pointer, ...]] = field(default_factory=dict)
    # Made with --rotate-secrets: apply --plan plans again the same way.
    rotate_secrets: bool = False
    # The target as it named itself when read (name, slug…); ``target`` is its heading.
    target_info: TargetInfo | None = None
    # Each service's live config the plan was computed against (by name), for the backup
    # taken before applying. Never serialised into saved plans (it may hold secrets as the
    # server returned them).
    live_configs: Mapping[str, JSONObject] | None = field(default=None, repr=False, compare=False)
    # How many of the project's identities it touches, read with a project API key
    # (usecases/identity_impact.py); None when not counted. Integers only, never traits.
    identity_counts: IdentityCounts | None = None

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def patch(self) -> tuple[ServiceOperation, ...]:
        """The one JSON Patch across services, each operation with its service's name."""
        return tuple(
            (change.service, operation)
            for change, operation in zip(self.changes, self.operations, strict=True)
        )

    def services(self) -> tuple[str, ...]:
        """The services this plan says anything about (changes, write-only values), in the
        order of the registry (the identity config first)."""
        named = {change.service for change in self.changes}
        named |= {name for name, pointers in self.unverified.items() if pointers}
        named |= {name for name, pointers in self.write_only_sent.items() if pointers}
        order = [service.name for service in registry.services()]
        return tuple(
            sorted(named, key=lambda name: order.index(name) if name in order else len(order))
        )

    def named(self, service: str, pointer: Pointer) -> str:
        """How a pointer is named outside the list of changes: as it is when the plan is about
        one service, with the service's key in front (``toy_config/token``) when about more."""
        if len(self.services()) <= 1:
            return pointer
        return registry.named(service).key + pointer

    def unverified_count(self) -> int:
        return sum(len(pointers) for pointers in self.unverified.values())

    def sent_write_only(self) -> int:
        return sum(len(pointers) for pointers in self.write_only_sent.values())

    # -- masking: what the views show of a value at a service's pointer --

    def is_sensitive(self, service: str, pointer: Pointer) -> bool:
        marked = self.sensitive.get(service, frozenset())
        return registry.named(service).secrets.is_sensitive(pointer, marked)

    def shown_as(self, service: str, pointer: Pointer) -> str:
        marked = self.sensitive.get(service, frozenset())
        return registry.named(service).secrets.shown_as(pointer, marked)

    def masked(
        self,
        service: str,
        value: JSONValue,
        pointer: Pointer,
        *,
        secret: Replacement | None = None,
        other: Replacement | None = None,
    ) -> JSONValue:
        """``value`` (at ``pointer`` of ``service``'s config) with every secret in it masked
        (``SecretPaths.mask``; ``secret`` and ``other`` replace its defaults)."""
        paths = registry.named(service).secrets
        marked = self.sensitive.get(service, frozenset())
        replacing = {"secret": secret, "other": other}
        return paths.mask(value, pointer, marked, **{k: v for k, v in replacing.items() if v})

    def file_ref(self, service: str, pointer: Pointer) -> str | None:
        return self.file_refs.get(service, {}).get(pointer)

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

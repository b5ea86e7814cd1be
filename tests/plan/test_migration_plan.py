"""Issue 25 item 5: the migration plan of a plan, with and without identity counts."""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.comparing.diff import Change
from reconciler.comparing.schema_match import UNAVAILABLE
from reconciler.comparing.trait_diff import TraitChange, trait_diff
from reconciler.plan.migration import migration_plan
from reconciler.plan.value import Plan
from reconciler.views.migration import format_migration

from conftest import FIXTURES

K8S = FIXTURES / "corpus" / "examples-kratos-keto-oathkeeper-k8s" / "identity.schema.json"
OLD: dict[str, Any] = json.loads(K8S.read_text())


def _switch_plan(trait_changes: tuple[TraitChange, ...], details: tuple[str, ...] = ()) -> Plan:
    change = Change(
        "/identity/default_schema_id",
        "change",
        "customer",
        "customer-v2",
        details=details,
        trait_changes=trait_changes,
        schema_switch=("customer", "customer-v2"),
    )
    operation = {"op": "replace", "path": change.pointer, "value": change.desired}
    return Plan("dev", "a project", "rev-1", (change,), (operation,))


def _narrowed_enum() -> tuple[TraitChange, ...]:
    new = copy.deepcopy(OLD)
    new["properties"]["traits"]["properties"]["role"]["enum"] = ["user"]
    new["properties"]["traits"]["properties"]["email"].pop("minLength")
    return tuple(trait_diff(OLD, new))


class Counts:
    """Counts as the identities client (issue 25 items 3-4) would give them."""

    def __init__(self, per_schema: dict[str, int], failing: dict[str, int]) -> None:
        self.per_schema = per_schema
        self.failing_by_trait = failing
        self.asked: list[tuple[str, str, str]] = []

    def with_schema(self, schema_id: str) -> int | None:
        return self.per_schema.get(schema_id)

    def failing(self, schema_id: str, target_id: str, change: TraitChange) -> int | None:
        self.asked.append((schema_id, target_id, change.trait))
        return self.failing_by_trait.get(change.trait)


def test_without_counts_it_lists_the_transforms_and_says_counts_are_unknown() -> None:
    written = format_migration(migration_plan(_switch_plan(_narrowed_enum())))
    assert "## `customer` → `customer-v2`" in written
    assert "(count: ?)" in written
    assert '| 1 | `traits.role` | breaking | enum narrowed, ["admin"] no longer allowed' in written
    assert '| map ["admin"] to one of ["user"] | ? |' in written
    assert "### Nothing to do (the new schema accepts more)" in written
    assert "they need read access to the project's identities" in written


def test_with_counts_it_says_how_many_identities_each_step_touches() -> None:
    counts = Counts({"customer": 1200}, {"traits.role": 7})
    written = format_migration(migration_plan(_switch_plan(_narrowed_enum()), counts))
    assert "(count: 1200)" in written
    assert '| map ["admin"] to one of ["user"] | 7 |' in written
    assert counts.asked == [("customer", "customer-v2", "traits.role")]  # transforms only
    assert "Counts come from the project's identities" in written


def test_unknown_content_says_the_transforms_are_not_known() -> None:
    written = format_migration(migration_plan(_switch_plan((), (UNAVAILABLE,))))
    assert "the transforms are not known" in written
    assert "Trait transforms" not in written


def test_a_plan_without_switch_moves_nobody() -> None:
    plan = Plan("dev", "a project", "rev-1", (), ())
    assert "no identity would move" in format_migration(migration_plan(plan))

"""``restore``: plan and apply the way back to a backup taken before an apply.

The backup is the whole live identity config at one revision. The way back sets every value
the backup has and removes keys added since (Ory Network then re-applies their defaults).
Secrets in a backup are as the server returned them; values Ory never returns (the SMTP
URI) are not in it and are left as they are.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from reconciler import safety
from reconciler.diff import Diff, DiffRules, compute_diff
from reconciler.errors import ApplyError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, is_within, split_pointer
from reconciler.plan import Plan, make_plan
from reconciler.reconcile import ApplyResult, Settings, refuse_unsafe
from reconciler.targets import Target


def plan_restore(name: str, target: Target, backup: JSONObject) -> Plan:
    """The plan that brings live back to ``backup``. Read-only."""
    live = target.fetch()
    plan = make_plan(name, target.description, live.revision, _diff(backup, live.config, target))
    return replace(plan, live_config=live.config)


def apply_restore(
    plan: Plan, backup: JSONObject, target: Target, settings: Settings, *, allow_weaken: bool
) -> ApplyResult:
    if plan.is_empty:
        raise ApplyError("nothing to restore: live already matches the backup")
    refuse_unsafe(plan, allow_weaken=allow_weaken)
    assert plan.live_config is not None
    saved = safety.save_backup(settings.root, plan.environment, plan.revision, plan.live_config)
    outcome = target.apply(plan.operations, plan.revision)
    leftover = _diff(backup, outcome.state.config, target).changes
    if leftover:
        paths = ", ".join(change.pointer for change in leftover)
        raise ApplyError(f"restored, but these paths still differ from the backup: {paths}")
    return ApplyResult(plan=plan, outcome=outcome, backup=saved)


def _diff(backup: JSONObject, live: JSONObject, target: Target) -> Diff:
    added = [
        pointer
        for pointer in safety.keys_only_in(live, backup)
        if not any(is_within(pointer, ignored) for ignored in target.ignored)
    ]
    # The target's own keys (serve, cookies…) were never ours to restore: leave them out
    # rather than warn about each.
    wanted = copy.deepcopy(backup)
    for pointer in target.ignored:
        _drop(wanted, pointer)
    return compute_diff(wanted, live, added, DiffRules(ignored=target.ignored))


def _drop(document: JSONObject, pointer: Pointer) -> None:
    *parents, last = split_pointer(pointer)
    current: JSONValue = document
    for token in parents:
        current = current.get(token) if isinstance(current, dict) else None
    if isinstance(current, dict):
        current.pop(last, None)


def backup_of(path: Path) -> JSONObject:
    return safety.read_backup(path)

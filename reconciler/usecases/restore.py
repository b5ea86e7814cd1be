"""``restore``: plan and apply the way back to a backup taken before an apply.

The backup is the whole live identity config at one revision. The way back sets every value
the backup has and removes keys added since (Ory Network then re-applies their defaults).
A backup holds no secret (``backup_secrets``): each is put back from live when it did not
change, or from the value the environment declares when that is the one backed up; any other
is left as it is live, and the plan says so. Values Ory never returns (the SMTP URI) are not
in a backup and are left as they are.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reconciler.comparing.diff import Diff, DiffRules, compute_diff
from reconciler.comparing.values import DefaultLookup
from reconciler.errors import ApplyError
from reconciler.jsontypes import JSONObject, copy_json, is_within, remove_at
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.targets import Target
from reconciler.usecases import backup_secrets, backups
from reconciler.usecases.applying import ApplyResult, NotApplied
from reconciler.usecases.backup_secrets import BackupContent
from reconciler.usecases.guards import (
    ApplyIntent,
    Review,
    check_intent,
    passes_review,
    refuse_unsafe,
)
from reconciler.usecases.steps import Settings, defaults, desired, load, open_target


def restore_environment(
    name: str, backup_path: Path, settings: Settings, intent: ApplyIntent, review: Review
) -> ApplyResult | NotApplied:
    """Plan the way back to the backup at ``backup_path`` and apply it once reviewed: load,
    check the environment's protection, read the backup, open the target, plan (read-only),
    show, refuse what is unsafe, confirm, apply and check that live matches the backup."""
    environment = load(name, settings)
    check_intent(environment, intent)
    wanted = backup_of(backup_path)
    declared = desired(environment)  # may hold a secret the backup left out
    target = open_target(environment, settings)
    try:
        planned = plan_restore(name, target, wanted, settings, declared)
        if not passes_review(planned, intent, review):
            return NotApplied(planned)
        return apply_restore(
            planned,
            wanted,
            target,
            settings,
            allow_weaken=intent.allow_weaken,
            declared=declared,
        )
    finally:
        target.close()


def plan_restore(
    name: str,
    target: Target,
    backup: BackupContent,
    settings: Settings | None = None,
    declared: JSONObject | None = None,
) -> Plan:
    """The plan that brings live back to ``backup``. Read-only. Keys added since the backup
    that hold the server default anyway are left alone (``settings`` names the schema);
    ``declared`` (the environment's desired config) may hold a secret the backup left out."""
    live = target.fetch()
    wanted, cannot = backup_secrets.put_back(backup, live.config, declared or {})
    default_at = _defaults(target, settings)
    diff = _diff(wanted, live.config, target, default_at)
    plan = make_plan(
        name,
        target.description,
        live.revision,
        diff,
        target_info=live.target,
        default_at=default_at,
    )
    return replace(
        plan, live_config=live.config, warnings=plan.warnings + tuple(_not_restored(cannot))
    )


def _not_restored(cannot: list[str]) -> list[str]:
    return [
        f"the backup keeps no secret, and this one is neither live nor declared as it was: {line}"
        for line in cannot
    ]


def apply_restore(
    plan: Plan,
    backup: BackupContent,
    target: Target,
    settings: Settings,
    *,
    allow_weaken: bool,
    declared: JSONObject | None = None,
) -> ApplyResult:
    if plan.is_empty:
        raise ApplyError("nothing to restore: live already matches the backup")
    refuse_unsafe(plan, allow_weaken=allow_weaken)
    assert plan.live_config is not None
    wanted, _ = backup_secrets.put_back(backup, plan.live_config, declared or {})
    saved = backups.save_backup(settings.root, plan.environment, plan.revision, plan.live_config)
    outcome = target.apply(plan.operations, plan.revision)
    leftover = _diff(wanted, outcome.state.config, target, _defaults(target, settings)).changes
    if leftover:
        paths = ", ".join(change.pointer for change in leftover)
        raise ApplyError(f"restored, but these paths still differ from the backup: {paths}")
    return ApplyResult(plan=plan, outcome=outcome, backup=saved)


def _defaults(target: Target, settings: Settings | None) -> DefaultLookup:
    return defaults(settings or Settings(root=Path.cwd()), target.kind)


def _diff(backup: JSONObject, live: JSONObject, target: Target, default_at: DefaultLookup) -> Diff:
    added = [
        pointer
        for pointer in backups.keys_only_in(live, backup)
        if not any(is_within(pointer, ignored) for ignored in target.ignored)
    ]
    # The target's own keys (serve, cookies…) were never ours to restore: leave them out
    # rather than warn about each.
    wanted = copy_json(backup)
    for pointer in target.ignored:
        remove_at(wanted, pointer)
    rules = DiffRules(ignored=target.ignored, default_at=default_at)
    return compute_diff(wanted, live, added, rules)


def backup_of(path: Path) -> BackupContent:
    return backups.read_backup(path)

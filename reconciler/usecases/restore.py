"""``restore``: plan and apply the way back to a backup taken before an apply.

The backup is the whole live config of each service at one revision, restored as one plan.
The way back sets every value the backup has and removes keys added since (Ory Network then
re-applies their defaults).
A backup holds no secret (``backup_secrets``): each is put back from live when it did not
change, or from the value the environment declares when that is the one backed up; any other
is left as it is live, and the plan says so. Values Ory never returns (the SMTP URI) are not
in a backup and are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from reconciler.comparing.diff import Diff, DiffRules, compute_diff
from reconciler.comparing.values import DefaultLookup
from reconciler.errors import ApplyError
from reconciler.jsontypes import JSONObject, copy_json, is_within, remove_at
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import LiveState, Target
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
    backup: Mapping[str, BackupContent],
    settings: Settings | None = None,
    declared: Mapping[str, JSONObject] | None = None,
) -> Plan:
    """The plan that brings live back to ``backup`` (each service's, by name). Read-only. Keys
    added since the backup that hold the server default anyway are left alone (``settings``
    names the schema); ``declared`` (the environment's desired configs) may hold a secret the
    backup left out."""
    live = target.fetch()
    wanted, cannot = _wanted(backup, live, declared or {})
    diffs = {
        service.name: _diff(service, wanted[service.name], live.of(service), target, settings)
        for service in _services(wanted)
    }
    plan = make_plan(
        name,
        target.description,
        live.revision,
        diffs,
        target_info=live.target,
        default_at={s.name: _defaults(s, target, settings) for s in _services(wanted)},
    )
    return replace(
        plan, live_configs=live.configs, warnings=plan.warnings + tuple(_not_restored(cannot))
    )


def _services(wanted: Mapping[str, JSONObject]) -> list[Service]:
    return [service for service in registry.services() if service.name in wanted]


def _wanted(
    backup: Mapping[str, BackupContent], live: LiveState, declared: Mapping[str, JSONObject]
) -> tuple[dict[str, JSONObject], list[str]]:
    """Each service's backed-up config with its secrets put back where possible, and a line
    for each that is not."""
    wanted: dict[str, JSONObject] = {}
    cannot: list[str] = []
    for service in registry.services():
        if service.name not in backup:
            continue
        content = backup[service.name]
        config = live.configs.get(service.name, {})
        wanted[service.name], lines = backup_secrets.put_back(
            content, config, declared.get(service.name, {})
        )
        cannot += lines
    return wanted, cannot


def _not_restored(cannot: list[str]) -> list[str]:
    return [
        f"the backup keeps no secret, and this one is neither live nor declared as it was: {line}"
        for line in cannot
    ]


def apply_restore(
    plan: Plan,
    backup: Mapping[str, BackupContent],
    target: Target,
    settings: Settings,
    *,
    allow_weaken: bool,
    declared: Mapping[str, JSONObject] | None = None,
) -> ApplyResult:
    if plan.is_empty:
        raise ApplyError("nothing to restore: live already matches the backup")
    refuse_unsafe(plan, allow_weaken=allow_weaken)
    assert plan.live_configs is not None
    before = LiveState(configs=plan.live_configs, revision=plan.revision)
    wanted, _ = _wanted(backup, before, declared or {})
    saved = backups.save_backup(settings.root, plan.environment, plan.revision, plan.live_configs)
    outcome = target.apply(plan.patch(), plan.revision)
    leftover = [
        plan.named(service.name, change.pointer)
        for service in _services(wanted)
        for change in _diff(
            service, wanted[service.name], outcome.state.of(service), target, settings
        ).changes
    ]
    if leftover:
        paths = ", ".join(leftover)
        raise ApplyError(f"restored, but these paths still differ from the backup: {paths}")
    return ApplyResult(plan=plan, outcome=outcome, backup=saved)


def _defaults(service: Service, target: Target, settings: Settings | None) -> DefaultLookup:
    return defaults(settings or Settings(root=Path.cwd()), service, target.kind)


def _diff(
    service: Service,
    backup: JSONObject,
    live: JSONObject,
    target: Target,
    settings: Settings | None,
) -> Diff:
    ignored = service.judging[target.kind].server_managed
    added = [
        pointer
        for pointer in backups.keys_only_in(live, backup)
        if not any(is_within(pointer, managed) for managed in ignored)
    ]
    # The target's own keys (serve, cookies…) were never ours to restore: leave them out
    # rather than warn about each.
    wanted = copy_json(backup)
    for pointer in ignored:
        remove_at(wanted, pointer)
    rules = DiffRules(
        service=service.name,
        secret_paths=service.secrets,
        ignored=ignored,
        default_at=_defaults(service, target, settings),
        lists_identity_schemas=service.lists_identity_schemas,
    )
    return compute_diff(wanted, live, added, rules)


def backup_of(path: Path) -> dict[str, BackupContent]:
    return backups.read_backup(path)

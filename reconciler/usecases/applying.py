"""Applying a plan: refuse what is unsafe, keep a backup, send exactly the plan's operations
pinned to its revision, then plan again against what the write left (anything left over did
not converge) and record the rotations sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.errors import (
    ApplyError,
    InterruptedWriteError,
    Terminated,
    signal_name,
)
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.targets import ApplyOutcome, Target
from reconciler.usecases import backups, messages, rotations
from reconciler.usecases.guards import refuse_unsafe
from reconciler.usecases.planning import plan_against, schema_contents
from reconciler.usecases.steps import Settings, render_for


@dataclass(frozen=True)
class NotApplied:
    """A plan that was not sent: it has no changes, or the person running apply said no."""

    plan: Plan

    @property
    def cancelled(self) -> bool:
        return not self.plan.is_empty


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    outcome: ApplyOutcome
    backup: Path | None = None
    # The target's warnings split: about keys this environment sets (with file:line), and
    # the rest (Ory Network sends the same five on every write, whatever it touched).
    warnings: tuple[str, ...] = ()
    unrelated_warnings: tuple[str, ...] = ()


def apply_plan(
    plan: Plan,
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    *,
    allow_weaken: bool = False,
) -> ApplyResult:
    """Send the plan's operations pinned to its revision, then check the result converged.

    Refuses, sending nothing, a plan with errors, or with security-weakening changes unless
    ``allow_weaken``.
    """
    if plan.is_empty:
        raise ApplyError("nothing to apply: the plan has no changes")
    refuse_unsafe(plan, allow_weaken=allow_weaken)
    backup = _backup(plan, settings)
    try:
        outcome = target.apply(plan.patch(), plan.revision)
    except InterruptedWriteError as stop:
        if stop.landed:
            _record_sent(plan, environment, target, settings)
        raise
    try:
        _verify(plan, environment, target, settings, outcome)
    except (KeyboardInterrupt, Terminated) as stop:
        raise InterruptedWriteError(
            f"Interrupted ({signal_name(stop)}) after the change was applied ({plan.environment} "
            f"is now at revision {outcome.state.revision}), while checking that it converged. "
            "Run plan to check.",
            stop,
            True,
        ) from None
    related, unrelated = messages.split_warnings(outcome.warnings, environment, target)
    return ApplyResult(plan, outcome, backup, related, unrelated)


def _verify(
    plan: Plan,
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    outcome: ApplyOutcome,
) -> None:
    """Plan again against the state the write left: anything left over did not converge."""
    # What Ory does not return cannot be checked after a rotation: only what it does return.
    verify = replace(settings, rotate_secrets=False)
    desired = render_for(environment, target)
    contents = schema_contents(desired, outcome.state, settings)  # cached: no new fetch
    leftover = plan_against(environment, target, outcome.state, verify, desired, contents).changes
    if leftover:
        raise ApplyError(messages.not_converged(leftover, plan))
    _record_sent(plan, environment, target, settings)


def _record_sent(
    plan: Plan, environment: ValidEnvironment, target: Target, settings: Settings
) -> None:
    # ``rotate:`` writes each pointer as ``registry.owner_of`` reads it; so are the sent paths.
    sent_paths = {
        registry.as_written(registry.named(service), str(op["path"]))
        for service, op in plan.patch()
    }
    rotate = dict(environment.model.rotate)
    rotations.record(settings.root, plan.environment, target.description, rotate, sent_paths)


def _backup(plan: Plan, settings: Settings) -> Path | None:
    """Keep the live config as it was before this apply, so ``restore`` can go back to it."""
    if plan.live_configs is None:
        return None
    return backups.save_backup(
        settings.root, plan.environment, plan.revision, plan.live_configs, plan.sensitive
    )

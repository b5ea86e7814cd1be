"""The use cases, in order: load → validate → render → fetch → diff → plan → apply → verify.

The only module that knows the order of the steps. ``plan_environment`` is read-only;
``apply_plan`` writes exactly the plan's operations, pinned to the plan's revision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.checks.finding import Finding
from reconciler.checks.review import review
from reconciler.comparing.diff import DiffRules, compute_diff
from reconciler.errors import (
    ApplyError,
    ConfigError,
    InterruptedWriteError,
    ReconcilerError,
    StalePlanError,
    Terminated,
    signal_name,
)
from reconciler.jsontypes import Pointer, canonical_bytes, canonical_json
from reconciler.limits import RUN_ENVIRONMENTS, Budget, count_values, too_many_values
from reconciler.loading import render as rendering
from reconciler.loading.layers import LayerCache
from reconciler.loading.repository_settings import input_limits
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan import planfile, saved_secrets
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan, PlanOutcome
from reconciler.repository.paths import display_path
from reconciler.targets import ApplyOutcome, LiveState, Target
from reconciler.targets.client import ClientPool
from reconciler.usecases import backups, messages, rotations
from reconciler.usecases.guards import refuse_unsafe
from reconciler.usecases.steps import (
    Settings,
    defaults,
    file_links_from,
    load,
    named_version,
    open_target,
    refuse_before_fetching,
    refuse_invalid,
    render_for,
    schema_contents,
    schema_for,
    sensitive_pointers,
    unknown_values,
)

# plan_many plans every environment at once (each client paces its requests to the API's
# rate limits); this caps the threads waiting on the network at the same time.
MAX_PARALLELISM = 256


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    outcome: ApplyOutcome
    backup: Path | None = None
    # The target's warnings split: about keys this environment sets (with file:line), and
    # the rest (Ory Network sends the same five on every write, whatever it touched).
    warnings: tuple[str, ...] = ()
    unrelated_warnings: tuple[str, ...] = ()


def plan_environment(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    *,
    checked: rendering.Rendered | None = None,
) -> Plan:
    """Fetch live state, plan the changes and review them. Read-only: never writes.

    ``checked``: what ``refuse_invalid`` rendered and checked, reused when this target
    renders the same (it links no files).
    """
    desired = _checked_desired(environment, target, settings, checked)
    live, contents = _fetch(target, desired, settings)
    return _plan_fetched(environment, target, settings, desired, live, contents)


def _checked_desired(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    checked: rendering.Rendered | None,
) -> rendering.Rendered:
    """The desired state as ``target`` receives it, refused before anything is fetched."""
    if checked is not None and file_links_from(target) is None:
        return checked
    desired = render_for(environment, target)
    refuse_before_fetching(environment, desired.config, target.kind, settings)
    return desired


def _fetch(
    target: Target, desired: rendering.Rendered, settings: Settings
) -> tuple[LiveState, Mapping[str, bytes]]:
    """Live state, and the content of the identity schemas it names that a plan may need."""
    live = target.fetch()
    return live, schema_contents(desired, live, settings)  # may fetch identity schemas


def _plan_fetched(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    desired: rendering.Rendered,
    live: LiveState,
    contents: Mapping[str, bytes],
) -> Plan:
    named = named_version(environment, desired.config, settings, live)
    notes = review(
        environment,
        desired.config,
        live.config,
        schema=schema_for(target.kind, settings, named),
        contents=contents,
    )
    rotate = _rotations_due(environment, target, settings)
    return _plan_against(environment, target, live, settings, desired, contents, notes, rotate)


def _rotations_due(
    environment: ValidEnvironment, target: Target, settings: Settings
) -> dict[Pointer, str]:
    rotate = environment.model.rotate
    if not rotate:
        return {}
    name = environment.raw.name
    versions = rotations.recorded(settings.root, name, target.description)
    where = display_path(rotations.state_path(settings.root, name))
    return rotations.due(rotate, versions, where)


def plan_many(
    names: Sequence[str],
    settings: Settings,
    *,
    parallelism: int | None = None,
    skip_layers: bool = False,
) -> list[PlanOutcome]:
    """Plan several environments at once, one HTTP client per API URL.

    Every environment's request is started as soon as its files are checked; the client
    spaces them to the API's rate limits, so ``parallelism`` (default: all, at most
    MAX_PARALLELISM) only bounds the requests waiting at once. The CPU-bound steps (load,
    check, plan, review) run on the calling thread, one environment after another; the
    threads only wait for the network. Threads that compute would take the GIL from each
    other: measured with one thread per environment doing both, plan --all of 200 spent
    about 1 ms more CPU per environment.

    Read-only. Outcomes follow the order of ``names``; an environment that fails carries its
    error and the others go on. ``skip_layers`` leaves out files without a target (``--all``).
    """
    clients = ClientPool(settings.client_factory)
    shared = replace(settings, clients=clients, layers=settings.layers or LayerCache())
    bound = MAX_PARALLELISM if parallelism is None else parallelism
    workers = max(1, min(bound, len(names), MAX_PARALLELISM))
    outcomes: dict[str, PlanOutcome] = {}
    held = _RunBudget(settings.root)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    try:
        fetching: dict[Future[tuple[LiveState, Mapping[str, bytes]]], _Prepared] = {}
        for name in names:
            try:
                prepared = _prepare(name, shared, skip_layers, held)
            except ReconcilerError as exc:
                outcomes[name] = PlanOutcome(name, error=str(exc))
                continue
            if prepared is not None:
                future = pool.submit(_fetch, prepared.target, prepared.desired, shared)
                fetching[future] = prepared
        for future in as_completed(fetching):
            prepared = fetching[future]
            outcomes[prepared.name] = _finish(prepared, future, shared)
    except BaseException:
        # Interrupted (SIGINT, SIGTERM) or failed: the run ends now, not when every request
        # in flight has its answer (entry.main then exits without waiting for them either).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        clients.close()
    return [outcomes[name] for name in names if name in outcomes]


@dataclass(frozen=True)
class _Prepared:
    """An environment loaded, checked and rendered for its target, its request not yet rotations."""

    name: str
    environment: ValidEnvironment
    target: Target
    desired: rendering.Rendered


class _RunBudget:
    """Every environment plan_many plans is held until the end (it prints them in order):
    together they may have ``RUN_ENVIRONMENTS`` times the node limit (``limits.py``)."""

    def __init__(self, root: Path) -> None:
        limits = input_limits(root)
        self.max_nodes = limits.max_nodes * RUN_ENVIRONMENTS
        self._budget = Budget(replace(limits, max_nodes=self.max_nodes))

    def hold(self, environment: ValidEnvironment) -> None:
        if not self._budget.spend_values(count_values(environment.raw.data)):
            raise ConfigError(
                [
                    f"not planned: the environments of this run together have "
                    f"{too_many_values(self.max_nodes)}; plan fewer at once "
                    "(plan --all --shard I/N)"
                ]
            )


def _prepare(
    name: str, settings: Settings, skip_layers: bool, held: _RunBudget
) -> _Prepared | None:
    environment = load(name, settings)
    if skip_layers and environment.model.target is None:
        return None
    held.hold(environment)
    checked = refuse_invalid(environment, settings)
    # Not closed here: the target's client is shared, plan_many closes it.
    target = open_target(environment, settings)
    desired = _checked_desired(environment, target, settings, checked)
    return _Prepared(name, environment, target, desired)


def _finish(
    prepared: _Prepared,
    fetched: Future[tuple[LiveState, Mapping[str, bytes]]],
    settings: Settings,
) -> PlanOutcome:
    try:
        live, contents = fetched.result()
        plan = _plan_fetched(
            prepared.environment, prepared.target, settings, prepared.desired, live, contents
        )
    except ReconcilerError as exc:
        return PlanOutcome(prepared.name, error=str(exc))
    return PlanOutcome(prepared.name, plan=plan, environment=prepared.environment)


def apply_saved_plan(
    saved: planfile.SavedPlan,
    settings: Settings,
    *,
    allow_weaken: bool = False,
    show: Callable[[Plan], None] | None = None,
) -> ApplyResult | None:
    """Apply what a saved plan says, or refuse (StalePlanError), sending nothing.

    The file is untrusted (anyone who can write it can recompute its digests), so its
    operations are never sent: the environment is planned again against live as it is, and
    that plan is applied only when it sends exactly the saved operations (secrets compared
    through their fingerprints), at the saved revision. Its gates (errors, weakening) are the
    new plan's own. ``show`` gets that plan before it is applied. None when it has no changes.
    """
    environment = load(saved.plan.environment, settings)
    reviewed = saved_secrets.resolve(saved, environment, sensitive_pointers(environment))
    target = open_target(environment, settings)
    try:
        live = target.fetch()
        if live.revision != reviewed.revision:
            raise StalePlanError(
                f"the plan was made against revision {reviewed.revision}, but "
                f"{reviewed.environment} is now at revision {live.revision}; nothing was "
                "written. Run plan again."
            )
        again = replace(settings, rotate_secrets=saved.plan.rotate_secrets)
        desired = _checked_desired(environment, target, again, None)
        contents = schema_contents(desired, live, again)
        fresh = _plan_fetched(environment, target, again, desired, live, contents)
        _refuse_unless_same(saved, reviewed, fresh)
        if fresh.is_empty:
            return None
        if show is not None:
            show(fresh)
        return apply_plan(fresh, environment, target, settings, allow_weaken=allow_weaken)
    finally:
        target.close()


def _refuse_unless_same(saved: planfile.SavedPlan, reviewed: Plan, fresh: Plan) -> None:
    """StalePlanError, naming the difference (secrets masked), unless ``fresh`` sends exactly
    the operations of ``reviewed`` (the saved plan, its secrets read again)."""
    if [canonical_bytes(op) for op in reviewed.operations] == [
        canonical_bytes(op) for op in fresh.operations
    ]:
        return
    shown = [canonical_json(op) for op in saved.plan.operations]
    now = [canonical_json(op) for op in planfile.masked_operations(fresh)]
    only_saved = [_abridged(op) for op in shown if op not in now]
    only_now = [_abridged(op) for op in now if op not in shown]
    differences = []
    if only_saved:
        differences.append("the saved plan sends " + "; ".join(only_saved))
    if only_now:
        differences.append("the repository and live state now ask for " + "; ".join(only_now))
    raise StalePlanError(
        f"the saved plan of {fresh.environment} is not what the repository and live state "
        "give now (it was edited, or made by another reconciler version): "
        + (", and ".join(differences) or "its secrets are placed differently")
        + ". Nothing was written. Run plan again and review it."
    )


def _abridged(operation: str, width: int = 160) -> str:
    return operation if len(operation) <= width else operation[: width - 1] + "…"


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
        outcome = target.apply(plan.operations, plan.revision)
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
    leftover = _plan_against(environment, target, outcome.state, verify, desired, contents).changes
    if leftover:
        raise ApplyError(messages.not_converged(leftover, plan))
    _record_sent(plan, environment, target, settings)


def _record_sent(
    plan: Plan, environment: ValidEnvironment, target: Target, settings: Settings
) -> None:
    sent_paths = {str(op["path"]) for op in plan.operations}
    rotations.record(
        settings.root, plan.environment, target.description, environment.model.rotate, sent_paths
    )


def _backup(plan: Plan, settings: Settings) -> Path | None:
    """Keep the live config as it was before this apply, so ``restore`` can go back to it."""
    if plan.live_config is None:
        return None
    return backups.save_backup(
        settings.root, plan.environment, plan.revision, plan.live_config, plan.sensitive
    )


def _plan_against(
    environment: ValidEnvironment,
    target: Target,
    live: LiveState,
    settings: Settings,
    desired: rendering.Rendered,
    contents: Mapping[str, bytes],
    notes: tuple[Finding, ...] = (),
    rotate: Mapping[Pointer, str] | None = None,
) -> Plan:
    raw = environment.raw
    known = {**live.known_digests, **desired.digests}
    rules = DiffRules(
        sensitive=sensitive_pointers(environment),
        by_presence=unknown_values(environment, settings),
        ignored=target.ignored,
        known_digests=known,
        default_at=defaults(settings, target.kind),
        defaults_complete=True,
        rotate_secrets=settings.rotate_secrets,
        rotate=rotate or {},
        secrets_readable=target.returns_secrets,
        contents=contents,
    )
    diff = compute_diff(desired.config, live.config, environment.model.remove, rules)
    diff = replace(diff, warnings=diff.warnings + messages.ignored_keys(diff.ignored, raw))
    file_refs = {p: i.file_ref for p, i in raw.identity_pointers("file_ref").items() if i.file_ref}
    plan = make_plan(
        raw.name,
        target.description,
        live.revision,
        diff,
        sensitive=rules.sensitive,
        file_refs=file_refs,
        notes=notes,
        target_info=live.target,
        default_at=rules.default_at,
    )
    return replace(plan, live_config=live.config, rotate_secrets=settings.rotate_secrets)

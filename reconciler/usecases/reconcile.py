"""Plan and apply, in the order their steps run: load → validate → render → fetch → diff →
plan, then show, confirm, apply → verify.

``plan_many`` plans (read-only); ``apply_environment`` plans one environment and applies it
once confirmed; ``apply_plan_file`` applies a saved plan as reviewed. The steps themselves are
shared with the other use cases (``steps``, ``checking``, ``planning``, ``applying``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from reconciler.errors import (
    ConfigError,
    ReconcilerError,
    StalePlanError,
)
from reconciler.jsontypes import JSONObject, canonical_bytes, canonical_json
from reconciler.limits import RUN_ENVIRONMENTS, Budget, count_values, too_many_values
from reconciler.loading import render as rendering
from reconciler.loading.layers import LayerCache
from reconciler.loading.repository_settings import input_limits
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan import planfile, saved_secrets
from reconciler.plan.value import Plan, PlanOutcome
from reconciler.targets import LiveState, Target
from reconciler.targets.client import ClientPool
from reconciler.usecases.applying import ApplyResult, NotApplied, apply_plan
from reconciler.usecases.checking import refuse_invalid
from reconciler.usecases.guards import ApplyIntent, Review, check_intent, passes_review
from reconciler.usecases.planning import (
    checked_desired,
    fetch,
    plan_environment,
    plan_fetched,
    schema_contents,
)
from reconciler.usecases.steps import (
    Settings,
    load,
    open_target,
    sensitive_by_service,
)

log = logging.getLogger("reconciler.apply")
# plan_many plans every environment at once (each client paces its requests to the API's
# rate limits); this caps the threads waiting on the network at the same time.
MAX_PARALLELISM = 256


class Progress(Protocol):
    """Told how many environments plan_many plans, then each as it is finished (on the
    calling thread), in the order they finish."""

    def begin(self, total: int) -> None: ...

    def finished(self, outcome: PlanOutcome) -> None: ...


def plan_many(
    names: Sequence[str],
    settings: Settings,
    *,
    parallelism: int | None = None,
    skip_layers: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
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
    ``progress`` hears of each environment as it is finished.
    """
    clients = ClientPool(settings.client_factory, jobs=jobs)
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
                future = pool.submit(fetch, prepared.target, prepared.desired, shared)
                fetching[future] = prepared
        if progress is not None:
            progress.begin(len(outcomes) + len(fetching))
            for outcome in list(outcomes.values()):  # refused before any request
                progress.finished(outcome)
        for future in as_completed(fetching):
            prepared = fetching[future]
            outcomes[prepared.name] = _finish(prepared, future, shared)
            if progress is not None:
                progress.finished(outcomes[prepared.name])
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
    desired = checked_desired(environment, target, settings, checked)
    return _Prepared(name, environment, target, desired)


def _finish(
    prepared: _Prepared,
    fetched: Future[tuple[LiveState, Mapping[str, bytes]]],
    settings: Settings,
) -> PlanOutcome:
    try:
        live, contents = fetched.result()
        plan = plan_fetched(
            prepared.environment, prepared.target, settings, prepared.desired, live, contents
        )
    except ReconcilerError as exc:
        return PlanOutcome(prepared.name, error=str(exc))
    return PlanOutcome(prepared.name, plan=plan, environment=prepared.environment)


def apply_environment(
    name: str, settings: Settings, intent: ApplyIntent, review: Review
) -> ApplyResult | NotApplied:
    """Plan ``name`` and apply the plan once reviewed: load, refuse what no live state can
    fix, check the environment's protection, open the target, plan (read-only), show the plan,
    refuse what is unsafe, confirm, then apply and verify (``applying.apply_plan``)."""
    environment = load(name, settings)
    checked = refuse_invalid(environment, settings)
    check_intent(environment, intent)
    target = open_target(environment, settings)
    try:
        review.step(f"{name}: reading the live config")
        planned = plan_environment(environment, target, settings, checked=checked)
        if not passes_review(planned, intent, review):
            return NotApplied(planned)
        log.info("%s: applying %d operation(s)", name, len(planned.operations))
        review.step(f"{name}: applying {_changes(planned)}")
        return apply_plan(planned, environment, target, settings, allow_weaken=intent.allow_weaken)
    finally:
        target.close()


def _changes(plan: Plan) -> str:
    count = len(plan.changes)
    return f"{count} change{'s' if count != 1 else ''}"


def apply_plan_file(
    path: Path,
    settings: Settings,
    intent: ApplyIntent,
    show: Callable[[Plan], None],
    step: Callable[[str], None] | None = None,
) -> ApplyResult | NotApplied:
    """Apply a saved plan (``plan --out``) as reviewed, without asking (``--plan`` stands for
    ``--yes``): read and check the file (its signature when ``RECONCILER_PLAN_KEY`` is set),
    check the environment's protection, then ``apply_saved_plan``. ``show`` gets the plan about
    to be sent; ``step`` what is being waited for."""
    from reconciler.plan import planfile_reader  # its models are built only for a saved plan

    limits = input_limits(settings.root)
    saved = planfile_reader.read(path, settings.plan_key, limits.max_plan_bytes)
    check_intent(load(saved.plan.environment, settings), replace(intent, yes=True))
    log.info("%s: planning again to check the saved plan against it", saved.plan.environment)
    applied = apply_saved_plan(
        saved, settings, allow_weaken=intent.allow_weaken, show=show, step=step
    )
    return NotApplied(saved.plan) if applied is None else applied


def apply_saved_plan(
    saved: planfile.SavedPlan,
    settings: Settings,
    *,
    allow_weaken: bool = False,
    show: Callable[[Plan], None] | None = None,
    step: Callable[[str], None] | None = None,
) -> ApplyResult | None:
    """Apply what a saved plan says, or refuse (StalePlanError), sending nothing.

    The file is untrusted (anyone who can write it can recompute its digests), so its
    operations are never sent: the environment is planned again against live as it is, and
    that plan is applied only when it sends exactly the saved operations (secrets compared
    through their fingerprints), at the saved revision. Its gates (errors, weakening) are the
    new plan's own. ``show`` gets that plan before it is applied, ``step`` what is being
    waited for. None when it has no changes.
    """
    say = step or (lambda message: None)
    environment = load(saved.plan.environment, settings)
    reviewed = saved_secrets.resolve(saved, environment, sensitive_by_service(environment))
    target = open_target(environment, settings)
    try:
        say(f"{reviewed.environment}: reading the live config")
        live = target.fetch()
        if live.revision != reviewed.revision:
            raise StalePlanError(
                f"the plan was made against revision {reviewed.revision}, but "
                f"{reviewed.environment} is now at revision {live.revision}; nothing was "
                "written. Run plan again."
            )
        again = replace(settings, rotate_secrets=saved.plan.rotate_secrets)
        desired = checked_desired(environment, target, again, None)
        contents = schema_contents(desired, live, again)
        fresh = plan_fetched(environment, target, again, desired, live, contents)
        _refuse_unless_same(saved, reviewed, fresh)
        if fresh.is_empty:
            return None
        if show is not None:
            show(fresh)
        say(f"{reviewed.environment}: applying {_changes(fresh)}")
        return apply_plan(fresh, environment, target, settings, allow_weaken=allow_weaken)
    finally:
        target.close()


def _refuse_unless_same(saved: planfile.SavedPlan, reviewed: Plan, fresh: Plan) -> None:
    """StalePlanError, naming the difference (secrets masked), unless ``fresh`` sends exactly
    the operations of ``reviewed`` (the saved plan, its secrets read again)."""
    if [canonical_bytes(op) for op in _tagged(reviewed)] == [
        canonical_bytes(op) for op in _tagged(fresh)
    ]:
        return
    # Each operation's service is named only when a service besides the identity config is in
    # play (then two operations may share a path).
    several = len({*saved.plan.services(), *fresh.services()}) > 1
    shown = [canonical_json(op) for op in _tagged(saved.plan, named=several)]
    now = [
        canonical_json(op)
        for op in _tagged(fresh, planfile.masked_operations(fresh), named=several)
    ]
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


def _tagged(
    plan: Plan, operations: list[JSONObject] | None = None, *, named: bool = True
) -> list[JSONObject]:
    """The plan's operations, each with the service it changes (``named``: two services may
    have a key at the same path)."""
    sent = plan.operations if operations is None else list(operations)
    if not named:
        return list(sent)
    return [
        {"service": change.service, **operation}
        for change, operation in zip(plan.changes, sent, strict=True)
    ]


def _abridged(operation: str, width: int = 160) -> str:
    return operation if len(operation) <= width else operation[: width - 1] + "…"

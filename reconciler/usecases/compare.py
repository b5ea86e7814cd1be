"""``reconciler diff``: what promoting one environment to another would change, comparing
their desired states or their live configs, each config service's. Read only; secrets compare
by presence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler.comparing.diff import Diff, DiffRules, compute_diff
from reconciler.jsontypes import JSONValue, Pointer, get_at, is_within, join_pointer
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.usecases import steps
from reconciler.usecases.read_only import fetch, load_without_secrets


@dataclass(frozen=True)
class Comparison:
    plan: Plan
    # Values B declares (or has) that A does not: promoting A leaves them as they are (service
    # name, pointer, value).
    only_in_b: tuple[tuple[str, Pointer, JSONValue], ...]


def compare_desired(
    name_a: str, name_b: str, settings: steps.Settings, ignore: tuple[Pointer, ...]
) -> Comparison:
    """What promoting A's desired state to B's would change in B's desired state."""
    a, b = load_without_secrets(name_a, settings), load_without_secrets(name_b, settings)
    kind = steps.target_kind_of(b)
    desired_a, desired_b = steps.desired(a), steps.desired(b)
    services = _services(a, b)
    diffs: dict[str, Diff] = {}
    sensitive: dict[str, frozenset[Pointer]] = {}
    only: list[tuple[str, Pointer, JSONValue]] = []
    for service in services:
        marked = steps.sensitive_pointers(a, service) | steps.sensitive_pointers(b, service)
        rules = DiffRules(
            service=service.name,
            secret_paths=service.secrets,
            sensitive=marked,
            default_at=steps.defaults(settings, service, kind),
            secrets_by_presence=True,
            lists_identity_schemas=service.lists_identity_schemas,
        )
        mine, theirs = desired_a.get(service.name, {}), desired_b.get(service.name, {})
        diff = compute_diff(mine, theirs, a.removals(service), rules)
        diffs[service.name] = _kept(diff, ignore)
        sensitive[service.name] = marked
        only += [(service.name, *leaf) for leaf in _only_in(theirs, mine, ignore)]
    plan = make_plan(
        f"{name_a} -> {name_b}",
        "desired states",
        "",
        diffs,
        sensitive=sensitive,
        file_refs={s.name: {**_file_refs(b, s), **_file_refs(a, s)} for s in services},
        default_at={s.name: steps.defaults(settings, s, kind) for s in services},
    )
    return Comparison(plan, tuple(only))


def compare_live(
    name_a: str, name_b: str, settings: steps.Settings, ignore: tuple[Pointer, ...]
) -> Comparison:
    """What making B's live config equal to A's would change (server-managed keys aside)."""
    target_a, live_a = fetch(load_without_secrets(name_a, settings), settings)
    target_b, live_b = fetch(load_without_secrets(name_b, settings), settings)
    diffs: dict[str, Diff] = {}
    only: list[tuple[str, Pointer, JSONValue]] = []
    held = [s for s in registry.services() if s.name in live_a.configs and s.name in live_b.configs]
    for service in held:
        skipped = (
            *ignore,
            *service.per_project,
            *service.judging[target_a.kind].server_managed,
            *service.judging[target_b.kind].server_managed,
        )
        rules = DiffRules(
            service=service.name,
            secret_paths=service.secrets,
            known_digests={**live_a.known_digests, **live_b.known_digests},
            default_at=steps.defaults(settings, service, target_b.kind),
            secrets_by_presence=True,
            lists_identity_schemas=service.lists_identity_schemas,
        )
        mine, theirs = live_a.of(service), live_b.of(service)
        diffs[service.name] = _kept(compute_diff(mine, theirs, (), rules), skipped)
        only += [(service.name, *leaf) for leaf in _only_in(theirs, mine, skipped)]
    plan = make_plan(
        f"{name_a} -> {name_b}",
        "live configs",
        f"{live_a.revision} -> {live_b.revision}",
        diffs,
        default_at={s.name: steps.defaults(settings, s, target_b.kind) for s in held},
    )
    return Comparison(plan, tuple(only))


def _services(a: ValidEnvironment, b: ValidEnvironment) -> list[Service]:
    """The services either environment plans, in the registry's order."""
    named = {service.name for service in (*a.services, *b.services)}
    return [service for service in registry.services() if service.name in named]


def _kept(diff: Diff, ignore: tuple[Pointer, ...]) -> Diff:
    return replace(diff, changes=tuple(c for c in diff.changes if not _ignored(c.pointer, ignore)))


def _file_refs(environment: ValidEnvironment, service: Service) -> dict[Pointer, str]:
    pointers = environment.raw.pointers_of(service, "file_ref").items()
    return {pointer: info.file_ref for pointer, info in pointers if info.file_ref}


def _ignored(pointer: Pointer, ignore: tuple[Pointer, ...]) -> bool:
    return any(is_within(pointer, prefix) for prefix in ignore)


def _only_in(
    document: JSONValue, other: JSONValue, ignore: tuple[Pointer, ...], pointer: Pointer = ""
) -> tuple[tuple[Pointer, JSONValue], ...]:
    """Leaves (lists whole) of ``document`` that ``other`` does not have at all."""
    if _ignored(pointer, ignore) and pointer:
        return ()
    if not get_at(other, pointer)[0]:
        return ((pointer, document),)
    if not isinstance(document, dict):
        return ()
    return tuple(
        leaf
        for key in sorted(document)
        for leaf in _only_in(document[key], other, ignore, join_pointer(pointer, key))
    )

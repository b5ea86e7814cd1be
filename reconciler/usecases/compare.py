"""``reconciler diff``: what promoting one environment to another would change, comparing
their desired states or their live configs. Read only; secrets compare by presence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler.comparing.diff import DiffRules, compute_diff
from reconciler.jsontypes import JSONValue, Pointer, get_at, is_within, join_pointer
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.usecases import steps
from reconciler.usecases.read_only import fetch, load_without_secrets


@dataclass(frozen=True)
class Comparison:
    plan: Plan
    # Values B declares (or has) that A does not: promoting A leaves them as they are.
    only_in_b: tuple[tuple[Pointer, JSONValue], ...]


def compare_desired(
    name_a: str, name_b: str, settings: steps.Settings, ignore: tuple[Pointer, ...]
) -> Comparison:
    """What promoting A's desired state to B's would change in B's desired state."""
    a, b = load_without_secrets(name_a, settings), load_without_secrets(name_b, settings)
    sensitive = steps.sensitive_pointers(a) | steps.sensitive_pointers(b)
    kind = steps.target_kind_of(b)
    rules = DiffRules(
        sensitive=sensitive, default_at=steps.defaults(settings, kind), secrets_by_presence=True
    )
    desired_a, desired_b = steps.desired(a), steps.desired(b)
    diff = compute_diff(desired_a, desired_b, a.model.remove, rules)
    kept = tuple(c for c in diff.changes if not _ignored(c.pointer, ignore))
    refs = {**_file_refs(b), **_file_refs(a)}
    plan = make_plan(
        f"{name_a} -> {name_b}",
        "desired states",
        "",
        replace(diff, changes=kept),
        sensitive=sensitive,
        file_refs=refs,
        default_at=rules.default_at,
    )
    return Comparison(plan, _only_in(desired_b, desired_a, ignore))


def compare_live(
    name_a: str, name_b: str, settings: steps.Settings, ignore: tuple[Pointer, ...]
) -> Comparison:
    """What making B's live config equal to A's would change (server-managed keys aside)."""
    target_a, live_a = fetch(load_without_secrets(name_a, settings), settings)
    target_b, live_b = fetch(load_without_secrets(name_b, settings), settings)
    skipped = (*ignore, *target_a.ignored, *target_b.ignored)
    rules = DiffRules(
        known_digests={**live_a.known_digests, **live_b.known_digests},
        default_at=steps.defaults(settings, target_b.kind),
        secrets_by_presence=True,
    )
    diff = compute_diff(live_a.config, live_b.config, (), rules)
    kept = tuple(c for c in diff.changes if not _ignored(c.pointer, skipped))
    plan = make_plan(
        f"{name_a} -> {name_b}",
        "live configs",
        f"{live_a.revision} -> {live_b.revision}",
        replace(diff, changes=kept),
        default_at=rules.default_at,
    )
    return Comparison(plan, _only_in(live_b.config, live_a.config, skipped))


def _file_refs(environment: ValidEnvironment) -> dict[Pointer, str]:
    pointers = environment.raw.identity_pointers("file_ref").items()
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

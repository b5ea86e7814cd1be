"""What the user reads about their own keys, placed at the file and line that declares them.

Pure: the environment's recorded locations in, messages out. Used by reconcile.py for the
keys a target sets itself, the target's warnings after an apply, ``rotate:`` pointers that
declare nothing, and paths that did not converge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.comparing.diff import Change
from reconciler.jsontypes import Pointer, get_at, is_within
from reconciler.loading import document
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import Target

if TYPE_CHECKING:  # only annotations: a plan never needs the validation models loaded
    from reconciler.loading.render import Rendered
    from reconciler.loading.validate import ValidEnvironment


def ignored_keys(
    ignored: tuple[Pointer, ...], raw: document.RawEnvironment, service: Service
) -> tuple[str, ...]:
    """One warning per declared key of ``service``'s config the target sets itself, at the
    line that declares it."""
    return tuple(
        f"{raw.location(service.environment_pointer + pointer) or raw.name}: the target sets "
        f"{pointer} itself and ignores writes to it; it is never planned"
        for pointer in ignored
    )


def split_warnings(
    warnings: tuple[str, ...], environment: ValidEnvironment, target: Target
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Warnings about keys the environment declares (located), and the others."""
    related: list[str] = []
    unrelated: list[str] = []
    raw = environment.raw
    for warning in warnings:
        pointer = target.warned_key(warning)
        if pointer is None:
            related.append(warning)  # not understood: shown as it came
            continue
        key = registry.IDENTITY.environment_pointer + pointer
        declared = [p for p in raw.info if is_within(p, key)]
        if declared:
            where = raw.location(key if key in raw.info else declared[0])
            related.append(f"{where}: {warning}")
        else:
            unrelated.append(warning)
    return tuple(related), tuple(unrelated)


def undeclared_rotations(environment: ValidEnvironment, desired: Rendered) -> list[str]:
    raw = environment.raw
    return [
        f"{raw.location('/rotate') or raw.name}: rotate: {registry.as_written(service, pointer)} "
        f"is not declared under "
        f"{service.key}, so there is nothing to send"
        for service in registry.services()
        for pointer in environment.rotations(service)
        if not get_at(desired.of(service), pointer)[0]
    ]


def not_converged(leftover: tuple[Change, ...], plan: Plan) -> str:
    def named(change: Change) -> str:
        return plan.named(change.service, change.pointer)

    paths = ", ".join(named(change) for change in leftover)
    sent = {(service, str(op["path"])) for service, op in plan.patch()}
    # A change sent into a key the target then dropped whole leaves that key differing.
    ignored = [
        named(c)
        for c in leftover
        if any(
            service == c.service and (is_within(c.pointer, p) or is_within(p, c.pointer))
            for service, p in sent
        )
    ]
    dropped = (
        f" The target accepted {', '.join(ignored)} and ignored it (Ory Network drops keys it "
        "does not support without an error)."
        if ignored
        else ""
    )
    return (
        "the change was applied, but the target did not converge: these paths still differ "
        f"from the desired state: {paths}.{dropped} Run plan to see them."
    )

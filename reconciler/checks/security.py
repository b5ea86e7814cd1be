"""Does a planned change make the project less secure?

A pure function over JSON values: given the service a change is to, where it lands in that
service's config, the live value, the desired value and the kind of change, say ``weakens``,
``strengthens`` or ``neutral`` with a short reason. ``apply`` refuses weakening changes without
``--allow-weaken`` (issue 4, item 3). What counts is each service's to declare
(``services/declaration.Security``: the identity config's are ``services/identity/security.py``).

Sub-trees are judged leaf by leaf (lists count as leaves), and a side that says nothing falls
back to the service's default (for the identity config the Kratos default, ory-api.md §1c), so
adding ``{totp: {enabled: false}}`` is as neutral as leaving it out, and resetting
``required_aal`` brings back ``highest_available``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from reconciler.checks.finding import SecurityImpact
from reconciler.checks.kratos_schema import defaults_of
from reconciler.jsontypes import JSONValue, Pointer, join_pointer
from reconciler.services.declaration import Security, Service
from reconciler.services.impact import Impact, Verdict

Action = Literal["add", "change", "reset"]


def _leaves(
    value: JSONValue, pointer: Pointer, security: Security
) -> Iterator[tuple[Pointer, JSONValue]]:
    """Scalar and list leaves of ``value`` (what ``not_leaves`` matches is judged whole)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _leaves(sub, join_pointer(pointer, key), security)
    elif security.not_leaves is None or not security.not_leaves.search(pointer):
        yield pointer, value


def _judge_leaf(
    security: Security, pointer: Pointer, before: JSONValue, after: JSONValue
) -> Verdict:
    if before == after:
        return None
    for pattern, judge in security.leaves:
        if pattern.match(pointer):
            return judge(pointer, before, after)
    return None


def classify(
    service: Service, pointer: Pointer, live: JSONValue, desired: JSONValue, action: Action
) -> SecurityImpact:
    """Classify one change at ``pointer`` (relative to ``service``'s config).

    ``action`` is ``add`` (``live`` is absent and ignored), ``change``, or ``reset`` (the key
    is removed, so it returns to its default; ``desired`` is ignored).
    """
    security = service.security
    if not security.leaves and not security.whole:
        return _summarise([])
    default_at = defaults_of(service)

    def default(at: Pointer) -> JSONValue:
        return default_at(at)[1]

    before = live if action != "add" else default(pointer)
    after = desired if action != "reset" else default(pointer)
    old_leaves = dict(_leaves(before, pointer, security))
    new_leaves = dict(_leaves(after, pointer, security))
    verdicts = [v for judge in security.whole for v in judge(pointer, before, after)]
    for leaf in sorted(set(old_leaves) | set(new_leaves)):
        old = old_leaves[leaf] if leaf in old_leaves else default(leaf)
        new = new_leaves[leaf] if leaf in new_leaves else default(leaf)
        verdicts.append(_judge_leaf(security, leaf, old, new))
    return _summarise([v for v in verdicts if v is not None])


def _summarise(verdicts: list[tuple[Impact, str]]) -> SecurityImpact:
    decisive: tuple[Impact, ...] = ("weakens", "strengthens")
    for impact in decisive:
        reasons = [reason for kind, reason in verdicts if kind == impact]
        if reasons:
            return SecurityImpact(impact, "; ".join(reasons))
    return SecurityImpact("neutral", "no security-relevant setting changes")

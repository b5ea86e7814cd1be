"""The words a service's security rules are written in: a judge looks at one setting before
and after a change and says whether it weakens or strengthens security, and why.

A service declares its rules (``declaration.Security``) with these judges; the engine that
walks a change and applies them is ``checks/security.py``. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Literal

from reconciler.comparing.durations import duration_seconds
from reconciler.jsontypes import JSONValue, Pointer

Impact = Literal["weakens", "strengthens", "neutral"]
# What a judge says about one setting: how and why, or nothing (the change does not matter).
Verdict = tuple[Impact, str] | None
# A judge of one leaf: its pointer, the value before and the value after.
Judge = Callable[[Pointer, JSONValue, JSONValue], Verdict]
# A judge of a whole changed value (e.g. hooks removed anywhere inside it).
WholeJudge = Callable[[Pointer, JSONValue, JSONValue], Iterator[Verdict]]


def seconds(value: JSONValue) -> float | None:
    """Seconds in a Go duration string (``1h30m0s``, ``15m``), ``None`` if not one."""
    return duration_seconds(value) if isinstance(value, str) else None


def number(value: JSONValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def ranked(before: float | None, after: float | None, lower: Impact, what: str) -> Verdict:
    """``lower`` when ``after < before``, the opposite when it rose."""
    if before is None or after is None or before == after:
        return None
    higher: Impact = "strengthens" if lower == "weakens" else "weakens"
    impact = lower if after < before else higher
    return impact, f"{what} {'lowered' if after < before else 'raised'}"


def switch(before: JSONValue, after: JSONValue, off: Impact, what: str) -> Verdict:
    """``off`` when a boolean goes true → false, the opposite when it goes false → true."""
    if before is True and after is False:
        return off, f"{what} turned off"
    if before is False and after is True:
        return ("strengthens" if off == "weakens" else "weakens"), f"{what} turned on"
    return None


def turning_off(off: Impact, what: str, *, unset: bool | None = None) -> Judge:
    """A judge of a boolean switch: turning it off ``off`` security (``switch``). ``unset``:
    what a side that says nothing means when the schema names no default (Hydra's switches
    are Go booleans, false unless set)."""

    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        return switch(
            unset if before is None else before, unset if after is None else after, off, what
        )

    return judge


def more_is_weaker(what: str) -> Judge:
    """A judge of a number or duration that weakens security as it grows (a lifespan)."""

    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        old = seconds(before) if isinstance(before, str) else number(before)
        new = seconds(after) if isinstance(after, str) else number(after)
        return ranked(old, new, "strengthens", what)

    return judge


def _as_set(value: JSONValue) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def allow_list(what: str) -> Judge:
    """A judge of a list of what is allowed: anything added widens it (weakens)."""

    def judge(pointer: Pointer, before: JSONValue, after: JSONValue) -> Verdict:
        added, removed = _as_set(after) - _as_set(before), _as_set(before) - _as_set(after)
        if added:
            return "weakens", f"{what} widened: {', '.join(sorted(added))}"
        if removed:
            return "strengthens", f"{what} narrowed"
        return None

    return judge


def exactly(*pointers: Pointer) -> re.Pattern[str]:
    """A pattern matching exactly these pointers."""
    return re.compile("^(?:" + "|".join(re.escape(pointer) for pointer in pointers) + ")$")

"""How a change of one JSON Schema keyword of a trait reads for the identities that exist.

Kratos validates an identity's traits against its schema on every update (admin or settings
flow), so a keyword that now accepts less may fail identities written under the old content:
**breaking**. A keyword that accepts more is **widening**. Each verdict has its reason on one
line, naming the values involved (schema values only, never an identity's).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reconciler.jsontypes import JSONObject, JSONValue

Classification = Literal["breaking", "narrowing", "widening"]

# Bounds whose raise accepts less (lower bounds) and whose cut accepts less (upper bounds).
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
BOUNDS = (*LOWER_BOUNDS, *UPPER_BOUNDS)
# Keywords whose any new or changed value may reject stored values, and whose removal accepts
# everything they rejected.
RESTRICTING = ("const", "format", "pattern")


@dataclass(frozen=True)
class KeywordChange:
    keyword: str
    old: JSONValue
    new: JSONValue
    classification: Classification
    reason: str


def shown(value: JSONValue) -> str:
    """A schema value as a reason quotes it: JSON, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False)


def _fails(what: str) -> str:
    return f"{what}: existing identities may fail validation on their next update"


def _values(value: JSONValue) -> list[JSONValue]:
    return list(value) if isinstance(value, list) else [value]


def _types(value: JSONValue) -> set[str]:
    return {str(v) for v in _values(value)}


def _type_change(old: JSONValue, new: JSONValue) -> KeywordChange:
    if new is None:
        return KeywordChange("type", old, new, "widening", f"type {shown(old)} removed: any type")
    before, after = _types(old), _types(new)
    if "number" in after:
        after.add("integer")  # every integer is a number
    lost = sorted(before - after) if old is not None else []
    described = f"type {shown(old)} -> {shown(new)}"
    if old is None or lost:
        return KeywordChange("type", old, new, "breaking", _fails(described))
    return KeywordChange("type", old, new, "widening", f"{described}: accepts more")


def _enum_change(old: JSONValue, new: JSONValue) -> KeywordChange:
    if new is None:
        return KeywordChange("enum", old, new, "widening", "enum removed: any value")
    if old is None:
        return KeywordChange("enum", old, new, "breaking", _fails(f"enum {shown(new)} added"))
    kept = _values(new)
    dropped = [value for value in _values(old) if value not in kept]
    if dropped:
        reason = _fails(f"enum narrowed, {shown(dropped)} no longer allowed")
        return KeywordChange("enum", old, new, "breaking", reason)
    added = [value for value in kept if value not in _values(old)]
    return KeywordChange("enum", old, new, "widening", f"enum widened with {shown(added)}")


def _bound_change(keyword: str, old: JSONValue, new: JSONValue) -> KeywordChange:
    if new is None:
        return KeywordChange(keyword, old, new, "widening", f"{keyword} {shown(old)} removed")
    if old is None:
        described = f"{keyword} {shown(new)} added"
    else:
        described = f"{keyword} {shown(old)} -> {shown(new)}"
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    if old is not None and numbers:
        raised = new > old  # type: ignore[operator]
        if raised != (keyword in LOWER_BOUNDS):  # a lower bound lowered, an upper one raised
            return KeywordChange(keyword, old, new, "widening", f"{described}: accepts more")
    return KeywordChange(keyword, old, new, "breaking", _fails(described))


def _restricting_change(keyword: str, old: JSONValue, new: JSONValue) -> KeywordChange:
    if new is None:
        return KeywordChange(keyword, old, new, "widening", f"{keyword} {shown(old)} removed")
    described = (
        f"{keyword} {shown(new)} added"
        if old is None
        else f"{keyword} {shown(old)} -> {shown(new)}"
    )
    return KeywordChange(keyword, old, new, "breaking", _fails(described))


def _multiple_of_change(old: JSONValue, new: JSONValue) -> KeywordChange:
    both = all(isinstance(v, int | float) and not isinstance(v, bool) and v for v in (old, new))
    if new is None or (both and float(old) % float(new) == 0):  # type: ignore[arg-type]
        return KeywordChange("multipleOf", old, new, "widening", "multipleOf relaxed")
    return _restricting_change("multipleOf", old, new)


def _unique_items_change(old: JSONValue, new: JSONValue) -> KeywordChange:
    if new is True:
        return KeywordChange("uniqueItems", old, new, "breaking", _fails("uniqueItems added"))
    return KeywordChange("uniqueItems", old, new, "widening", "uniqueItems removed")


def _additional_change(old: JSONValue, new: JSONValue) -> KeywordChange:
    keyword = "additionalProperties"
    if new is False:
        reason = _fails("additionalProperties false (closed): properties not listed")
        return KeywordChange(keyword, old, new, "breaking", reason)
    if old is False and new in (None, True):
        return KeywordChange(keyword, old, new, "widening", "additionalProperties opened")
    return KeywordChange(keyword, old, new, "breaking", _fails(f"{keyword} changed"))


Compare = Callable[[JSONValue, JSONValue], KeywordChange]
_COMPARE: dict[str, Compare] = {
    "type": _type_change,
    "enum": _enum_change,
    "multipleOf": _multiple_of_change,
    "uniqueItems": _unique_items_change,
    "additionalProperties": _additional_change,
}
_COMPARE.update({keyword: functools.partial(_bound_change, keyword) for keyword in BOUNDS})
_COMPARE.update(
    {keyword: functools.partial(_restricting_change, keyword) for keyword in RESTRICTING}
)


def keyword_changes(old: JSONObject, new: JSONObject) -> list[KeywordChange]:
    """Every validation keyword compared here that differs between two trait schemas."""
    changes = []
    for keyword, compare in _COMPARE.items():
        before, after = old.get(keyword), new.get(keyword)
        if before != after:
            changes.append(compare(before, after))
    return changes

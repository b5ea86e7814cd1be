"""JSON Patch (RFC 6902) operations: built from the diff's changes, re-rooted and applied
here, through ``jsonpatch``.

The vocabulary a plan is written in and a target applies, so both import it from below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsonpatch
import jsonpointer

from reconciler.comparing.diff import Change
from reconciler.errors import ApplyError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer

# Each kind of change, as the operation that makes it.
_OPERATION = {"add": "add", "change": "replace", "reset": "remove"}


def operation_for(change: Change) -> JSONObject:
    """The operation that makes ``change``: ``add``, ``replace``, or ``remove`` (a reset: the
    server puts its default back)."""
    op = _OPERATION[change.action]
    if op == "remove":
        return {"op": op, "path": change.pointer}
    return {"op": op, "path": change.pointer, "value": change.desired}


def prefixed(operations: Sequence[JSONObject], prefix: Pointer) -> list[JSONObject]:
    """Re-root operations, e.g. under ``/services/identity/config`` for the project API."""
    return [{**op, "path": f"{prefix}{op['path']}"} for op in operations]


def apply_operations(document: Any, operations: Sequence[JSONObject], *, in_place: bool) -> Any:
    """Apply RFC 6902 operations; ``in_place`` keeps ruamel containers (and comments) intact."""
    try:
        return jsonpatch.apply_patch(document, list(operations), in_place=in_place)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise ApplyError(f"the plan's operations do not apply to the target: {exc}") from None


def patched(document: JSONValue, operations: Sequence[JSONObject]) -> JSONValue:
    """A patched copy of ``document`` (for checks and tests)."""
    result: JSONValue = apply_operations(document, operations, in_place=False)
    return result

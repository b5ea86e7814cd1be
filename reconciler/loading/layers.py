"""How ``extends`` layers merge: mappings key by key (the extending file wins), lists and
``target`` replaced whole, ``remove:`` accumulated; and the tree walk the loader shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    deep_merge,
    join_pointer,
    split_pointer,
)

if TYPE_CHECKING:  # the loader imports this module; these are only annotations here
    from reconciler.loading.loader import Layer, ValueInfo


def children(value: JSONValue, pointer: Pointer) -> list[tuple[Pointer, JSONValue]]:
    if isinstance(value, dict):
        return [(join_pointer(pointer, k), v) for k, v in value.items()]
    if isinstance(value, list):
        return [(join_pointer(pointer, i), v) for i, v in enumerate(value)]
    return []


def set_child(container: JSONValue, pointer: Pointer, new: JSONValue) -> None:
    token = split_pointer(pointer)[-1]
    if isinstance(container, dict):
        container[token] = new
    elif isinstance(container, list):
        container[int(token)] = new


def merge_layers(base: Layer, top: Layer) -> Layer:
    """Lay ``top`` over ``base``; ``target`` and ``remove`` get their own rules."""
    base_data, base_info, base_files = base
    top_data, top_info, top_files = top
    data: JSONObject = dict(base_data)
    info = dict(base_info)
    for key, value in top_data.items():
        pointer = join_pointer("", key)
        if key == "remove" and isinstance(value, list) and isinstance(data.get(key, []), list):
            _append_removals(data, info, value, top_info)
            continue
        merged = _merge_values(data.get(key), value, pointer, info)
        data[key] = merged
    info.update({p: i for p, i in top_info.items() if not p.startswith("/remove/")})
    return data, info, (*base_files, *top_files)


def _append_removals(
    data: JSONObject,
    info: dict[Pointer, ValueInfo],
    extra: list[JSONValue],
    extra_info: dict[Pointer, ValueInfo],
) -> None:
    # remove: accumulates across layers so a base can reset a key for every environment.
    current = data.get("remove", [])
    assert isinstance(current, list)
    offset = len(current)
    data["remove"] = [*current, *extra]
    for index in range(len(extra)):
        if f"/remove/{index}" in extra_info:
            info[f"/remove/{offset + index}"] = extra_info[f"/remove/{index}"]


# target is replaced whole: a base's target kind must never mix with an overlay's.
_REPLACED_WHOLE = frozenset({"/target"})


def _merge_values(
    base: JSONValue, top: JSONValue, pointer: Pointer, info: dict[Pointer, ValueInfo]
) -> JSONValue:
    def forget_base_positions(replaced: Pointer) -> None:
        # The base's file:line under a replaced value no longer describes anything.
        for stale in [p for p in info if p == replaced or p.startswith(replaced + "/")]:
            del info[stale]

    return deep_merge(
        base, top, at=pointer, whole=_REPLACED_WHOLE, on_replace=forget_base_positions
    )

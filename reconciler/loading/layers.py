"""How ``extends`` layers merge, and the layers one run reads once.

Merging: mappings key by key (the extending file wins), lists and ``target`` replaced whole,
``remove:`` accumulated.

Reading once: ``plan --all`` loads the same ``base.yaml`` (and the files it embeds) for every
environment that extends it. ``LayerCache`` is a run-scoped memo, filled once under a lock per
layer: when fifty threads ask for the same layer at once, one reads it and the others wait
for its result instead of each reading it too. Failures are not remembered (every
environment reports its own error). A thread that waits too long (two layers extending each
other, read from both ends at once) reads the layer itself rather than deadlock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.jsontypes import JSONObject, JSONValue, Pointer, deep_merge, join_pointer
from reconciler.loading.document import Layer, ValueInfo

# Reading one layer takes milliseconds; waiting longer than this means a cycle.
_PATIENCE_SECONDS = 2.0
# target is replaced whole: a base's target kind must never mix with an overlay's.
_REPLACED_WHOLE = frozenset({"/target"})


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
        data[key] = _merge_values(data.get(key), value, pointer, info)
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


def _merge_values(
    base: JSONValue, top: JSONValue, pointer: Pointer, info: dict[Pointer, ValueInfo]
) -> JSONValue:
    replaced: list[Pointer] = []
    merged = deep_merge(base, top, at=pointer, whole=_REPLACED_WHOLE, replaced=replaced)
    for at in replaced:
        # The base's file:line under a replaced value no longer describes anything.
        for stale in [p for p in info if p == at or p.startswith(at + "/")]:
            del info[stale]
    return merged


@dataclass
class Slot:
    """One layer's place in the cache: ``layer`` is None until it has been read."""

    layer: Layer | None
    kept: bool = True  # False: the cache could not be waited for; what is read is not kept


class LayerCache:
    """``path -> layer``, each layer read once per run (see the module docstring)."""

    def __init__(self) -> None:
        self._layers: dict[Path, Layer] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def slot(self, path: Path) -> Iterator[Slot]:
        """The layer at ``path`` while its lock is held: the caller reads it into the slot
        when it is empty, and it is kept unless reading it failed."""
        with self._guard:
            lock = self._locks.setdefault(path, threading.Lock())
        if not lock.acquire(timeout=_PATIENCE_SECONDS):
            yield Slot(None, kept=False)
            return
        try:
            slot = Slot(self._layers.get(path))
            yield slot
            if slot.layer is not None:
                self._layers[path] = slot.layer
        finally:
            lock.release()

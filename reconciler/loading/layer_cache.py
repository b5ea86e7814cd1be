"""Shared layers read once per run: ``plan --all`` loads the same ``base.yaml`` (and the files
it embeds) for every environment that extends it.

A run-scoped memo, filled once under a lock per key: when fifty threads ask for the same layer
at once, one reads it and the others wait for its result instead of each reading it too.
Failures are not remembered (every environment reports its own error). A thread that waits
too long (two layers extending each other, read from both ends at once) computes the value
itself rather than deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")
# Reading one layer takes milliseconds; waiting longer than this means a cycle.
_PATIENCE_SECONDS = 2.0


class OnceCache(Generic[Value]):
    """``key -> value``, each value computed once; ``copy`` hands out a private copy."""

    def __init__(self, copy: Callable[[Value], Value]) -> None:
        self._copy = copy
        self._values: dict[Hashable, Value] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=_PATIENCE_SECONDS):
            return compute()
        try:
            if key not in self._values:
                self._values[key] = compute()
            return self._copy(self._values[key])
        finally:
            lock.release()

"""How much input the tool accepts, and the one bounded JSON reader.

In a GitOps pipeline anyone who can open a pull request writes the files ``plan`` reads,
``reconciler.yaml`` included, so every reader is bounded: file size, nesting depth, YAML
aliases and the number of values after aliases are expanded (a 1 KB alias bomb otherwise
grows to gigabytes). The defaults are hard ceilings: ``reconciler.yaml`` ``limits:`` may lower
them, never raise them (``loading/models.InputLimits`` refuses a higher value at its line).
They are generous for real configs (the largest in ``tests/fixtures/corpus`` is a hundred
times below each) and keep the most hostile input a process can be given under 300 MB
(``tests/loading/test_hostile.py`` runs it under that address-space limit).

One environment's files count together (``Budget``): its layers (``extends``) and the files
they embed (``file://``) share one ``max_file_bytes`` and one ``max_nodes``, so that many
files cannot add up to what one file may not be. A run that plans several environments at
once holds them all: together they may have ``RUN_ENVIRONMENTS`` times ``max_nodes`` values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.jsontypes import JSONValue


@dataclass(frozen=True)
class Limits:
    """Bounds for one run; ``reconciler.yaml`` ``limits:`` may lower them (``CEILINGS``)."""

    # All the files one environment reads together: its layers and the files they embed.
    max_file_bytes: int = 5 * 1024 * 1024
    # Values in one environment (all its layers) once every YAML alias is expanded.
    max_nodes: int = 50_000
    # Mappings and lists inside each other. Far below Python's recursion limit (1000
    # frames), which the validators would otherwise reach: they walk documents recursively
    # with a few frames per level.
    max_depth: int = 100
    # Aliases (``*name``) in one YAML document; real configs use a handful.
    max_aliases: int = 1_000
    # A saved plan holds every file it sends as base64, so it may be larger than one file.
    max_plan_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = Limits()
# How many environments at the node limit one run may hold at once (plan A B C, plan --all):
# about 45 MB each in memory; real environments are a hundred times smaller.
RUN_ENVIRONMENTS = 3
#: What ``reconciler.yaml`` may not go above: the defaults themselves.
CEILINGS: dict[str, int] = {
    "max_file_bytes": DEFAULT_LIMITS.max_file_bytes,
    "max_nodes": DEFAULT_LIMITS.max_nodes,
    "max_depth": DEFAULT_LIMITS.max_depth,
    "max_aliases": DEFAULT_LIMITS.max_aliases,
    "max_plan_bytes": DEFAULT_LIMITS.max_plan_bytes,
}


class Budget:
    """What may still be read: bytes of files, values of documents. Each ``spend`` says
    whether the total is still within ``limits`` (the caller names the file that went over)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._bytes = 0
        self._values = 0

    def spend_bytes(self, size: int) -> bool:
        self._bytes += size
        return self._bytes <= self.limits.max_file_bytes

    def spend_values(self, count: int) -> bool:
        self._values += count
        return self._values <= self.limits.max_nodes


class TooDeepError(ValueError):
    """A JSON document nests deeper than the limit (a ValueError: callers treat it as unreadable
    JSON and name the file)."""


def nesting_depth(value: JSONValue) -> int:
    """How many containers deep ``value`` goes (a scalar is 0), without recursion.

    Level by level: each level's containers are found by one comprehension and their children
    gathered with ``extend``, which is two to three times faster than a stack of (node, depth)
    pairs (every schema and saved plan read passes through here)."""
    depth = 0
    level: list[JSONValue] = [value]
    while True:
        containers = [node for node in level if isinstance(node, (dict, list))]
        if not containers:
            return depth
        depth += 1
        level = []
        for node in containers:
            level.extend(node.values() if isinstance(node, dict) else node)


def count_values(value: JSONValue) -> int:
    """Values in ``value`` as the YAML readers count them: every scalar, list and mapping,
    and every mapping key. Level by level, as ``nesting_depth``."""
    count = 0
    level: list[JSONValue] = [value]
    while level:
        count += len(level)
        children: list[JSONValue] = []
        for node in level:
            if isinstance(node, dict):
                count += len(node)  # the keys
                children.extend(node.values())
            elif isinstance(node, list):
                children.extend(node)
        level = children
    return count


def loads_json(text: str | bytes, max_depth: int = DEFAULT_LIMITS.max_depth) -> JSONValue:
    """``json.loads`` that refuses documents nested deeper than ``max_depth``.

    Raises ``ValueError`` (``json.JSONDecodeError`` or ``TooDeepError``) for unreadable input,
    never ``RecursionError``.
    """
    try:
        value: JSONValue = json.loads(text)
    except RecursionError:
        raise TooDeepError(_too_deep(max_depth)) from None
    if nesting_depth(value) > max_depth:
        raise TooDeepError(_too_deep(max_depth))
    return value


def too_many_values(max_nodes: int) -> str:
    return f"more than {max_nodes} values once YAML aliases are expanded"


def files_too_large(max_bytes: int) -> str:
    """One environment's files (``Budget.spend_bytes``) are over the limit."""
    return (
        f"this environment's files (its layers and file:// files) are together larger than "
        f"{max_bytes} bytes"
    )


def _too_deep(max_depth: int) -> str:
    return f"nested deeper than {max_depth} levels"

"""How much input the tool accepts, and the one bounded JSON reader.

In a GitOps pipeline anyone who can open a pull request writes the files ``plan`` reads, so
every reader is bounded: file size, nesting depth and the number of values after YAML aliases
are expanded (a 1 KB alias bomb otherwise grows to gigabytes). The defaults are generous for
real configs (the largest in ``tests/fixtures/corpus`` is far below each of them) and can be
raised in ``reconciler.yaml`` under ``limits:``, up to hard ceilings that keep Python's own
recursion limit out of reach.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.jsontypes import JSONValue

# Nesting beyond this would reach Python's recursion limit (1000 frames) in the validators,
# which walk documents recursively with a few frames per level.
HARD_MAX_DEPTH = 200


@dataclass(frozen=True)
class Limits:
    """Bounds for one run; ``reconciler.yaml`` ``limits:`` may raise or lower them."""

    # An environment file, or a file a ``file://`` reference names.
    max_file_bytes: int = 5 * 1024 * 1024
    # Values in one YAML document once every alias is expanded.
    max_nodes: int = 250_000
    # Mappings and lists inside each other.
    max_depth: int = 100
    # A saved plan holds every file it sends as base64, so it may be larger than one file.
    max_plan_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = Limits()


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


def _too_deep(max_depth: int) -> str:
    return f"nested deeper than {max_depth} levels"

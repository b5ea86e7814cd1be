"""Where live identity config lives: an Ory Network project or a self-hosted Kratos file.

A target reads live state (config + revision) and applies a plan's operations pinned to that
revision. Both kinds refuse to write when the revision moved, so nothing is ever half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reconciler.jsontypes import JSONObject, Pointer

# Which official schema governs a target's identity config (reconciler/official/__init__.py).
TargetKind = Literal["ory_network", "kratos_file"]


@dataclass(frozen=True)
class LiveState:
    config: JSONObject
    revision: str
    # URL -> SHA-512 of the content, for references the target could read (file:// next to
    # a Kratos config); content-addressed URLs and base64:// need no entry.
    known_digests: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplyOutcome:
    state: LiveState
    warnings: tuple[str, ...] = ()  # from the target: keys it ignored
    notes: tuple[str, ...] = ()  # from us: how the outcome was established, when unusual


class Target(Protocol):
    @property
    def description(self) -> str:
        """A one-line, secret-free description for plan headers."""
        ...

    @property
    def ignored(self) -> tuple[Pointer, ...]:
        """Pointers the target manages itself; never planned."""
        ...

    @property
    def kind(self) -> TargetKind:
        """Which official schema governs this target's identity config."""
        ...

    def warned_key(self, warning: str) -> Pointer | None:
        """The key a warning from ``apply`` is about, when the target can tell."""
        ...

    def fetch(self) -> LiveState: ...

    def apply(self, operations: Sequence[JSONObject], revision: str) -> ApplyOutcome: ...

    def close(self) -> None: ...

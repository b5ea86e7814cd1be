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
class TargetInfo:
    """Which target a plan is for, as a reviewer checks it: secret-free, no runner paths.

    An Ory Network project by id with the name, slug and environment its GET returns (the
    cheapest guard against planning against the wrong project); a Kratos file by its path
    relative to the repository.
    """

    kind: TargetKind
    project: str = ""
    name: str = ""
    slug: str = ""
    environment: str = ""
    api_url: str = ""
    path: str = ""

    def heading(self) -> str:
        if self.kind == "kratos_file":
            return f"Kratos config file {self.path}"
        named = f' "{self.name}"' if self.name else ""
        environment = f"environment {self.environment}" if self.environment else ""
        facts = [f"slug {self.slug}" if self.slug else "", environment]
        shown = ", ".join(fact for fact in facts if fact)
        about = f" ({shown})" if shown else ""
        return f"Ory Network project {self.project}{named}{about} at {self.api_url}"

    def to_json(self) -> JSONObject:
        if self.kind == "kratos_file":
            return {"kind": self.kind, "path": self.path}
        return {
            "kind": self.kind,
            "project": self.project,
            "name": self.name,
            "slug": self.slug,
            "environment": self.environment,
            "api_url": self.api_url,
        }

    @classmethod
    def from_json(cls, body: JSONObject) -> TargetInfo:
        kind: TargetKind = "kratos_file" if body.get("kind") == "kratos_file" else "ory_network"
        fields = ("project", "name", "slug", "environment", "api_url", "path")
        return cls(kind, **{key: str(body.get(key, "")) for key in fields})


@dataclass(frozen=True)
class LiveState:
    config: JSONObject
    revision: str
    # URL -> SHA-512 of the content, for references the target could read (file:// next to
    # a Kratos config); content-addressed URLs and base64:// need no entry.
    known_digests: Mapping[str, str] = field(default_factory=dict)
    # Who answered, for plan headers (None when the target cannot say).
    target: TargetInfo | None = None


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

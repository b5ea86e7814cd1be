"""Where live config lives: an Ory Network project (every service's) or a self-hosted Kratos
file (the identity config).

A target reads live state (each service's config + one revision) and applies a plan's
operations, across services, as one write pinned to that revision. Both kinds refuse to write
when the revision moved, so nothing is ever half-applied. What a target can do besides is a
capability it states (``Target``), never a question of its kind; the kinds themselves are
declared in ``kinds.py``, and which services each holds the services say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.jsontypes import JSONObject, Pointer

# The name of a kind of target (``kinds.KINDS``), as the services' declarations name it.
from reconciler.services.declaration import Service
from reconciler.services.declaration import TargetKind as TargetKind

if TYPE_CHECKING:  # annotations only: a target imports what opening it takes
    from reconciler.comparing.values import EqualityRules
    from reconciler.loading.document import RawEnvironment
    from reconciler.targets.client import ClientFactory, ClientPool

# One operation of a plan's JSON Patch: the name of the service whose config it changes, and
# the operation, its path relative to that config. A target roots each in its own document
# (Ory Network: under the service's place in the project document).
ServiceOperation = tuple[str, JSONObject]


@dataclass(frozen=True)
class TargetInfo:
    """Which target a plan is for, as a reviewer checks it: secret-free, no runner paths.

    ``facts`` are what the target says about itself: an Ory Network project its id, with the
    name, slug and environment its GET returns (the cheapest guard against planning against
    the wrong project); a Kratos file its path relative to the repository. ``heading`` is the
    line a plan starts with.
    """

    kind: TargetKind
    heading: str
    facts: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JSONObject:
        return {"kind": self.kind, **self.facts}


@dataclass(frozen=True)
class LiveState:
    # Each service's live config, by service name: every service the target holds.
    configs: Mapping[str, JSONObject]
    revision: str
    # URL -> SHA-512 of the content, for references the target could read (file:// next to
    # a Kratos config); content-addressed URLs and base64:// need no entry.
    known_digests: Mapping[str, str] = field(default_factory=dict)
    # Who answered, for plan headers (None when the target cannot say).
    target: TargetInfo | None = None

    def of(self, service: Service) -> JSONObject:
        """``service``'s live config (``{}`` when the target holds none)."""
        return self.configs.get(service.name, {})


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
    def kind(self) -> TargetKind:
        """Its kind (``kinds.KINDS``): which services it holds, and how each is judged
        (``Service.judging``)."""
        ...

    @property
    def source_file(self) -> Path | None:
        """The file its live config is read from, when it is one (a Kratos file): ``file://``
        values there stay links the target reads itself, relative to its folder, and every key
        has a line (``positions``). None: content goes inline."""
        ...

    @property
    def returns_secrets(self) -> bool:
        """Whether reads return every value as stored, secrets included: then a key absent
        from live is absent (Ory Network withholds some values, ``secrets.is_withheld``)."""
        ...

    @property
    def fills_in_values(self) -> bool:
        """Whether the platform fills in values for every project (Account Experience URLs,
        the project's own domain): ``export`` leaves them out of a file."""
        ...

    @property
    def counts_identities(self) -> bool:
        """Whether its identities can be counted through the project API with a project key
        (an Ory Network project: ``usecases/identity_impact.py``)."""
        ...

    def positions(self) -> dict[Pointer, tuple[int, int]]:
        """Where each key of the live config is written (line, column); empty when it is no
        file."""
        ...

    def linked_file(self, value: str) -> Path | None:
        """The file a live ``file://`` value names, when the target reads such files itself and
        it lies inside the repository (``repository/file_refs.py``)."""
        ...

    def warned_key(self, warning: str) -> Pointer | None:
        """The key of the identity config a warning from ``apply`` is about, when the target
        can tell."""
        ...

    def fetch(self) -> LiveState: ...

    def apply(self, operations: Sequence[ServiceOperation], revision: str) -> ApplyOutcome:
        """Apply the operations, across services, as one write pinned to ``revision``."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Opening:
    """What opening a target needs: its settings as the environment file writes them
    (``target.<kind>``), the environment (where each key was written, and its folder), the
    repository, the run's variables and Ory API clients, and how the planner compares each
    service's values (by service name: for judging a write whose answer was lost the way the
    plan was made)."""

    settings: Mapping[str, Any]
    environment: RawEnvironment
    root: Path
    environ: Mapping[str, str]
    equality: Mapping[str, EqualityRules]
    clients: ClientPool | None = None
    client_factory: ClientFactory | None = None

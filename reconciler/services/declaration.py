"""What declaring a config service of a project says: the shape of one entry of the registry
(``registry.py``).

A service is data the one pipeline reads: its key in an environment file, its place in the
Ory Network project document, the official schema each kind of target judges it by, the
values Ory treats as secrets or never returns, its security rules, and what of it the tool
types itself (a pydantic model the environment file's model embeds). Its lint rules are
registered for it by name in ``checks/lint/`` (they need the checks' machinery).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.jsontypes import Pointer
from reconciler.secrets import NO_SECRET_PATHS, SecretPaths
from reconciler.services.impact import Judge, WholeJudge

# The name of a kind of target, as an environment file writes it (``targets/kinds.py``).
TargetKind = str


#: What Ory Network does with a key no column governs, in an object its schema leaves open
#: (ory-network-behaviour.md §5): the ``drops_unknown`` of the services it judges.
NETWORK_DROPS_UNKNOWN = "Ory Network accepts it there and silently drops it"


@dataclass(frozen=True)
class Judging:
    """How one kind of target judges a service's config (``checks/kratos_schema.py``)."""

    # How messages name the schema that judges it.
    subject: str
    # What the target does with a key it does not know in an object the schema leaves open.
    drops_unknown: str
    # The official JSON Schema (draft-07) that judges it, shipped with the service.
    schema: Path
    # The schema of the Kratos release the config's ``version:`` names replaces ``schema``
    # (the newest release's, official/releases.py): a self-hosted Kratos file.
    by_release: bool = False
    # Keys only this kind of target has, laid over the schema (the Ory Network overlay).
    overlay: Path | None = None
    # Keys the schema requires that this target has no use for (Ory Network has no ``dsn``).
    not_required: tuple[str, ...] = ()
    # The live target is the authority on which keys exist: a key it holds is no problem.
    live_knows_keys: bool = False
    # Keys the target sets itself and ignores writes to: never planned.
    server_managed: tuple[Pointer, ...] = ()
    # The other schemas ``schema`` refers to by ``$ref`` (``ory://cors-config``), shipped
    # beside it: ``(URI, file)``, registered as Hydra and Keto register them.
    resources: tuple[tuple[str, Path], ...] = ()


@dataclass(frozen=True)
class Security:
    """How a change to a service's config is judged (``checks/security.py`` walks it):
    ``leaves`` judge one setting each (the first pattern matching its pointer), ``whole``
    judges look at the whole changed value (every hook it holds); a pointer matching
    ``not_leaves`` is judged by those alone."""

    leaves: tuple[tuple[re.Pattern[str], Judge], ...] = ()
    whole: tuple[WholeJudge, ...] = ()
    not_leaves: re.Pattern[str] | None = None


@dataclass(frozen=True, eq=False)
class Service:
    """One config service of a project, declared once (a module of this package); each
    declaration is one value, equal only to itself."""

    # How plans, saved plans and messages name it (``identity``).
    name: str
    # Its key in an environment file (``identity_config``), in the shape the Ory CLI prints.
    key: str
    # Where its config sits in an Ory Network project document (``/services/identity/config``;
    # ``""``: the document root, shared with other fields, see ``fields``).
    place: Pointer
    # How a plan heads its changes when more than one service has changes.
    title: str
    # The kinds of target that hold it, and how each judges it; any other kind refuses an
    # environment that sets it.
    judging: Mapping[TargetKind, Judging]
    # The values Ory treats as secrets, and those it never returns.
    secrets: SecretPaths = NO_SECRET_PATHS
    security: Security = field(default_factory=Security)
    # What the tool reads of it, typed (a pydantic model, open: the official schema is the
    # authority on the rest); None: any mapping.
    shape: type[Any] | None = None
    # The keys at ``place`` that are this service's, when the place holds more (the project
    # document's root holds ``name`` and ``cors_public`` beside ``services``); None: all.
    fields: tuple[str, ...] | None = None
    # It lists identity schemas at ``/identity/schemas`` (rendered to what Ory stores, matched
    # by content, never removed): the identity config.
    lists_identity_schemas: bool = False
    # Planned even when the environment does not write its key (its checks still run on live,
    # as they always have for the identity config); any other service only when written.
    always_planned: bool = False
    # Keys that belong to one project rather than configure it (its name, its own URLs):
    # ``diff --live`` never promotes them from one project to another.
    per_project: tuple[Pointer, ...] = ()

    @property
    def environment_pointer(self) -> Pointer:
        """Where its config sits in an environment file's document (``/identity_config``)."""
        return "/" + self.key

    def carried_by(self, kind: TargetKind) -> bool:
        return kind in self.judging

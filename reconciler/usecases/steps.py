"""The first steps every use case shares: settings, load (→ validate), render, open the
target, and which schema judges it.

No decision about what to change lives here: the offline checks are ``checking``, planning
``planning``, applying ``applying``; the use cases put them in order (``reconcile``,
``onboard``, ``compare``, ``adopt``, ``restore``, ``upgrade``, ``scaffold``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import redact
from reconciler.checks.kratos_schema import KratosSchema, for_service, for_target
from reconciler.comparing.values import DefaultLookup, EqualityRules
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer
from reconciler.loading import loader, yamlio
from reconciler.loading import render as rendering
from reconciler.loading.layers import LayerCache
from reconciler.loading.repository_settings import input_limits
from reconciler.loading.validate import ValidEnvironment, validate
from reconciler.official import releases
from reconciler.repository import paths
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import Opening, kinds

# The targets, their HTTP client and the notices about a plan are imported where a target is
# opened: `validate` and `render` never open one (cold start, tests/commands/test_imports.py).
if TYPE_CHECKING:
    from reconciler.targets import LiveState, Target, TargetKind
    from reconciler.targets.client import ClientFactory, ClientPool


@dataclass(frozen=True)
class Settings:
    """What the commands need from outside the repository (flags and variables)."""

    root: Path
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)  # holds the API key
    # Overrides the shipped Kratos config schema (--kratos-schema); None: reconciler/official.
    kratos_schema: Path | None = None
    # The Kratos release Kratos files are judged by (--kratos-version); None: each file's own
    # `version:` (official/releases.py).
    kratos_version: str | None = None
    rotate_secrets: bool = False
    # How an Ory API client is made (None: ``OryClient``), and the clients one run shares
    # (plan_many sets them; None: each target has its own).
    client_factory: ClientFactory | None = None
    clients: ClientPool | None = field(default=None, repr=False, compare=False)
    # Layers shared by the environments of one run (plan_many sets it; loading/layers.py).
    layers: LayerCache | None = field(default=None, repr=False, compare=False)
    # Identity counts from the project API when a project key is set: asked for by `plan` and
    # `apply ENV` (--no-identity-counts turns them off), never by the commands that only
    # compare; at most this many identities (--identity-sample; None: all), and where their
    # progress goes (stderr; None: nowhere).
    identity_counts: bool = False
    identity_sample: int | None = None
    progress: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def plan_key(self) -> str | None:
        """``RECONCILER_PLAN_KEY``: saved plans are signed with it, and must be to apply."""
        return self.environ.get("RECONCILER_PLAN_KEY") or None


def environment_names(root: Path) -> list[str]:
    """Every environment file's name, sorted (layers without a target included)."""
    return [path.stem for path in loader.environment_files(root)]


def shard_of(name: str, shards: int) -> int:
    """The shard (1-based, of ``shards``) an environment belongs to: from its name alone, so
    adding or removing other environments never moves it (a CI matrix job keeps its projects)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def shard_names(names: Sequence[str], shard: int, shards: int) -> list[str]:
    """The names in shard ``shard`` of ``shards`` (``plan --all --shard I/N``), in order."""
    return [name for name in names if shard_of(name, shards) == shard]


def load(name: str, settings: Settings, *, allow_unset: bool = False) -> ValidEnvironment:
    """Load and type-check one environment (no network). ``allow_unset`` is for offline checks
    only: unset ``${VAR}``s stay as written (``check`` warns about them)."""
    limits = input_limits(settings.root)
    raw = loader.load_environment(
        settings.root,
        name,
        settings.environ,
        limits,
        allow_unset=allow_unset,
        layers=None if allow_unset else settings.layers,
    )
    return register_secrets(validate(raw))


def register_secrets(environment: ValidEnvironment) -> ValidEnvironment:
    """Have the output scrubber mask what the views mask by path: the values listed under
    ``secrets:`` and those at Ory's secret paths (the loader already registered ``${VAR}``
    and ``!secret`` values)."""
    for service in environment.services:
        config, marked = environment.config_of(service), environment.secrets(service)
        for _, value in service.secrets.secrets_in(config, "", marked):
            redact.register(value)
    return environment


def desired(environment: ValidEnvironment) -> dict[str, JSONObject]:
    """The desired (partial) config of each service it plans, by service name: merged,
    ``file://`` inlined, ``${…}`` resolved."""
    return dict(rendering.render(environment).configs)


def open_target(environment: ValidEnvironment, settings: Settings) -> Target:
    """The environment's target, opened by its kind's module (``targets/kinds.py``)."""
    target = environment.model.target
    if target is None:
        location = environment.raw.location("/target") or paths.display_path(environment.raw.path)
        raise ConfigError(
            [f"{location}: {environment.raw.name} has no target: it can only be extended"]
        )
    opening = Opening(
        settings=target.settings,
        environment=environment.raw,
        root=settings.root,
        environ=settings.environ,
        equality=_planner_equality(environment, settings, target.kind),
        clients=settings.clients,
        client_factory=settings.client_factory,
    )
    return kinds.open_target(target.kind, opening)


def _planner_equality(
    environment: ValidEnvironment, settings: Settings, kind: TargetKind
) -> dict[str, EqualityRules]:
    """How the planner compares each service's values after an apply
    (``reconcile.apply_plan`` checks that it converged the same way): for the target's judge
    of an apply whose answer was lost."""

    def equality(service: Service) -> EqualityRules:
        def default_at(pointer: Pointer) -> tuple[bool, JSONValue]:
            # Looked up on first use: most runs never need the judge, nor the schema it reads.
            return defaults(settings, service, kind)(pointer)

        return EqualityRules(
            secret_paths=service.secrets,
            sensitive=sensitive_pointers(environment, service),
            default_at=default_at,
            defaults_complete=True,
        )

    return {service.name: equality(service) for service in environment.services}


def target_kind_of(environment: ValidEnvironment) -> TargetKind:
    """The kind of the environment's target, which decides the schema it is checked against."""
    # A layer without a target is checked as leniently as any target it may serve: Ory Network
    # (no `dsn`, Network-only keys allowed); each environment extending it is checked for real.
    target = environment.model.target
    return target.kind if target is not None else kinds.LENIENT


def schema_for(
    kind: TargetKind,
    settings: Settings,
    named: releases.Choice | None = None,
    service: Service = registry.IDENTITY,
) -> KratosSchema:
    """The shape ``service``'s config must have on a ``kind`` target (read on first use): for
    the identity config on a Kratos file, the schema of the release ``kratos_release``
    chooses; for another service the schema its declaration names."""
    if service is not registry.IDENTITY:
        return for_service(service, kind)
    choice = kratos_release(kind, settings, named)
    if choice is None:
        return for_target(kind, settings.kratos_schema)
    return for_target(kind, release=choice.release, named_by_config=choice.named_by_config)


def schemas_for(
    environment: ValidEnvironment,
    kind: TargetKind,
    settings: Settings,
    named: releases.Choice | None = None,
) -> dict[str, KratosSchema]:
    """:func:`schema_for` each service the environment plans, by service name."""
    return {
        service.name: schema_for(kind, settings, named, service) for service in environment.services
    }


def kratos_release(
    kind: TargetKind, settings: Settings, named: releases.Choice | None
) -> releases.Choice | None:
    """The Kratos release a ``kind`` target's config is judged by: ``--kratos-version``, else
    the one the config names (``named``, from :func:`named_version`), else the newest. None
    for Ory Network (Kratos master) and under ``--kratos-schema``."""
    if not registry.IDENTITY.judging[kind].by_release or settings.kratos_schema is not None:
        return None
    if settings.kratos_version is not None:
        return releases.choose(settings.kratos_version, "--kratos-version")
    return named or releases.choose(None)


def named_version(
    environment: ValidEnvironment,
    desired: JSONObject,
    settings: Settings,
    live: LiveState | None = None,
) -> releases.Choice | None:
    """The release a Kratos file target's config names in ``version:``: the desired state's
    (what the file will say: ``desired`` is the identity config), else the file's own
    (``live``, or read from the file). None for other targets."""
    if not registry.IDENTITY.judging[target_kind_of(environment)].by_release:
        return None
    version = desired.get("version")
    if isinstance(version, str):
        return releases.choose(version, paths.display_path(environment.raw.path))
    if live is None:
        return _version_in_file(environment, settings)
    version = live.of(registry.IDENTITY).get("version")
    shown = live.target.facts.get("path", "the Kratos file") if live.target else "the Kratos file"
    return releases.choose(version, shown) if isinstance(version, str) else None


def _version_in_file(environment: ValidEnvironment, settings: Settings) -> releases.Choice | None:
    """The ``version:`` of the environment's target file (a Kratos file), read offline without
    reading the rest of the target; None when the file cannot be read (plan and apply say
    why) or the target is no file."""
    try:
        target = open_target(environment, settings)
        target.close()
        path = target.source_file
        if path is None:
            return None
        data = yamlio.load_with_positions(path.read_text(encoding="utf-8")).data
    except (ReconcilerError, OSError, UnicodeDecodeError, yamlio.YamlSyntaxError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str):
        return None
    return releases.choose(version, paths.display_path(path))


def render_for(environment: ValidEnvironment, target: Target) -> rendering.Rendered:
    return rendering.render(environment, link_files_from=file_links_from(target))


def file_links_from(target: Target) -> Path | None:
    """Where ``file://`` values stay links rather than content: a target read from a file (a
    self-hosted Kratos) reads them itself, relative to its folder."""
    return None if target.source_file is None else target.source_file.parent


def sensitive_pointers(
    environment: ValidEnvironment, service: Service = registry.IDENTITY
) -> frozenset[Pointer]:
    """Values of ``service``'s config from ``${VAR}``, tagged ``!secret``, or listed under
    ``secrets:``."""
    raw = environment.raw
    return (
        frozenset(raw.pointers_of(service, "variables"))
        | frozenset(raw.pointers_of(service, "tagged_secret"))
        | frozenset(environment.secrets(service))
    )


def sensitive_by_service(environment: ValidEnvironment) -> dict[str, frozenset[Pointer]]:
    """:func:`sensitive_pointers` of each service the environment plans, by service name."""
    return {
        service.name: sensitive_pointers(environment, service) for service in environment.services
    }


def unknown_values(
    environment: ValidEnvironment, settings: Settings, service: Service = registry.IDENTITY
) -> frozenset[Pointer]:
    """Values of ``service``'s config built from a ``${VAR}`` that is not set in this run:
    only the read-only commands that load leniently (adopt, export) get this far without
    them. Their desired content is not known, so they are compared by presence."""
    return frozenset(
        pointer
        for pointer, info in environment.raw.pointers_of(service, "variables").items()
        if any(name not in settings.environ for name in info.variables)
    )


def defaults(settings: Settings, service: Service, kind: TargetKind) -> DefaultLookup:
    """``service``'s defaults, from the schema that governs it on a ``kind`` target (Kratos
    defaults for the identity config)."""
    return schema_for(kind, settings, service=service).default_at

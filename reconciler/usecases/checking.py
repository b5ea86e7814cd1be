"""The offline checks of an environment: schema, identity-schema and lint findings of its
desired state alone, each service's (``validate``), and the problems no live state can fix,
refused before anything is sent (``plan``, ``apply``). Which schema judges which target is
``steps``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.checks.finding import Finding
from reconciler.checks.review import preflight, review
from reconciler.errors import (
    ConfigError,
)
from reconciler.jsontypes import JSONObject, Pointer
from reconciler.loading import render as rendering
from reconciler.loading.validate import ValidEnvironment
from reconciler.official import releases
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import TargetKind
from reconciler.usecases import messages, steps
from reconciler.usecases.steps import Settings, named_version, schema_for, target_kind_of


def check(environment: ValidEnvironment, settings: Settings) -> tuple[Finding, ...]:
    """Schema, identity-schema and lint checks of the desired state alone (no network)."""
    return judge(environment, settings).notes


@dataclass(frozen=True)
class Verdict:
    """What the offline checks found, and the Kratos release a Kratos file was judged by."""

    notes: tuple[Finding, ...]
    release: releases.Choice | None = None  # None: not a Kratos file, or --kratos-schema


def judge(environment: ValidEnvironment, settings: Settings) -> Verdict:
    """:func:`check`, saying which release judged a Kratos file (``validate`` prints it)."""
    configs = steps.desired(environment)
    kind = steps.target_kind_of(environment)
    named = steps.named_version(environment, configs[registry.IDENTITY.name], settings)
    schemas = steps.schemas_for(environment, kind, settings, named)
    release = steps.kratos_release(kind, settings, named)
    return Verdict(review(environment, configs, None, schemas=schemas), release)


def unknown_keys(
    kind: TargetKind, settings: Settings, service: Service = registry.IDENTITY
) -> Callable[[JSONObject], list[Pointer]]:
    """The keys of ``service``'s config that a ``kind`` target's shape does not know: what
    ``validate`` (offline, without the live project to ask) reports as unknown or ignored."""

    def unknown(config: JSONObject) -> list[Pointer]:
        schema = schema_for(kind, settings, service=service)
        problems = schema.validate_config(config, partial=True)
        return [p.pointer for p in problems if p.unknown_key or p.ignored_key]

    return unknown


def refuse_invalid(environment: ValidEnvironment, settings: Settings) -> rendering.Rendered:
    """Raise ConfigError for what the user wrote wrong that no live state can fix (the schema
    check of the desired state alone), before a target is opened or anything is sent.

    Returns the rendering it checked (``file://`` values inlined): a plan for a target that
    links no files renders the same, and reuses it (``reconcile.plan_environment``)."""
    desired = rendering.render(environment)
    refuse_before_fetching(environment, desired, target_kind_of(environment), settings)
    return desired


def refuse_before_fetching(
    environment: ValidEnvironment,
    desired: rendering.Rendered,
    kind: TargetKind,
    settings: Settings,
) -> None:
    # Problems no live state can fix fail here, so a broken file never costs a request.
    named = named_version(environment, desired.of(registry.IDENTITY), settings)
    schemas = steps.schemas_for(environment, kind, settings, named)
    errors = preflight(environment, desired.configs, schemas=schemas)
    problems = [note.describe() for note in errors] + messages.undeclared_rotations(
        environment, desired
    )
    if problems:
        raise ConfigError(problems)

"""Planning one environment against its target: render for the target, fetch live state and
the content it names, review, diff each config service, plan them as one. Read-only: nothing
here writes to a target.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import blobs, redact
from reconciler.checks.finding import Finding
from reconciler.checks.review import review
from reconciler.comparing import schema_match
from reconciler.comparing.diff import Diff, DiffRules, compute_diff
from reconciler.comparing.values import DefaultLookup
from reconciler.jsontypes import Pointer
from reconciler.loading import render as rendering
from reconciler.loading import schema_files
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.planner import make_plan
from reconciler.plan.value import Plan
from reconciler.repository import workdir
from reconciler.repository.paths import display_path
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import LiveState, Target
from reconciler.usecases import guards, identity_impact, messages, rotations
from reconciler.usecases.checking import refuse_before_fetching
from reconciler.usecases.steps import (
    Settings,
    defaults,
    file_links_from,
    named_version,
    render_for,
    schemas_for,
    sensitive_pointers,
    unknown_values,
)

if TYPE_CHECKING:  # the content cache is imported when content is fetched
    from reconciler.targets.content_cache import ContentCache


def plan_environment(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    *,
    checked: rendering.Rendered | None = None,
) -> Plan:
    """Fetch live state, plan the changes and review them. Read-only: never writes.

    ``checked``: what ``refuse_invalid`` rendered and checked, reused when this target
    renders the same (it links no files).
    """
    desired = checked_desired(environment, target, settings, checked)
    live, contents = fetch(target, desired, settings)
    return plan_fetched(environment, target, settings, desired, live, contents)


def checked_desired(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    checked: rendering.Rendered | None,
) -> rendering.Rendered:
    """The desired state as ``target`` receives it, refused before anything is fetched."""
    if checked is not None and file_links_from(target) is None:
        return checked
    desired = render_for(environment, target)
    refuse_before_fetching(environment, desired, target.kind, settings)
    return desired


def fetch(
    target: Target, desired: rendering.Rendered, settings: Settings
) -> tuple[LiveState, Mapping[str, bytes]]:
    """Live state, and the content of the identity schemas it names that a plan may need."""
    live = target.fetch()
    return live, schema_contents(desired, live, settings)  # may fetch identity schemas


def plan_fetched(
    environment: ValidEnvironment,
    target: Target,
    settings: Settings,
    desired: rendering.Rendered,
    live: LiveState,
    contents: Mapping[str, bytes],
) -> Plan:
    named = named_version(environment, desired.of(registry.IDENTITY), settings, live)
    notes = review(
        environment,
        desired.configs,
        live.configs,
        schemas=schemas_for(environment, target.kind, settings, named),
        contents=contents,
    )
    rotate = _rotations_due(environment, target, settings)
    plan = plan_against(environment, target, live, settings, desired, contents, notes, rotate)
    if not target.counts_identities:
        return plan
    variable = identity_impact.key_variable(environment)
    return identity_impact.add_counts(plan, live, desired.configs, contents, settings, variable)


def _rotations_due(
    environment: ValidEnvironment, target: Target, settings: Settings
) -> dict[str, dict[Pointer, str]]:
    """Per service, the ``rotate:`` values not sent yet, each with its note; the record keeps
    each pointer as ``rotate:`` writes it (``registry.owner_of``)."""
    rotate = dict(environment.model.rotate)
    if not rotate:
        return {}
    name = environment.raw.name
    versions = rotations.recorded(settings.root, name, target.description)
    where = display_path(rotations.state_path(settings.root, name))
    due: dict[str, dict[Pointer, str]] = {}
    for written, note in rotations.due(rotate, versions, where).items():
        owner, inside = registry.owner_of(written)
        due.setdefault(owner.name, {})[inside] = note
    return due


def plan_against(
    environment: ValidEnvironment,
    target: Target,
    live: LiveState,
    settings: Settings,
    desired: rendering.Rendered,
    contents: Mapping[str, bytes],
    notes: tuple[Finding, ...] = (),
    rotate: Mapping[str, Mapping[Pointer, str]] | None = None,
) -> Plan:
    raw = environment.raw
    known = {**live.known_digests, **desired.digests}
    diffs: dict[str, Diff] = {}
    sensitive: dict[str, frozenset[Pointer]] = {}
    default_at: dict[str, DefaultLookup] = {}
    for service in environment.services:
        judging = service.judging[target.kind]
        default_at[service.name] = defaults(settings, service, target.kind)
        rules = DiffRules(
            service=service.name,
            secret_paths=service.secrets,
            sensitive=sensitive_pointers(environment, service),
            by_presence=unknown_values(environment, settings, service),
            ignored=judging.server_managed,
            known_digests=known,
            default_at=default_at[service.name],
            defaults_complete=True,
            rotate_secrets=settings.rotate_secrets,
            rotate=(rotate or {}).get(service.name, {}),
            secrets_readable=target.returns_secrets,
            contents=contents,
            lists_identity_schemas=service.lists_identity_schemas,
        )
        diff = compute_diff(
            desired.of(service), live.of(service), environment.removals(service), rules
        )
        ignored = messages.ignored_keys(diff.ignored, raw, service)
        diffs[service.name] = replace(diff, warnings=diff.warnings + ignored)
        sensitive[service.name] = rules.sensitive
    plan = make_plan(
        raw.name,
        target.description,
        live.revision,
        diffs,
        sensitive=sensitive,
        file_refs={s.name: _file_refs(environment, s) for s in environment.services},
        notes=notes,
        target_info=live.target,
        default_at=default_at,
    )
    blocked = guards.never_applies(environment, plan)
    if blocked is not None:
        plan = replace(plan, notes=(blocked, *plan.notes))
    return replace(plan, live_configs=live.configs, rotate_secrets=settings.rotate_secrets)


def _file_refs(environment: ValidEnvironment, service: Service) -> dict[Pointer, str]:
    """Where each value of ``service``'s config read from a ``file://`` came from."""
    found = environment.raw.pointers_of(service, "file_ref").items()
    return {pointer: info.file_ref for pointer, info in found if info.file_ref}


def schema_contents(
    desired: rendering.Rendered, live: LiveState, settings: Settings
) -> dict[str, bytes]:
    known = {**live.known_digests, **desired.digests}
    identity = registry.IDENTITY
    urls = schema_match.urls_worth_fetching(desired.of(identity), live.of(identity), known)
    if not urls:
        return {}
    return stored_contents(urls, settings)


def stored_contents(urls: Sequence[str], settings: Settings) -> dict[str, bytes]:
    """Content Ory stores behind ``urls``: fetched (``fetch_contents``), else the same bytes
    from a schema file of the repository (``repository_contents``)."""
    contents = fetch_contents(urls, settings)
    return {**contents, **repository_contents([u for u in urls if u not in contents], settings)}


def repository_contents(urls: Sequence[str], settings: Settings) -> dict[str, bytes]:
    """Content Ory stores behind ``urls`` (storage not reachable, or not to be read) that a
    schema file of the repository holds, by digest: the same bytes, read locally."""
    digests = [digest for url in urls if (digest := blobs.digest_of(url)) is not None]
    return schema_files.declared_contents(settings.root, digests) if digests else {}


def fetch_contents(urls: Sequence[str], settings: Settings) -> dict[str, bytes]:
    """Content behind content-addressed URLs, from the run's cache or fetched once: only
    from Ory's storage or the configured API (``endpoints.may_fetch``), and never a URL that
    holds a secret value (a variable's value must not travel in a request path)."""
    from reconciler.targets import endpoints

    allowed = [
        url for url in urls if endpoints.may_fetch(url, settings.environ) and not redact.holds(url)
    ]
    return _content_cache(settings).collect(allowed)


_caches: dict[Path, ContentCache] = {}


_caches_lock = threading.Lock()


def _content_cache(settings: Settings) -> ContentCache:
    """One cache per repository, shared by every environment of the run."""
    key = settings.root.resolve()
    with _caches_lock:
        if key not in _caches:
            folder = workdir.path(settings.root, "cache", "content")
            from reconciler.targets.content_cache import ContentCache

            _caches[key] = ContentCache(folder)
        return _caches[key]

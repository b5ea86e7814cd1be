"""Getting a project into git: the use case of ``reconciler export`` (and ``init
--from-project``), in the order its steps run.

The transformation itself is pure and lives in ``export`` (live -> environment document); this
module loads, fetches and writes. Comparing environments is ``compare``, adopting drift
``adopt``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler import blobs
from reconciler.comparing.diff import DiffRules, compute_diff
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer
from reconciler.loading import document
from reconciler.loading.validate import ValidEnvironment, validate
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import display_path, inside_repository
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.targets import LiveState, Target
from reconciler.usecases import checking, export, planning, side_files, steps
from reconciler.usecases.read_only import fetch, load_without_secrets


@dataclass(frozen=True)
class ExportRequest:
    name: str
    out: Path | None  # None: standard output
    extends: str | None = None
    force: bool = False
    # Bootstrap a new environment: its target, as an environment file would write it.
    new_target: JSONObject | None = None


@dataclass(frozen=True)
class ExportResult:
    text: str
    export: side_files.Export
    written: tuple[Path, ...]
    warnings: tuple[str, ...]


def export_environment(request: ExportRequest, settings: steps.Settings) -> ExportResult:
    """Read the environment's target and write a minimal environment file and side files (the
    identity config)."""
    environment = _environment_for_export(request, settings)
    marking = _marking(environment, request, settings)
    target, live = fetch(environment, settings)
    identity = registry.IDENTITY
    live_config = live.of(identity)
    rules = export.ExportRules(
        default_at=steps.defaults(settings, identity, target.kind),
        server_managed=identity.judging[target.kind].server_managed,
        network_fill_ins=target.fills_in_values,
        contents=_readable_contents(target, live_config, settings),
        root_from_environment=_root_from(request, settings),
        sensitive=_marked_secret(marking, identity),
        unknown_keys=checking.unknown_keys(target.kind, settings),
    )
    config = export.minimal_config(live_config, rules)
    warnings: tuple[str, ...] = ()
    if request.extends:
        config, warnings = _overlay(request, settings, target, live, config)
    others = list(_other_services(request, marking, target, live, settings))
    exported = side_files.externalize(config, rules, others)
    text = side_files.environment_text(
        exported,
        target=environment.raw.data.get("target"),
        extends=request.extends,
        source=f"the live config of environment {request.name}",
        left_out=[
            *export.left_out(live_config, rules),
            *_under_key(others, lambda other: export.left_out(other.live, other.rules)),
        ],
        review=export.to_review(live_config, rules),
        unknown=[
            *export.unknown_to_shape(live_config, rules),
            *_under_key(others, lambda other: export.unknown_to_shape(other.live, other.rules)),
        ],
    )
    written = _write(request, settings, text, exported.files)
    warnings += tuple(
        f"{pointer}: the file:// reference could not be read; copy the file into the "
        "repository and point the reference at it"
        for pointer in exported.unreadable
    )
    return ExportResult(text, exported, written, warnings)


def _other_services(
    request: ExportRequest,
    marking: tuple[ValidEnvironment, ...],
    target: Target,
    live: LiveState,
    settings: steps.Settings,
) -> Iterator[side_files.OtherConfig]:
    """The minimal config of each other service the target holds (``services/``), each by
    its own rules; a service with nothing to say is left out."""
    for service in registry.carried_by(target.kind):
        if service is registry.IDENTITY or service.name not in live.configs:
            continue
        live_config = live.of(service)
        rules = export.ExportRules(
            default_at=steps.defaults(settings, service, target.kind),
            server_managed=service.judging[target.kind].server_managed,
            contents=_readable_contents(target, live_config, settings),
            root_from_environment=_root_from(request, settings),
            sensitive=_marked_secret(marking, service),
            unknown_keys=checking.unknown_keys(target.kind, settings, service),
            secret_paths=service.secrets,
            per_project=service.per_project,
        )
        minimal = export.minimal_config(live_config, rules)
        if minimal:
            yield side_files.OtherConfig(service.key, minimal, rules, live_config)


def _under_key(
    others: list[side_files.OtherConfig],
    listed: Callable[[side_files.OtherConfig], list[tuple[Pointer, JSONValue]]],
) -> list[tuple[Pointer, JSONValue]]:
    return [
        (f"/{other.key}{pointer}", value) for other in others for pointer, value in listed(other)
    ]


def _environment_for_export(request: ExportRequest, settings: steps.Settings) -> ValidEnvironment:
    if request.new_target is None:
        return load_without_secrets(request.name, settings)
    path = settings.root / "environments" / f"{request.name}.yaml"
    raw = document.RawEnvironment(
        name=request.name, path=path, files=(), data={"target": request.new_target}
    )
    return validate(raw)


def _marking(
    environment: ValidEnvironment, request: ExportRequest, settings: steps.Settings
) -> tuple[ValidEnvironment, ...]:
    """The environment and, with ``--extends``, its base: what either marks secret (``${VAR}``,
    ``!secret``, ``secrets:``) is exported as a variable, in every service's config."""
    if not request.extends:
        return (environment,)
    return environment, load_without_secrets(_base_name(request, settings), settings)


def _marked_secret(marking: tuple[ValidEnvironment, ...], service: Service) -> frozenset[Pointer]:
    return frozenset().union(*(steps.sensitive_pointers(each, service) for each in marking))


def _readable_contents(
    target: Target, live: JSONValue, settings: steps.Settings
) -> dict[str, bytes]:
    """Content behind live references: storage URLs (fetched once, checked against their
    SHA-512 name) and, for a Kratos file, the ``file://`` references it makes."""
    if target.source_file is None:  # content is stored by Ory: fetched by its digest
        stored = [v for v in _strings(live) if blobs.decode(v) is None and blobs.digest_of(v)]
        return planning.fetch_contents(sorted(set(stored)), settings)
    contents: dict[str, bytes] = {}
    for value in _strings(live):
        referenced = target.linked_file(value)
        if referenced is not None:
            contents[value] = referenced.read_bytes()
    return contents


def _strings(value: JSONValue) -> Iterator[str]:
    if isinstance(value, dict):
        for child in value.values():
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)
    elif isinstance(value, str):
        yield value


def _output_folder(request: ExportRequest, settings: steps.Settings) -> Path:
    if request.out is None:
        return (settings.root / "environments").resolve()
    return request.out.resolve().parent


def _root_from(request: ExportRequest, settings: steps.Settings) -> str:
    relative = os.path.relpath(settings.root.resolve(), _output_folder(request, settings))
    return Path(relative).as_posix().rstrip("/") + "/"


def _overlay(
    request: ExportRequest,
    settings: steps.Settings,
    target: Target,
    live: LiveState,
    minimal: JSONObject,
) -> tuple[JSONObject, tuple[str, ...]]:
    assert request.extends is not None
    base = load_without_secrets(_base_name(request, settings), settings)
    identity = registry.IDENTITY
    desired = steps.desired(base)[identity.name]
    rules = DiffRules(
        secret_paths=identity.secrets,
        sensitive=steps.sensitive_pointers(base),
        by_presence=steps.unknown_values(base, settings),
        ignored=identity.judging[target.kind].server_managed,
        known_digests=live.known_digests,
        default_at=steps.defaults(settings, identity, target.kind),
        lists_identity_schemas=True,
    )
    live_config = live.of(identity)
    changes = compute_diff(desired, live_config, base.removals(identity), rules).changes
    warnings = tuple(
        f"{request.extends} resets {c.pointer} (remove:) but live has {c.pointer} set; "
        "an extending file cannot undo that"
        for c in changes
        if c.action == "reset"
    )
    return export.overlay_on(desired, live_config, minimal, changes), warnings


def _base_name(request: ExportRequest, settings: steps.Settings) -> str:
    assert request.extends is not None
    path = (_output_folder(request, settings) / request.extends).resolve()
    if path.parent != (settings.root / "environments").resolve() or not path.is_file():
        raise ConfigError(
            [f"--extends {request.extends}: not an environment file in environments/ ({path})"]
        )
    return path.stem


def _write(
    request: ExportRequest,
    settings: steps.Settings,
    text: str,
    files: tuple[side_files.SideFile, ...],
) -> tuple[Path, ...]:
    """Write what changed; refuse (before writing anything) to overwrite without --force, or
    to write a side file through a link that leads out of the repository."""
    root = settings.root
    planned = [(inside_repository(root, root / f.path, f.path, None), f.content) for f in files]
    if request.out is not None:
        planned.append((request.out, text.encode("utf-8")))
    changed = [(path, content) for path, content in planned if _differs(path, content)]
    existing = [path for path, _ in changed if path.exists()]
    if existing and not request.force:
        raise ConfigError(
            [f"{display_path(p)} exists; pass --force to overwrite it" for p in existing]
        )
    texts = [(path, _text(path, content)) for path, content in changed]
    for path, text_content in texts:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        write_atomically(path, text_content, mode)
    return tuple(path for path, _ in changed)


def _text(path: Path, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            [f"{display_path(path)}: the live content is not UTF-8 text; nothing was written"]
        ) from None


def _differs(path: Path, content: bytes) -> bool:
    return not path.is_file() or path.read_bytes() != content

"""Drift adoption: take live values back into the environment files that declared them.

A plan says where live differs from what an environment declares. Each differing value is
written back into the file that set it (the overlay or the base: the loader records which),
through a ruamel round trip, so comments, key order and layout survive.

Never written back, only listed with the reason: secrets and values built from ``${VAR}`` (a
secret does not belong in git, and a ``${VAR}`` cannot be written back; they are compared by
value all the same, so a console edit of one is reported), values read from ``file://`` (edit
that file), identity schemas (immutable on Ory Network), ``remove:`` entries, and keys live
does not have. Values that cannot be compared are listed too: Ory does not return them, or
they are built from a ``${VAR}`` that is not set in this run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.comparing.diff import SCHEMAS, Change
from reconciler.comparing.durations import short_duration
from reconciler.errors import ConfigError, Location
from reconciler.jsontypes import JSONValue, Pointer, is_within, join_pointer, split_pointer
from reconciler.loading import yamlio
from reconciler.loading.document import RawEnvironment
from reconciler.loading.validate import ValidEnvironment
from reconciler.plan.value import Plan
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import display_path
from reconciler.services import registry
from reconciler.services.declaration import Service
from reconciler.usecases import planning, steps
from reconciler.usecases.export import is_exported_secret
from reconciler.usecases.read_only import load_without_secrets


@dataclass(frozen=True)
class Adoption:
    pointer: Pointer  # relative to the config of its service
    declared: JSONValue
    live: JSONValue
    file: Path
    location: Location
    service: str = registry.IDENTITY.name


@dataclass(frozen=True)
class Skipped:
    pointer: Pointer
    reason: str
    service: str = registry.IDENTITY.name


@dataclass(frozen=True)
class Drift:
    adoptions: tuple[Adoption, ...]
    skipped: tuple[Skipped, ...]
    # Declared values that could not be compared, each with the reason.
    unknown: tuple[Skipped, ...] = ()


def drift_of(name: str, settings: steps.Settings) -> tuple[Plan, Drift]:
    """Environment ``name`` planned against its live target (read only), and its drift.

    Loaded leniently: secrets are never adopted, so their ``${VAR}``s need not be set."""
    environment = load_without_secrets(name, settings)
    target = steps.open_target(environment, settings)
    try:
        planned = planning.plan_environment(environment, target, settings)
    finally:
        target.close()
    drift = find_drift(planned, environment.raw)
    unknown = tuple(
        Skipped(
            pointer,
            _not_compared(registry.named(name), pointer, environment, settings),
            name,
        )
        for name, pointers in planned.unverified.items()
        for pointer in pointers
    )
    return planned, replace(drift, unknown=unknown)


def _not_compared(
    service: Service, pointer: Pointer, environment: ValidEnvironment, settings: steps.Settings
) -> str:
    if pointer not in steps.unknown_values(environment, settings, service):
        return "Ory does not return this value"
    info = environment.raw.info[service.environment_pointer + pointer]
    names = [n for n in info.variables if n not in settings.environ]
    listed = ", ".join(f"${{{name}}}" for name in names)
    return f"built from {listed}, which is not set here; set it to compare this value"


def find_drift(plan: Plan, raw: RawEnvironment) -> Drift:
    """Sort the plan's changes into values to adopt and values that must stay as declared."""
    adoptions: list[Adoption] = []
    skipped: list[Skipped] = []
    for change in plan.changes:
        reason = _not_adoptable(change, plan, raw)
        if reason:
            skipped.append(Skipped(change.pointer, reason, change.service))
            continue
        root = registry.named(change.service).environment_pointer
        info = raw.info[root + change.pointer]
        path = _file_of(info.location, raw.files)
        if path is None:
            missing = f"cannot find {info.location.file}"
            skipped.append(Skipped(change.pointer, missing, change.service))
            continue
        adoptions.append(
            Adoption(
                change.pointer, change.desired, change.live, path, info.location, change.service
            )
        )
    return Drift(tuple(adoptions), tuple(skipped))


def _not_adoptable(change: Change, plan: Plan, raw: RawEnvironment) -> str:
    pointer = change.pointer
    service = registry.named(change.service)
    root = service.environment_pointer
    schemas = service.lists_identity_schemas and is_within(pointer, SCHEMAS)
    if change.source is not None or schemas:
        return "identity schemas are immutable on Ory Network; declare a new schema instead"
    if change.action == "reset":
        return "listed under remove:; delete that entry to keep the live value"
    if not change.live_present:
        return "live has no value here; delete the key to stop managing it"
    if _is_secret(change, plan):
        return (
            "a secret or ${VAR} value; never written back (live differs: change the variable, "
            "or the value in the console)"
        )
    declared = [i for p, i in raw.info.items() if is_within(p, root + pointer)]
    if any(i.file_ref for i in declared):
        return "read from a file:// reference; update that file instead"
    if root + pointer not in raw.info:
        return "no file declares this value"
    return ""


def _is_secret(change: Change, plan: Plan) -> bool:
    if plan.is_sensitive(change.service, change.pointer):
        return True
    if any(is_within(p, change.pointer) for p in plan.sensitive.get(change.service, ())):
        return True
    return any(is_exported_secret(p, v) for p, v in _scalars(change.live, change.pointer))


def _scalars(value: JSONValue, pointer: Pointer) -> Iterable[tuple[Pointer, JSONValue]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _scalars(child, join_pointer(pointer, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _scalars(child, join_pointer(pointer, index))
    else:
        yield pointer, value


def _file_of(location: Location, files: tuple[Path, ...]) -> Path | None:
    # The loader records where a value was written as it displays paths; match on that, and
    # never guess a path to write to.
    return next((path for path in files if display_path(path) == location.file), None)


def as_written(value: JSONValue) -> JSONValue:
    """A live value as an environment file should hold it: short durations, ``$`` escaped."""
    if isinstance(value, dict):
        return {key: as_written(child) for key, child in value.items()}
    if isinstance(value, list):
        return [as_written(child) for child in value]
    if isinstance(value, str):
        return short_duration(value).replace("$", "$$")
    return value


def write_back(adoptions: Iterable[Adoption]) -> tuple[Path, ...]:
    """Write each live value into the file that declared it; returns the files written."""
    by_file: dict[Path, list[Adoption]] = {}
    for adoption in adoptions:
        by_file.setdefault(adoption.file, []).append(adoption)
    for path, group in sorted(by_file.items()):
        _rewrite(path, group)
    return tuple(sorted(by_file))


def _rewrite(path: Path, adoptions: list[Adoption]) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        document = yamlio.parse_roundtrip(text)
    except yamlio.YamlSyntaxError as exc:
        raise ConfigError([f"{display_path(path)}:{exc.line}:{exc.column}: {exc}"]) from None
    for adoption in adoptions:
        parent = document[registry.named(adoption.service).key]
        *parents, last = split_pointer(adoption.pointer)
        for token in parents:
            parent = parent[token]
        parent[last] = as_written(adoption.live)
    write_atomically(path, yamlio.dump_roundtrip(document, like=text), path.stat().st_mode & 0o7777)

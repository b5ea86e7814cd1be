"""Drift adoption: take live values back into the environment files that declared them.

A plan says where live differs from what an environment declares. Each differing value is
written back through a ruamel round trip, so comments, key order and layout survive: into the
environment's own file, where the value was declared (the loader records which file) or, when
a shared layer (``base.yaml``) declared it, as an override of that layer for this environment
only; with ``into_layer``, into the layer itself, naming the other environments that take the
value from it and so change too.

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
from typing import Any

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
from reconciler.usecases.read_only import load_without_secrets, targeted_environments


@dataclass(frozen=True)
class Adoption:
    pointer: Pointer  # relative to the config of its service
    declared: JSONValue
    live: JSONValue
    file: Path  # where it is written
    location: Location  # where it is declared
    service: str = registry.IDENTITY.name
    # The shared layer that declares it, when it is written into the environment's own file
    # instead, overriding the layer there for this environment only.
    overrides: Path | None = None
    # Written into a shared layer (``into_layer``): the other environments that take the
    # value from it, which the write changes too.
    also_changes: tuple[str, ...] = ()


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


def drift_of(
    name: str, settings: steps.Settings, *, into_layer: bool = False
) -> tuple[Plan, Drift]:
    """Environment ``name`` planned against its live target (read only), and its drift, each
    value to be written into the environment's own file (``into_layer``: into the file that
    declares it, shared or not).

    Loaded leniently: secrets are never adopted, so their ``${VAR}``s need not be set."""
    environment = load_without_secrets(name, settings)
    target = steps.open_target(environment, settings)
    try:
        planned = planning.plan_environment(environment, target, settings)
    finally:
        target.close()
    drift = find_drift(planned, environment.raw)
    if into_layer:
        drift = _into_layers(drift, environment.raw, settings)
    else:
        drift = _into_own_file(drift, environment.raw)
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


def _into_own_file(drift: Drift, raw: RawEnvironment) -> Drift:
    """Values a shared layer declares, retargeted to the environment's own file: one
    environment's drift must not change the others. Inside a list, which an environment file
    can only replace whole, they are left to ``--into-layer``."""
    adoptions: list[Adoption] = []
    skipped = list(drift.skipped)
    for adoption in drift.adoptions:
        if _same_file(adoption.file, raw.path):
            adoptions.append(adoption)
        elif _inside_a_list(raw, adoption):
            reason = (
                f"declared inside a list in the shared layer {display_path(adoption.file)}, "
                "which this environment's file could only replace whole; adopt --into-layer "
                "writes it there (for every environment that extends it)"
            )
            skipped.append(Skipped(adoption.pointer, reason, adoption.service))
        else:
            adoptions.append(replace(adoption, file=raw.path, overrides=adoption.file))
    return replace(drift, adoptions=tuple(adoptions), skipped=tuple(skipped))


def _into_layers(drift: Drift, raw: RawEnvironment, settings: steps.Settings) -> Drift:
    """Each value stays with the file that declares it; a shared one names the other
    environments it changes."""
    shared = [a for a in drift.adoptions if not _same_file(a.file, raw.path)]
    if not shared:
        return drift
    others = {n: other for n, other in targeted_environments(settings).items() if n != raw.name}
    adoptions = tuple(
        adoption
        if _same_file(adoption.file, raw.path)
        else replace(adoption, also_changes=_taking_it_from(adoption, others))
        for adoption in drift.adoptions
    )
    return replace(drift, adoptions=adoptions)


def _taking_it_from(
    adoption: Adoption, others: dict[str, RawEnvironment | None]
) -> tuple[str, ...]:
    pointer = registry.named(adoption.service).environment_pointer + adoption.pointer
    names = []
    for name, raw in sorted(others.items()):
        if raw is None:
            names.append(f"{name} (perhaps: it does not load)")
            continue
        info = raw.info.get(pointer)
        declared_in = None if info is None else _file_of(info.location, raw.files)
        if declared_in is not None and _same_file(declared_in, adoption.file):
            names.append(name)
    return tuple(names)


def _same_file(one: Path, other: Path) -> bool:
    return one.resolve() == other.resolve()


def _inside_a_list(raw: RawEnvironment, adoption: Adoption) -> bool:
    node: JSONValue = raw.data.get(registry.named(adoption.service).key)
    for token in split_pointer(adoption.pointer)[:-1]:
        if not isinstance(node, dict):
            return True
        node = node.get(token)
    return not isinstance(node, dict)


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
    """Write each live value into the file its adoption names; returns the files written."""
    by_file: dict[Path, list[Adoption]] = {}
    for adoption in adoptions:
        by_file.setdefault(adoption.file, []).append(adoption)
    for path, group in sorted(by_file.items()):
        _rewrite(path, group)
    return tuple(sorted(by_file))


def _child(parent: Any, token: str) -> Any:
    if isinstance(parent, list):
        return parent[int(token)]
    if parent.get(token) is None:  # an override creates the mappings on its way
        parent[token] = {}
    return parent[token]


def _rewrite(path: Path, adoptions: list[Adoption]) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        document = yamlio.parse_roundtrip(text)
    except yamlio.YamlSyntaxError as exc:
        raise ConfigError([f"{display_path(path)}:{exc.line}:{exc.column}: {exc}"]) from None
    for adoption in adoptions:
        parent = document
        *parents, last = split_pointer(adoption.pointer)
        for token in (registry.named(adoption.service).key, *parents):
            parent = _child(parent, token)
        parent[int(last) if isinstance(parent, list) else last] = as_written(adoption.live)
    write_atomically(path, yamlio.dump_roundtrip(document, like=text), path.stat().st_mode & 0o7777)

"""An environment as read: its merged values, and what is known about each of them (the file,
line and column it was written at, the variables or file it was built from, whether it is
secret). Every step after the loader reads it; the loader, its layers and references write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.errors import Location
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    dotted_key,
    join_pointer,
    nearest_known,
    split_pointer,
)
from reconciler.services.declaration import Service

# What a null means nowhere but where the governing schema names null as a value (inside a
# service's config the Ory-aware checks judge that, ``checks/review.py``): never "delete".
NULL_MESSAGE = "empty (null) value; to reset a key to the server default list it under remove:"


@dataclass(frozen=True)
class ValueInfo:
    """What we know about one value of an environment document."""

    location: Location
    variables: tuple[str, ...] = ()  # ${NAME}s the value was built from (makes it secret)
    unset_variables: tuple[str, ...] = ()  # ... that were not set (only when allowed: validate)
    tagged_secret: bool = False  # written as ``!secret``
    file_ref: str | None = None  # the ``file://`` reference the value was read from
    file_path: Path | None = None  # ... resolved, and the SHA-512 of the file's bytes
    file_digest: str = ""


# One file (or several merged): its data, what is known per pointer, and the files read.
Layer = tuple[JSONObject, dict[Pointer, ValueInfo], tuple[Path, ...]]


@dataclass
class RawEnvironment:
    """One environment after merging its layers; plain JSON plus per-pointer information.

    Pointers in ``info`` are relative to the document root (``/identity_config/...``).
    """

    name: str
    path: Path
    files: tuple[Path, ...]
    data: JSONObject = field(repr=False)  # holds secret values
    info: dict[Pointer, ValueInfo] = field(default_factory=dict, repr=False)

    def location(self, pointer: Pointer) -> Location | None:
        """The location of ``pointer`` or of its nearest written ancestor."""
        written = self.info.get(nearest_known(pointer, self.info))
        return None if written is None else replace(written.location, key=dotted_key(pointer))

    def pointers_of(self, service: Service, predicate: str = "") -> dict[Pointer, ValueInfo]:
        """``info`` entries under ``service``'s key (``identity_config``) that match
        ``predicate`` (an attribute of ``ValueInfo``; ``""``: every entry), re-rooted at the
        service's config."""
        root = service.environment_pointer
        selected: dict[Pointer, ValueInfo] = {}
        for pointer, value_info in self.info.items():
            if not pointer.startswith(root + "/"):
                continue
            if not predicate or getattr(value_info, predicate):
                selected[pointer[len(root) :]] = value_info
        return selected

    def config_of(self, service: Service) -> JSONObject:
        """``service``'s config as written (``{}`` when the environment writes none)."""
        config = self.data.get(service.key, {})
        return config if isinstance(config, dict) else {}


def children(value: JSONValue, pointer: Pointer) -> list[tuple[Pointer, JSONValue]]:
    """The members of a mapping or list found at ``pointer``, each with its own pointer."""
    if isinstance(value, dict):
        return [(join_pointer(pointer, k), v) for k, v in value.items()]
    if isinstance(value, list):
        return [(join_pointer(pointer, i), v) for i, v in enumerate(value)]
    return []


def set_child(container: JSONValue, pointer: Pointer, new: JSONValue) -> None:
    """Replace the member of ``container`` that ``pointer`` (one of ``children``) names."""
    token = split_pointer(pointer)[-1]
    if isinstance(container, dict):
        container[token] = new
    elif isinstance(container, list):
        container[int(token)] = new

"""Read an environment file and its ``extends`` layers into one raw document.

This is the only module that reads environment files. It resolves ``extends`` (mappings merge
key by key, the extending file wins, lists are replaced whole; ``layers.py``), has
``${NAME}`` and ``file://`` resolved (``references.py``), and remembers for every value the
file, line and column it came from, whether it is secret, and which file it was read from.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from reconciler import redact, suggest
from reconciler.errors import ConfigError, Location
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    copy_json,
    dotted_key,
    get_at,
    split_pointer,
)
from reconciler.limits import (
    DEFAULT_LIMITS,
    Budget,
    Limits,
    count_values,
    files_too_large,
    too_many_values,
)
from reconciler.loading import references, yamlio
from reconciler.loading.document import (
    NULL_MESSAGE,
    Layer,
    RawEnvironment,
    ValueInfo,
    children,
)
from reconciler.loading.layers import LayerCache, merge_layers
from reconciler.repository.paths import display_path, inside_repository
from reconciler.services import registry

MAX_FILE_BYTES = DEFAULT_LIMITS.max_file_bytes


def environment_files(root: Path) -> list[Path]:
    folder = root / "environments"
    if not folder.is_dir():
        raise ConfigError([f"{display_path(folder)}: no environments/ folder (use --dir)"])
    inside_repository(root, folder, "environments/", None)  # a link may not lead elsewhere
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def environment_path(root: Path, name: str) -> Path:
    """``environments/NAME.yaml`` (or ``.yml``); it, and the folder, may be links only to
    somewhere inside the repository: a pull request must not make ``plan`` show a file of
    the runner's."""
    for suffix in (".yaml", ".yml"):
        candidate = root / "environments" / f"{name}{suffix}"
        if candidate.is_file():
            inside_repository(root, candidate.parent, "environments/", None)
            inside_repository(root, candidate, f"environments/{name}{suffix}", None)
            return candidate
    names = [p.stem for p in environment_files(root)]
    close = suggest.closest(name, names)
    hint = f"; did you mean {close!r}?" if close else ""
    known = ", ".join(names) or "none"
    raise ConfigError([f"unknown environment {name!r} (known: {known}){hint}"])


def load_environment(
    root: Path,
    name: str,
    environ: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    allow_unset: bool = False,
    layers: LayerCache | None = None,
) -> RawEnvironment:
    """Load ``environments/<name>.yaml`` under ``root`` with all its layers. With
    ``allow_unset`` (offline checks), an unset ``${NAME}`` stays as written and is recorded in
    ``ValueInfo.unset_variables`` instead of failing the load. ``layers`` shares the layers
    it extends with other loads of the same run: same repository, variables, limits and
    ``allow_unset``."""
    path = environment_path(root, name)
    env = os.environ if environ is None else environ
    reader = _LayerReader(root.resolve(), env, limits, allow_unset, layers)
    data, info, files = reader.read(path.resolve(), ())
    return RawEnvironment(name=name, path=path, files=files, data=data, info=info)


class _LayerReader:
    def __init__(
        self,
        root: Path,
        environ: Mapping[str, str],
        limits: Limits,
        allow_unset: bool,
        layers: LayerCache | None = None,
    ) -> None:
        self.root = root
        self.environ = environ
        self.limits = limits
        self.allow_unset = allow_unset
        self.layers = layers
        self.budget = Budget(limits)  # all the files of this one environment together

    def read(self, path: Path, chain: tuple[Path, ...]) -> Layer:
        if path in chain:
            raise _cycle(chain, path)
        if not chain or self.layers is None:
            return self._read(path, chain)
        # An extended layer is the same for every environment of the run. It may have been
        # read along another chain: what it pulled in must not lead back into this one.
        with self.layers.slot(path) as slot:
            read_here = slot.layer is None
            if slot.layer is None:
                slot.layer = self._read(path, chain)  # spent from this budget as it is read
            layer = _private_copy(slot.layer)
        back = next((file for file in layer[2] if file in chain), None)
        if back is not None:
            raise _cycle((*chain, path), back)
        if not read_here:  # read for another environment: it counts here too
            self._spend_values(display_path(path), layer[0])
        return layer

    def _read(self, path: Path, chain: tuple[Path, ...]) -> Layer:
        shown = display_path(path)  # resolves symlinks: once per file
        document = self._parse(path, shown)
        data = document.data
        if not isinstance(data, dict):
            raise ConfigError([f"{shown}:1:1: the file must be a YAML mapping"])
        _check_keys(shown, document)
        info = self._describe(shown, document)
        for pointer in document.tagged_secret:
            redact.register(get_at(data, pointer)[1])
        services = frozenset(service.environment_pointer for service in registry.services())
        self._check_nulls(data, "", info, services)
        references.interpolate(data, "", info, self.environ, allow_unset=self.allow_unset)
        self._embed_files(path, data, info)
        merged: Layer = ({}, {}, ())
        for parent in self._extends(path, data, info):
            merged = merge_layers(merged, self.read(parent, (*chain, path)))
        data.pop("extends", None)
        return merge_layers(merged, (data, info, (path,)))

    def _parse(self, path: Path, shown: str) -> yamlio.PositionedDocument:
        if not path.is_file():
            raise ConfigError([f"{shown}: no such file"])
        max_bytes = self.limits.max_file_bytes
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError([f"{shown}: file is larger than {max_bytes} bytes"])
        if not self.budget.spend_bytes(size):
            raise ConfigError([f"{shown}: {files_too_large(max_bytes)}"])
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{shown}: not UTF-8 text (byte {exc.start})"]) from None
        try:
            if len(text) > _CACHED_TEXT_LIMIT:
                document = yamlio.load_with_positions(text, self.limits)
            else:
                document = _copied(_parsed(text, self.limits))
        except yamlio.YamlSyntaxError as exc:
            raise ConfigError([f"{shown}:{exc.line}:{exc.column}: {exc.prefix}{exc}"]) from None
        self._spend_values(shown, document.data)
        return document

    def _spend_values(self, shown: str, data: JSONValue) -> None:
        if not self.budget.spend_values(count_values(data)):
            too_many = too_many_values(self.limits.max_nodes)
            raise ConfigError([f"{shown}: this environment's layers together have {too_many}"])

    @staticmethod
    def _describe(shown: str, document: yamlio.PositionedDocument) -> dict[Pointer, ValueInfo]:
        return {
            pointer: ValueInfo(
                location=Location(shown, line, column, dotted_key(pointer)),
                tagged_secret=pointer in document.tagged_secret,
            )
            for pointer, (line, column) in document.positions.items()
        }

    def _check_nulls(
        self,
        value: JSONValue,
        pointer: Pointer,
        info: dict[Pointer, ValueInfo],
        services: frozenset[Pointer],
    ) -> None:
        """No null in the file's own keys; below a service's key (``identity_config``, one of
        ``services``) its official schema decides (``{id_token: {email: null}}`` is how OIDC
        ``requested_claims`` asks for a claim)."""
        if value is None:
            where = info.get(pointer)
            raise ConfigError.at(where.location if where else None, NULL_MESSAGE)
        if pointer in services:
            return
        for child_pointer, child in children(value, pointer):
            self._check_nulls(child, child_pointer, info, services)

    def _embed_files(self, path: Path, data: JSONObject, info: dict[Pointer, ValueInfo]) -> None:
        """Every ``file://`` in a service's config inlined (an identity schema, a hook body, an
        Ory Permission Language file sent as ``base64://``)."""
        for service in registry.services():
            config = data.get(service.key)
            if isinstance(config, (dict, list)):
                root = service.environment_pointer
                references.embed_files(self.root, path.parent, config, root, info, self.budget)

    def _extends(self, path: Path, data: JSONObject, info: dict[Pointer, ValueInfo]) -> list[Path]:
        raw = data.get("extends", [])
        entries = [raw] if isinstance(raw, str) else raw
        where = info.get("/extends")
        location = where.location if where else None
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError.at(location, "extends must be a file name or a list of file names")
        parents = []
        for index, entry in enumerate(entries):
            assert isinstance(entry, str)
            item = info.get(f"/extends/{index}", where)
            item_location = item.location if item else None
            parent = inside_repository(self.root, path.parent / entry, entry, item_location)
            if not parent.is_file():
                raise ConfigError.at(
                    item_location,
                    f"{entry} is a directory, not an environment file"
                    if parent.is_dir()
                    else f"no such file: {entry}",
                )
            parents.append(parent)
        return parents


# Real layers are a few KB (the largest real config we test is 17 KB); larger files are parsed
# each time. Bounds the cache to a few MB whatever the repository holds.
_CACHED_TEXT_LIMIT = 32 * 1024
# Characters that end or rewrite a line: C0 and C1 controls, DEL, the Unicode line and
# paragraph separators.
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _check_keys(shown: str, document: yamlio.PositionedDocument) -> None:
    """Refuse a key holding a control character (a newline): every message naming the key
    would print the file's own lines, and a CI log reads a line such as ``::add-mask::…`` as
    a command (docs/security.md §9). No Ory setting has such a key."""
    for pointer, (line, column) in document.positions.items():
        tokens = split_pointer(pointer)
        if tokens and _LINE_BREAKING.search(tokens[-1]):
            key = json.dumps(tokens[-1])
            raise ConfigError(
                [
                    f"{shown}:{line}:{column}: the key {key} holds a control character; a key is "
                    "a name on one line"
                ]
            )


@functools.lru_cache(maxsize=16)
def _parsed(text: str, limits: Limits) -> yamlio.PositionedDocument:
    # A shared layer (base.yaml) is extended by every environment; plan --all parses it once.
    return yamlio.load_with_positions(text, limits)


def _copied(document: yamlio.PositionedDocument) -> yamlio.PositionedDocument:
    """A cached parse the caller may edit: later steps change the data in place (positions
    are tuples, shared safely)."""
    return yamlio.PositionedDocument(
        data=copy_json(document.data),
        positions=dict(document.positions),
        tagged_secret=set(document.tagged_secret),
    )


def _private_copy(layer: Layer) -> Layer:
    """A shared layer the caller may edit (later steps change the data in place)."""
    return copy_json(layer[0]), dict(layer[1]), layer[2]


def _cycle(chain: tuple[Path, ...], path: Path) -> ConfigError:
    shown = " -> ".join(display_path(p) for p in (*chain, path))
    return ConfigError([f"{display_path(path)}: extends cycle: {shown}"])

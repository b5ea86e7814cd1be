"""What an exported config leaves beside the environment file: inline content becomes side files
(``file://``), secrets become ``${VARIABLES}``, and the environment file's text. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler import blobs
from reconciler.comparing.durations import short_duration
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    join_pointer,
    split_pointer,
)
from reconciler.loading import yamlio
from reconciler.repository import file_refs
from reconciler.usecases.export import SCHEMAS, ExportRules, is_exported_secret

_JSONNET_KEYS = frozenset({"body", "mapper_url", "claims_mapper_url"})
# Where the permission config names its Ory Permission Language file.
OPL_LOCATION: Pointer = "/namespaces/location"
_NAME_NOISE = frozenset({"selfservice", "flows", "methods", "config"})


@dataclass(frozen=True)
class SideFile:
    path: str  # relative to the repository root, with forward slashes
    content: bytes


@dataclass(frozen=True)
class Variable:
    name: str
    pointer: Pointer
    part: str  # "value" or "password" (of a URI)


@dataclass(frozen=True)
class Export:
    identity_config: JSONObject
    files: tuple[SideFile, ...]
    variables: tuple[Variable, ...]
    # ``file://`` values whose content could not be read: the file will not load until the
    # referenced files are copied into the repository.
    unreadable: tuple[Pointer, ...] = ()
    # The other services' configs, by their environment-file key (``oauth2_config``).
    others: tuple[tuple[str, JSONObject], ...] = ()


@dataclass(frozen=True)
class OtherConfig:
    """Another service's minimal config to export: its environment-file key and rules."""

    key: str
    config: JSONObject  # minimal (``export.minimal_config``)
    rules: ExportRules
    live: JSONObject  # what it was made from


def externalize(
    config: JSONObject, rules: ExportRules, others: Iterable[OtherConfig] = ()
) -> Export:
    """Move blobs to side files and secrets to variables; the result is ready to write. The
    other services' variables and side files are named after their key (``OAUTH2_...``)."""
    writer = _Externalizer(config, rules)
    result = writer.value(config, "")
    assert isinstance(result, dict)
    exported: list[tuple[str, JSONObject]] = []
    for other in others:
        writer.config, writer.rules, writer.prefix = other.config, other.rules, other.key
        value = writer.value(other.config, "")
        assert isinstance(value, dict)
        exported.append((other.key, value))
    return Export(
        identity_config=result,
        files=tuple(sorted(writer.files.values(), key=lambda f: f.path)),
        variables=tuple(sorted(writer.variables, key=lambda v: v.name)),
        unreadable=tuple(sorted(writer.unreadable)),
        others=tuple(exported),
    )


# -- externalize --------------------------------------------------------------------------


class _Externalizer:
    def __init__(self, config: JSONObject, rules: ExportRules) -> None:
        self.config = config
        self.rules = rules
        self.files: dict[str, SideFile] = {}
        self.variables: list[Variable] = []
        self.unreadable: list[Pointer] = []
        # The environment-file key of the service being written, other than the identity
        # config's: its variables, side files and messages are named after it.
        self.prefix = ""

    def value(self, value: JSONValue, pointer: Pointer) -> JSONValue:
        if isinstance(value, dict):
            return {k: self.value(value[k], join_pointer(pointer, k)) for k in sorted(value)}
        if isinstance(value, list):
            if pointer == SCHEMAS:
                return [
                    self.schema(entry, join_pointer(pointer, i)) for i, entry in enumerate(value)
                ]
            return [self.value(item, join_pointer(pointer, i)) for i, item in enumerate(value)]
        if isinstance(value, str):
            return self.string(value, pointer)
        return value

    def string(self, text: str, pointer: Pointer) -> str:
        if is_exported_secret(pointer, text, self.rules.sensitive, self.rules.secret_paths):
            return self.secret(text, pointer)
        content = self.content_of(text, pointer)
        if content is not None:
            return self.side_file(content, pointer)
        return short_duration(text.replace("$", "$$"))

    def secret(self, text: str, pointer: Pointer) -> str:
        parts = urlsplit(text) if "://" in text else None
        if parts is None or not parts.password:
            return f"${{{self.variable(pointer, 'value')}}}"
        # Only the password of a URI is secret; user, host and options stay reviewable.
        name = self.variable(pointer, "password")
        user, _, host = parts.netloc.rpartition("@")
        marked = parts._replace(netloc=f"{user.split(':', 1)[0]}:\0@{host}").geturl()
        return marked.replace("$", "$$").replace("\0", f"${{{name}}}")

    def variable(self, pointer: Pointer, part: str) -> str:
        labels = self.labels(pointer)
        if part == "password":
            labels = [*labels[:-1], "password"]
        base = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(labels)).strip("_").upper() or "SECRET"
        if base[0].isdigit():
            base = "V_" + base
        if self.prefix:
            base = f"{self.prefix.removesuffix('_config').upper()}_{base}"
        names = {v.name for v in self.variables}
        name = _first_free(base, "_", lambda candidate: candidate in names)
        self.variables.append(Variable(name, self._named(pointer), part))
        return name

    def _named(self, pointer: Pointer) -> Pointer:
        """``pointer`` as messages name it: inside another service, under its key."""
        return f"/{self.prefix}{pointer}" if self.prefix else pointer

    def labels(self, pointer: Pointer) -> list[str]:
        """Readable words for ``pointer``: list items by their ``id`` when they have one."""
        labels: list[str] = []
        node: JSONValue = self.config
        for token in split_pointer(pointer):
            label = token
            if isinstance(node, list):
                node = node[int(token)]
                item_id = node.get("id") if isinstance(node, dict) else None
                label = item_id if isinstance(item_id, str) else token
            else:
                node = node.get(token) if isinstance(node, dict) else None
            if token not in _NAME_NOISE:
                labels.append("hook" if token == "hooks" else label)
        return labels

    def content_of(self, text: str, pointer: Pointer) -> bytes | None:
        content = blobs.decode(text)
        if content is None:
            content = self.rules.contents.get(text)
        if content is None and file_refs.is_reference(text):
            self.unreadable.append(self._named(pointer))
        return content

    def side_file(self, content: bytes, pointer: Pointer) -> str:
        key = split_pointer(pointer)[-1]
        folder, suffix = ("hooks", ".jsonnet") if key in _JSONNET_KEYS else ("templates", "")
        if pointer == OPL_LOCATION and self.prefix:
            # An Ory Permission Language file is TypeScript (Ory stores it as `.txt`).
            folder, suffix = "permissions", ".ts"
        labels = self.labels(pointer)
        if self.prefix:
            labels = [self.prefix.removesuffix("_config"), *labels]
        stem = re.sub(r"[^a-z0-9_.]+", "-", "-".join(labels).lower()).strip("-")
        return self.reference(folder, stem, suffix, content)

    def schema(self, entry: JSONValue, pointer: Pointer) -> JSONValue:
        if not isinstance(entry, dict):
            return entry
        result = {
            k: self.value(entry[k], join_pointer(pointer, k)) for k in sorted(entry) if k != "url"
        }
        url = entry.get("url")
        where = join_pointer(pointer, "url")
        content = self.content_of(url, where) if isinstance(url, str) else None
        if content is None:
            result["url"] = url
        else:
            stem = re.sub(r"[^A-Za-z0-9_.]+", "-", str(entry.get("id", "schema"))).strip("-")
            result["url"] = self.reference("schemas", stem, ".schema.json", content)
        return dict(sorted(result.items()))

    def reference(self, folder: str, stem: str, suffix: str, content: bytes) -> str:
        def taken(name: str) -> bool:
            existing = self.files.get(f"{folder}/{name}{suffix}")
            return existing is not None and existing.content != content

        path = f"{folder}/{_first_free(stem, '-', taken)}{suffix}"
        self.files[path] = SideFile(path, content)
        return file_refs.reference(f"{self.rules.root_from_environment}{path}")


def _first_free(base: str, separator: str, taken: Callable[[str], bool]) -> str:
    candidate, number = base, 2
    while taken(candidate):
        candidate, number = f"{base}{separator}{number}", number + 1
    return candidate


def environment_text(
    export: Export,
    *,
    target: JSONValue,
    extends: str | None,
    source: str,
    left_out: Iterable[tuple[Pointer, JSONValue]] = (),
    review: Iterable[tuple[Pointer, JSONValue]] = (),
    unknown: Iterable[tuple[Pointer, JSONValue]] = (),
) -> str:
    """The environment file: a header naming the variables, the project-specific values left
    out and the keys the target's shape does not know, then ``extends``, ``target`` and
    ``identity_config``."""
    document: JSONObject = {}
    if extends:
        document["extends"] = extends
    if target is not None:
        document["target"] = target
    document["identity_config"] = export.identity_config
    for key, config in export.others:
        document[key] = config
    lines = [f"# Exported by `reconciler export` from {source}."]
    if export.variables:
        lines.append("# Set these variables before plan or apply (values are never printed):")
        lines.extend(f"#   {describe_variable(v)}" for v in export.variables)
    omitted = list(left_out)
    if omitted:
        lines.append("# Left out: this project's own domain (each project has its own; set them")
        lines.append("# here only if this file is never copied to another environment):")
        lines.extend(f"#   {pointer}: {json.dumps(value)}" for pointer, value in omitted)
    kept = list(review)
    if kept:
        lines.append("# Kept, but they name this project's own domain: edit them in a copy:")
        lines.extend(f"#   {pointer}: {json.dumps(value)}" for pointer, value in kept)
    strange = list(unknown)
    if strange:
        lines.append("# Left out: keys the live config holds that reconciler does not know for")
        lines.append("# this target (validate, offline, would refuse them; plan leaves them be):")
        lines.extend(f"#   {pointer}: {json.dumps(value)}" for pointer, value in strange)
    return "\n".join(lines) + "\n" + yamlio.dump_plain(document)


def describe_variable(variable: Variable) -> str:
    what = "the password in" if variable.part == "password" else "the value of"
    return f"{variable.name}: {what} {variable.pointer}"

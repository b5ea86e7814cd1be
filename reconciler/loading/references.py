"""What an environment file refers to outside itself: ``${NAME}`` is replaced with the
environment variable ``NAME`` (``$$`` is a literal ``$``), and ``file://`` references are
inlined as ``base64://`` of the file's content, as ``ory update identity-config`` does.

Each replaced value's ``ValueInfo`` records what it was built from: the variables (which make
it secret) or the file, its path and digest. The loader calls both on every layer it reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from reconciler import blobs, redact
from reconciler.errors import ConfigError, Location
from reconciler.jsontypes import JSONValue, Pointer, split_pointer
from reconciler.limits import Budget, files_too_large
from reconciler.loading.document import ValueInfo, children, set_child
from reconciler.repository import file_refs

_VARIABLE = re.compile(r"\$\$|\$\{([^}]*)(\}?)")  # group 2 empty: no closing brace
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Keys whose file:// values are identifiers, not content (the Ory CLI skips them too).
_NOT_EMBEDDED_KEYS = frozenset({"$id", "$schema"})
# Keys whose value Ory reads as a URL (hooks, OIDC mappers, courier templates): a bare path to a
# file there is almost surely a forgotten file:// (Ory would fetch it as a relative URL).
_URL_KEYS = frozenset({"url", "body", "mapper_url"})


def interpolate(
    value: JSONValue,
    pointer: Pointer,
    info: dict[Pointer, ValueInfo],
    environ: Mapping[str, str],
    *,
    allow_unset: bool,
) -> None:
    """Replace every ``${NAME}`` below ``value`` in place. With ``allow_unset`` (offline
    checks) an unset variable stays as written and is recorded in ``unset_variables``."""
    for child_pointer, child in children(value, pointer):
        if isinstance(child, str) and "$" in child:
            where = info.get(child_pointer)
            location = where.location if where else None
            replaced, names, unset = _substitute(child, location, environ, allow_unset)
            set_child(value, child_pointer, replaced)
            if names:
                old = info[child_pointer]
                info[child_pointer] = replace(old, variables=names, unset_variables=unset)
        else:
            interpolate(child, child_pointer, info, environ, allow_unset=allow_unset)


def _substitute(
    text: str, location: Location | None, environ: Mapping[str, str], allow_unset: bool
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    names: list[str] = []
    unset: list[str] = []

    def lookup(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if not match.group(2):
            raise ConfigError.at(
                location, f"${{{name} has no closing }} (write $$ for a literal $)"
            )
        if not _VARIABLE_NAME.match(name):
            raise ConfigError.at(location, f"invalid variable reference ${{{name}}}")
        if name not in environ and allow_unset:
            names.append(name)
            unset.append(name)
            return match.group(0)
        if name not in environ:
            raise ConfigError.at(location, f"environment variable {name} is not set")
        if not environ[name]:
            # An empty secret would blank the live one: never what anybody meant.
            raise ConfigError.at(location, f"environment variable {name} is empty")
        names.append(name)
        redact.register(environ[name])
        return environ[name]

    return _VARIABLE.sub(lookup, text), tuple(names), tuple(unset)


def embed_files(
    root: Path,
    base: Path,
    value: JSONValue,
    pointer: Pointer,
    info: dict[Pointer, ValueInfo],
    budget: Budget,
) -> None:
    """Inline every ``file://`` below ``value`` in place; paths are relative to ``base`` (the
    file's folder) and must stay inside ``root`` (the repository). Each file read is spent
    from the environment's ``budget``."""
    _FileEmbedder(root, base, info, budget).walk(value, pointer)


class _FileEmbedder:
    """Replace ``file://`` strings with ``base64://`` of the file's content."""

    def __init__(
        self, root: Path, base: Path, info: dict[Pointer, ValueInfo], budget: Budget
    ) -> None:
        self.root = root
        self.base = base
        self.info = info
        self.budget = budget

    def walk(self, value: JSONValue, pointer: Pointer) -> None:
        for child_pointer, child in children(value, pointer):
            key = split_pointer(child_pointer)[-1]
            if isinstance(child, str) and file_refs.is_reference(child):
                if key not in _NOT_EMBEDDED_KEYS:
                    set_child(value, child_pointer, self._embed(child, child_pointer))
            elif isinstance(child, str) and key in _URL_KEYS and self._names_a_file(child):
                where = self.info.get(child_pointer)
                raise ConfigError.at(
                    where.location if where else None,
                    f"{child} is a file next to this environment, but without file:// Ory "
                    f"reads it as a URL; did you mean file://{child}?",
                )
            else:
                self.walk(child, child_pointer)

    def _names_a_file(self, text: str) -> bool:
        if "://" in text or not text.strip():
            return False
        try:
            return (self.base / text).is_file()
        except (OSError, ValueError):  # too long, NUL byte...: no file by that name
            return False

    def _embed(self, reference: str, pointer: Pointer) -> str:
        where = self.info.get(pointer)
        location = where.location if where else None
        target = self._resolve(reference, location)
        content = target.read_bytes()
        if where is not None:
            digest = blobs.sha512_hex(content)
            self.info[pointer] = replace(
                where, file_ref=reference, file_path=target, file_digest=digest
            )
        return blobs.encode(content)

    def _resolve(self, reference: str, location: Location | None) -> Path:
        target = file_refs.resolve(self.root, self.base, reference, location)
        size = target.stat().st_size
        max_bytes = self.budget.limits.max_file_bytes
        if size > max_bytes:
            raise ConfigError.at(location, f"{reference} is larger than {max_bytes} bytes")
        if not self.budget.spend_bytes(size):
            raise ConfigError.at(location, f"{reference}: {files_too_large(max_bytes)}")
        return target

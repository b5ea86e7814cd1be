"""The repository as a source of identity schema content (issue 25 item 2).

A live custom schema is a URL named after the SHA-512 of the bytes Ory stored
(ory-api.md §1a, transformations 1-2). When that content cannot be fetched (storage not
reachable, or not a host the plan may read from), a file of the repository with exactly that
digest is the same content: the trait diff reads it instead of saying it cannot compare.

Candidates are the files environments reference with ``file://`` (``.json``, ``.yaml``,
``.yml``, resolved from the environment file's folder) and the files under ``schemas/``; each
is read through the one ``file://`` rule (``repository/file_refs``: inside the repository,
links included) and bounded like any file the loader reads. A candidate that fails those
rules is skipped: this is a best-effort lookup, it never fails a plan. A file matches by the
digest of its bytes (JSON sent as written) or of its canonical JSON (a YAML file, or any
schema as earlier versions sent it); the content returned is those exact bytes, so its digest
is what the live URL promises.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator
from pathlib import Path

from reconciler import blobs
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONValue, canonical_bytes
from reconciler.limits import DEFAULT_LIMITS, loads_json
from reconciler.loading import yamlio
from reconciler.repository import file_refs

SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")
SCHEMAS_FOLDER = "schemas"
# Bounds on what one lookup reads: a repository holds a handful of schemas, not thousands.
MAX_CANDIDATES = 256


def declared_contents(root: Path, wanted: Collection[str]) -> dict[str, bytes]:
    """``{digest: bytes}`` for each SHA-512 hex digest of ``wanted`` that a schema file of the
    repository at ``root`` has: the bytes whose SHA-512 is that digest."""
    missing = set(wanted)
    found: dict[str, bytes] = {}
    for path in _candidates(root):
        if not missing:
            break
        if missing.isdisjoint(_digests_of(path, _stamp(path))):
            continue
        for digest, content in _forms(path):
            if digest in missing:
                found[digest] = content
                missing.discard(digest)
    return found


# plan --all may look up many environments' schemas in one run: each file is read and hashed
# once while it stays the same (by modification time and size); digests only are kept.
Stamp = tuple[int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


@functools.lru_cache(maxsize=1024)
def _digests_of(path: Path, stamp: Stamp) -> frozenset[str]:
    return frozenset(digest for digest, _ in _forms(path)) if stamp else frozenset()


@functools.lru_cache(maxsize=1024)
def _references_of(path: Path, stamp: Stamp) -> tuple[str, ...]:
    return tuple(_references_in(_parsed(path))) if stamp else ()


def _inside(root: Path, folder: Path, reference: str) -> Path | None:
    """The file ``reference`` names from ``folder``; None when it leads outside the
    repository or names no file (not a candidate)."""
    try:
        return file_refs.resolve(root, folder, file_refs.reference(reference), None)
    except ConfigError:
        return None


def _candidates(root: Path) -> tuple[Path, ...]:
    return _candidates_of(root, _listing(root))


def _listing(root: Path) -> tuple[tuple[Path, Stamp], ...]:
    """What the candidates depend on: each file of ``environments/`` and ``schemas/`` with
    its stamp. plan --all looks candidates up once per environment: resolving every
    environment file each time (links, the repository's bounds) made that quadratic (200
    environments: 40,000 resolutions, 8 s of a 10 s run)."""
    files = [
        *_files(root / "environments", recursive=False),
        *_files(root / SCHEMAS_FOLDER, recursive=True),
    ]
    return tuple((path, _stamp(path)) for path in files)


def _files(folder: Path, *, recursive: bool) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(folder.rglob("*") if recursive else folder.iterdir())


@functools.lru_cache(maxsize=16)
def _candidates_of(root: Path, listing: tuple[tuple[Path, Stamp], ...]) -> tuple[Path, ...]:
    seen: list[Path] = []
    references = [*_schemas_folder(root), *_environment_references(root)]
    for folder, reference in references[:MAX_CANDIDATES]:
        path = _inside(root, folder, reference.removeprefix(file_refs.SCHEME))
        if path is not None and path not in seen and path.suffix in SCHEMA_SUFFIXES:
            seen.append(path)
    return tuple(seen)


def _schemas_folder(root: Path) -> list[tuple[Path, str]]:
    folder = root / SCHEMAS_FOLDER
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.rglob("*") if p.suffix in SCHEMA_SUFFIXES)
    return [(root, file_refs.reference(p.relative_to(root).as_posix())) for p in found]


def _environment_references(root: Path) -> list[tuple[Path, str]]:
    folder = root / "environments"
    if not folder.is_dir():
        return []
    found: list[tuple[Path, str]] = []
    for listed in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        environment = _inside(root, folder, listed.name)
        if environment is not None:
            references = _references_of(environment, _stamp(environment))
            found.extend((folder, ref) for ref in references)
    return found


def _references_in(value: JSONValue) -> Iterator[str]:
    if isinstance(value, dict):
        for child in value.values():
            yield from _references_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _references_in(child)
    elif file_refs.is_reference(value) and str(value).endswith(SCHEMA_SUFFIXES):
        yield str(value)


def _read(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > DEFAULT_LIMITS.max_file_bytes:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _parsed(path: Path) -> JSONValue:
    raw = _read(path)
    return None if raw is None else _parse(raw, path.suffix)


def _parse(raw: bytes, suffix: str) -> JSONValue:
    try:
        text = raw.decode("utf-8")
        if suffix == ".json":
            return loads_json(text)
        return yamlio.load_with_positions(text).data
    except (ValueError, UnicodeDecodeError, yamlio.YamlSyntaxError):
        return None


def _forms(path: Path) -> Iterator[tuple[str, bytes]]:
    """The digests Ory may store this file under, each with the bytes it names."""
    raw = _read(path)
    if raw is None:
        return
    if path.suffix == ".json":
        yield blobs.sha512_hex(raw), raw
    document = _parse(raw, path.suffix)
    if isinstance(document, dict):
        canonical = canonical_bytes(document)
        yield blobs.sha512_hex(canonical), canonical

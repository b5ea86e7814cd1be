"""The config schema of every Kratos release, read from git clones of ory/kratos and ory/x.

Used by ``refresh_official_schemas --history``. A release is a tag ``vX.Y.Z`` or
``vX.Y.Z-alpha.N`` (pre-releases such as ``v0.8.3-alpha.1.pre.0`` are left out), from the
first whose config schema knows ``version:`` (the key a Kratos file names its release by).
The config schema moved twice (``.schema/``, ``driver/config/.schema/``, ``embedx/``). From
v0.10.0 it ``$ref``s ``ory://tracing-config``, ory/x ``otelx/config.schema.json`` at the ory/x
version of Kratos' ``go.mod`` (vendored under ``oryx/`` since v25.4.0).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import official
from reconciler.official import releases

CONFIG_PATHS = (
    "embedx/config.schema.json",
    "driver/config/.schema/config.schema.json",
    ".schema/config.schema.json",
)
VENDORED_TRACING = "oryx/otelx/config.schema.json"
ORY_X_TRACING = "otelx/config.schema.json"
TRACING_REF = "ory://tracing-config"
RELEASE_TAG = re.compile(r"^v\d+\.\d+\.\d+(?:-alpha\.\d+)?$")
_ORY_X_REQUIREMENT = re.compile(rb"^\s*github\.com/ory/x (v\S+)", re.MULTILINE)
FOLDER = "kratos-releases"


class Git:
    """A git directory (bare or not), read with the git command."""

    def __init__(self, git_dir: Path, name: str) -> None:
        self.git_dir = git_dir
        self.name = name  # owner/name, as PROVENANCE.md names it

    def _run(self, *args: str) -> bytes:
        try:
            done = subprocess.run(
                ["git", "--git-dir", str(self.git_dir), *args], capture_output=True, check=True
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f"git {' '.join(args)} failed in {self.git_dir}: {exc}") from exc
        return done.stdout

    def tags(self) -> list[str]:
        return self._run("tag", "--list").decode().split()

    def blob(self, ref: str, path: str) -> str | None:
        """The blob id of ``path`` at ``ref``; None when it has no such file."""
        command = ["git", "--git-dir", str(self.git_dir), "rev-parse", "-q", "--verify"]
        try:
            found = subprocess.run([*command, f"{ref}:{path}"], capture_output=True, check=False)
        except OSError as exc:
            raise SystemExit(f"cannot run git: {exc}") from exc
        return found.stdout.decode().strip() or None

    def content(self, blob: str) -> bytes:
        return self._run("cat-file", "blob", blob)

    def commit(self, ref: str) -> str:
        return self._run("rev-parse", f"{ref}^{{commit}}").decode().strip()


@dataclass(frozen=True)
class Source:
    """A file at a tag of a repository."""

    repo: str
    path: str
    tag: str
    commit: str
    blob: str

    @property
    def ref(self) -> str:
        return f"{self.tag} ({self.commit[:12]})"

    @property
    def origin(self) -> str:
        return self.path if self.repo == "ory/kratos" else f"{self.repo} {self.path}"


@dataclass(frozen=True)
class ReleaseSchemas:
    tag: str
    commit: str
    config: Source
    tracing: Source | None


def release_tags(kratos: Git) -> list[str]:
    tags = [tag for tag in kratos.tags() if RELEASE_TAG.match(tag)]
    return sorted(tags, key=lambda tag: releases.version_key(tag) or (0, 0, 0, ()))


def release_schemas(kratos: Git, ory_x: Git | None) -> list[ReleaseSchemas]:
    """Every release's config schema (and tracing schema), oldest first, from the first
    release whose config declares ``version``."""
    found: list[ReleaseSchemas] = []
    for tag in release_tags(kratos):
        config = _config_source(kratos, tag)
        if config is None:
            continue
        schema = json.loads(kratos.content(config.blob))
        if not found and "version" not in schema.get("properties", {}):
            continue
        tracing = None
        if TRACING_REF in json.dumps(schema):
            tracing = _tracing_source(kratos, ory_x, tag)
        found.append(ReleaseSchemas(tag, config.commit, config, tracing))
    if not found:
        raise SystemExit(f"no Kratos release with a config schema in {kratos.git_dir}")
    return found


def _config_source(kratos: Git, tag: str) -> Source | None:
    for path in CONFIG_PATHS:
        blob = kratos.blob(tag, path)
        if blob is not None:
            return Source(kratos.name, path, tag, kratos.commit(tag), blob)
    return None


def _tracing_source(kratos: Git, ory_x: Git | None, tag: str) -> Source:
    vendored = kratos.blob(tag, VENDORED_TRACING)
    if vendored is not None:
        return Source(kratos.name, VENDORED_TRACING, tag, kratos.commit(tag), vendored)
    go_mod = kratos.blob(tag, "go.mod")
    match = _ORY_X_REQUIREMENT.search(kratos.content(go_mod)) if go_mod else None
    if match is None:
        raise SystemExit(f"{tag}: no github.com/ory/x requirement in go.mod")
    version = match.group(1).decode()
    if ory_x is None:
        raise SystemExit(f"{tag} refers to ory/x {version}'s tracing schema: pass --ory-x")
    blob = ory_x.blob(version, ORY_X_TRACING)
    if blob is None:
        raise SystemExit(f"ory/x {version} has no {ORY_X_TRACING}")
    return Source(ory_x.name, ORY_X_TRACING, version, ory_x.commit(version), blob)


@dataclass(frozen=True)
class Stored:
    """Where a copied file lives in the package, and where it came from."""

    name: str  # relative to reconciler/official
    source: Source


def store(
    found: Sequence[ReleaseSchemas], kratos: Git, ory_x: Git | None, destination: Path
) -> list[Stored]:
    """Write each distinct schema once (the newest release's are the package's top-level
    files, already copied from the release checkout) and the index; the stored files."""
    newest = found[-1]
    folder = destination / FOLDER
    folder.mkdir(exist_ok=True)
    for stale in folder.glob("*.json"):
        stale.unlink()
    names = {newest.config.blob: official.KRATOS_RELEASE_CONFIG.name}
    if newest.tracing is not None:
        names[newest.tracing.blob] = official.TRACING_CONFIG.name
    stored: dict[str, Stored] = {}
    entries = []
    for release in found:
        config = _stored(release.config, "config", names, stored)
        tracing = _stored(release.tracing, "tracing-config", names, stored)
        assert config is not None
        entries.append(
            {
                "tag": release.tag,
                "commit": release.commit,
                "config": config.name,
                "tracing": tracing.name if tracing else None,
                "first": config.source.tag,  # stored when first met: the first release with it
            }
        )
    for item in stored.values():
        if item.name.startswith(FOLDER + "/"):
            repo = kratos if item.source.repo == kratos.name else ory_x
            assert repo is not None
            (destination / item.name).write_bytes(repo.content(item.source.blob))
    _write_index(destination / FOLDER / "index.json", entries, kratos.name)
    return list(stored.values())


def _stored(
    source: Source | None, kind: str, names: dict[str, str], stored: dict[str, Stored]
) -> Stored | None:
    if source is None:
        return None
    if source.blob not in stored:
        name = names.get(source.blob) or f"{FOLDER}/{_tag_of(source)}.{kind}.schema.json"
        stored[source.blob] = Stored(name, source)
    return stored[source.blob]


def _tag_of(source: Source) -> str:
    """A Kratos file is named after the first release that has it, an ory/x file after its
    ory/x version."""
    return source.tag if source.repo == "ory/kratos" else f"ory-x-{source.tag}"


def _write_index(path: Path, entries: Iterable[dict[str, str | None]], repo: str) -> None:
    document = {
        "about": (
            f"Every {repo} release since the first whose config knows `version:`: its config "
            "schema and the ory://tracing-config it $refs, as files of reconciler/official. "
            "Written by scripts/refresh_official_schemas.py --history; origins in PROVENANCE.md."
        ),
        "releases": list(entries),
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

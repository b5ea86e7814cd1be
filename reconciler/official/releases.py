"""Which shipped config schema is which Kratos release, and the one a Kratos file is judged by.

``kratos-releases/index.json`` (written by ``scripts/refresh_official_schemas.py --history``)
lists every Kratos release since the first whose config knows ``version:`` (v0.5.0-alpha.1),
each with the config schema it ships and, when that schema ``$ref``s ``ory://tracing-config``,
the ory/x tracing schema it was built with. Identical schemas are stored once, named after the
first release that shipped them; the newest release's are the top-level files of the package.

A Kratos file names the release it is written for (``version: v0.8.2-alpha.1``); it is judged
by the nearest release not newer than that (Kratos refuses keys its release does not know, and
a key removed later is still valid there). Versions follow SemVer precedence (pre-releases such
as ``-alpha.1`` come before the release they precede).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from reconciler.official import HERE

INDEX: Final = HERE / "kratos-releases" / "index.json"

# SemVer prefixed with `v`, as the `version` key of the Kratos config schema spells it.
_VERSION = re.compile(
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)

VersionKey = tuple[int, int, int, tuple[tuple[int, int | str], ...]]


def version_key(text: str) -> VersionKey | None:
    """A key that sorts versions by SemVer precedence; ``None`` when ``text`` is no version.

    A pre-release sorts before its release (``v1.0.0-alpha.1 < v1.0.0``); its identifiers
    compare one by one, numbers numerically and below words, a longer list last."""
    match = _VERSION.match(text)
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        # (1,) sorts after any pre-release's (0, …): the release follows its pre-releases.
        identifiers: tuple[tuple[int, int | str], ...] = ((1, 0),)
    else:
        identifiers = ((0, 0), *((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    return int(major), int(minor), int(patch), identifiers


@dataclass(frozen=True)
class Release:
    """One Kratos release and the shipped files that are its config schema."""

    tag: str
    config: Path
    tracing: Path | None  # the ory://tracing-config it $refs (None: tracing is inline)
    first: str  # the first release that shipped this config schema (its file is named so)

    @property
    def key(self) -> VersionKey:
        key = version_key(self.tag)
        assert key is not None, self.tag
        return key


@cache
def releases() -> tuple[Release, ...]:
    """Every release of the index, oldest first."""
    index = json.loads(INDEX.read_text(encoding="utf-8"))
    found = tuple(
        Release(
            tag=entry["tag"],
            config=HERE / entry["config"],
            tracing=HERE / entry["tracing"] if entry.get("tracing") else None,
            first=entry["first"],
        )
        for entry in index["releases"]
    )
    return tuple(sorted(found, key=lambda release: release.key))


def newest() -> Release:
    return releases()[-1]


def shipped_files() -> tuple[Path, ...]:
    """The distinct files the releases use, index first (for PROVENANCE's checksums)."""
    paths = {INDEX: None}
    for release in releases():
        paths[release.config] = None
        if release.tracing is not None:
            paths[release.tracing] = None
    return tuple(paths)


def first_after(tag: str, wanted: Callable[[Release], bool]) -> Release | None:
    """The oldest release after ``tag`` with a config schema of its own that is ``wanted``
    (each distinct schema is asked once)."""
    key = version_key(tag)
    if key is None:
        return None
    for release in releases():
        if release.key > key and release.tag == release.first and wanted(release):
            return release
    return None


@dataclass(frozen=True)
class Choice:
    """The release a Kratos file is judged by, and why that one."""

    release: Release
    named: str | None  # the version asked for (the file's `version:` or --kratos-version)
    source: str = ""  # where it was asked for: "--kratos-version", "deploy/kratos.yml", …
    note: str = ""  # why the release differs from the one named, when it does

    @property
    def named_by_config(self) -> bool:
        """True when a config's own ``version:`` named the release (Kratos never reads it,
        so it may be stale), False when ``--kratos-version`` asserted it."""
        return self.named is not None and not self.source.startswith("--")

    def describe(self) -> str:
        """``Kratos v0.8.1-alpha.1 config schema (version v0.8.2-alpha.1 of deploy/kratos.yml:
        the nearest release not newer)``."""
        text = f"Kratos {self.release.tag} config schema"
        if self.named is None:
            return f"{text} (no `version:` named: the newest shipped release)"
        asked = self.source if self.source.startswith("--") else f"`version:` of {self.source}"
        reason = f"{asked} is {self.named}"
        return f"{text} ({reason}; {self.note})" if self.note else f"{text} ({reason})"


def choose(named: str | None, source: str = "") -> Choice:
    """The nearest shipped release not newer than ``named`` (asked for in ``source``); the
    newest when none is named.

    A version newer than every shipped release gets the newest; one that is no version, or
    older than the oldest shipped release, gets the newest or the oldest, and says so."""
    if named is None:
        return Choice(newest(), None)
    key = version_key(named)
    if key is None:
        note = "no Kratos version (vMAJOR.MINOR.PATCH): the newest shipped release"
        return Choice(newest(), named, source, note)
    known = releases()
    older = [release for release in known if release.key <= key]
    if not older:
        note = f"older than the oldest shipped release, {known[0].tag}"
        return Choice(known[0], named, source, note)
    chosen = older[-1]
    if chosen.tag == named:
        return Choice(chosen, named, source)
    if chosen is known[-1]:
        return Choice(chosen, named, source, "newer than the newest shipped release")
    return Choice(chosen, named, source, "the nearest release not newer")

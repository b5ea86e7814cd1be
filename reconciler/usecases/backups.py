"""Backups: before every apply the live config of each service is saved to
``.reconciler/backups/<env>/<revision>.json`` (mode 0600, no secret in it: ``backup_secrets``);
``restore`` plans the way back to one. The identity config is the document's ``config`` (as
every backup has held it); any other service's is under ``services.<name>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject, JSONValue, Pointer, join_pointer
from reconciler.limits import DEFAULT_LIMITS
from reconciler.repository import workdir
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import display_path
from reconciler.services import registry

if TYPE_CHECKING:  # backups are written and read by apply and restore only (cold start)
    from reconciler.usecases.backup_secrets import BackupContent


@dataclass(frozen=True)
class Backup:
    path: Path
    revision: str
    saved_at: datetime


def backup_folder(root: Path, environment: str) -> Path:
    return workdir.path(root, "backups", environment)


def backup_path(root: Path, environment: str, revision: str) -> Path:
    safe = revision.replace("/", "_").replace(":", "_")
    return backup_folder(root, environment) / f"{safe}.json"


def save_backup(
    root: Path,
    environment: str,
    revision: str,
    configs: Mapping[str, JSONObject],
    sensitive: Mapping[str, frozenset[Pointer]] | None = None,
) -> Path:
    """Save each service's config (by service name) with its secrets kept out
    (``backup_secrets``; ``sensitive``: the pointers the environment declares secret)."""
    from reconciler.usecases import backup_secrets

    def kept(name: str) -> JSONObject:
        marked = (sensitive or {}).get(name, frozenset())
        content = backup_secrets.keep_out(configs[name], marked, registry.named(name).secrets)
        return backup_secrets.to_json(content)

    path = backup_path(root, environment, revision)
    workdir.make_folder(path.parent)
    identity = registry.IDENTITY.name
    document: JSONObject = {
        "environment": environment,
        "revision": revision,
        "saved_at": datetime.now(timezone.utc).isoformat(),
        **(kept(identity) if identity in configs else {}),
    }
    others: JSONObject = {name: kept(name) for name in configs if name != identity}
    if others:
        document["services"] = others
    write_atomically(path, json.dumps(document, indent=2, sort_keys=True) + "\n", 0o600)
    return path


def list_backups(root: Path, environment: str) -> list[Backup]:
    """The environment's backups, newest first."""
    folder = backup_folder(root, environment)
    workdir.refuse_links(folder)
    found = [_backup_entry(path) for path in folder.glob("*.json")] if folder.is_dir() else []
    return sorted(found, key=lambda backup: backup.saved_at, reverse=True)


def _backup_entry(path: Path) -> Backup:
    """A backup's revision and date; from its file when the document does not say (older
    backups, unreadable files)."""
    workdir.refuse_links(path)
    revision, saved_at = path.stem, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    try:
        document = json.loads(_backup_text(path))
        revision = str(document.get("revision", revision))
        saved_at = datetime.fromisoformat(str(document["saved_at"]))
    except (ConfigError, ValueError, KeyError, AttributeError):
        pass
    return Backup(path=path, revision=revision, saved_at=saved_at)


def _backup_text(path: Path) -> bytes:
    """A backup file's bytes: below ``.reconciler`` never through a link (``workdir``)."""
    content = workdir.read_bytes(path, DEFAULT_LIMITS.max_plan_bytes)
    if content is None:
        raise ConfigError([f"{display_path(path)}: no such backup"])
    return content


def read_backup(path: Path) -> dict[str, BackupContent]:
    """Each service's backed-up config, by service name."""
    try:
        document = json.loads(_backup_text(path))
    except ValueError as exc:
        raise ConfigError([f"{path}: not a reconciler backup: {exc}"]) from None
    if not isinstance(document, dict):
        raise ConfigError([f"{path}: not a reconciler backup (no config)"])
    others = document.get("services", {})
    parts = {registry.IDENTITY.name: document, **(others if isinstance(others, dict) else {})}
    return {name: _content(path, name, part) for name, part in parts.items()}


def _content(path: Path, name: str, part: JSONValue) -> BackupContent:
    from reconciler.usecases import backup_secrets

    config = part.get("config") if isinstance(part, dict) else None
    if not isinstance(part, dict) or not isinstance(config, dict):
        whose = "" if name == registry.IDENTITY.name else f" of {name}"
        raise ConfigError([f"{path}: not a reconciler backup (no config{whose})"])
    try:
        registry.named(name)
    except KeyError:
        raise ConfigError(
            [f"{path}: backs up {name}, which this reconciler does not manage"]
        ) from None
    try:
        return backup_secrets.from_json(part, config)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError([f"{path}: not a reconciler backup (its secrets: {exc})"]) from None


def keys_only_in(live: JSONValue, backup: JSONValue, pointer: Pointer = "") -> Iterator[Pointer]:
    """Mapping keys live has and the backup does not: the way back removes them."""
    if not (isinstance(live, dict) and isinstance(backup, dict)):
        return
    for key, value in live.items():
        child = join_pointer(pointer, key)
        if key not in backup:
            yield child
        else:
            yield from keys_only_in(value, backup[key], child)

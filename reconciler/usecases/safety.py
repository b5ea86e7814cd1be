"""Safety rails around apply: protected environments, allowed projects, backups, restore.

* ``protect: true`` in an environment file: apply needs ``--yes`` *and* ``--env-confirm NAME``,
  and ``--allow-weaken`` is refused unless ``protect_allow_weaken: true`` is also set.
* ``reconciler.yaml`` at the repository root may list ``allowed_project_ids``: any Ory Network
  target outside it is refused before a request is sent.
* Before every apply the live config is saved to ``.reconciler/backups/<env>/<revision>.json``
  (mode 0600, no secret in it: ``backup_secrets``); ``restore`` plans the way back to one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import ApplyError, ConfigError
from reconciler.jsontypes import (
    JSONObject,
    JSONValue,
    Pointer,
    dotted_key,
    join_pointer,
    nearest_known,
)
from reconciler.limits import DEFAULT_LIMITS, Limits
from reconciler.loading import yamlio
from reconciler.loading.models import PATTERN_MEANING, REPOSITORY_SCHEMA, RepositorySettings
from reconciler.loading.schema_check import Shape
from reconciler.loading.validate import ValidEnvironment
from reconciler.repository import workdir
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import display_path, inside_repository

if TYPE_CHECKING:  # backups are written and read by apply and restore only (cold start)
    from reconciler.usecases.backup_secrets import BackupContent

REPOSITORY_FILE = "reconciler.yaml"
REPOSITORY_SHAPE = Shape(REPOSITORY_SCHEMA, PATTERN_MEANING)


@dataclass(frozen=True)
class ApplyIntent:
    """What the person (or pipeline) running apply explicitly asked for."""

    yes: bool
    env_confirm: str | None = None
    allow_weaken: bool = False


def check_intent(environment: ValidEnvironment, intent: ApplyIntent) -> None:
    """Refuse an apply to a protected environment that was not confirmed by name."""
    model, name = environment.model, environment.raw.name
    if not model.protect:
        return
    if not intent.yes or intent.env_confirm != name:
        raise ApplyError(
            f"{name} is protected (protect: true): apply needs --yes and --env-confirm {name}; "
            "nothing was changed"
        )
    if intent.allow_weaken and not model.protect_allow_weaken:
        raise ApplyError(
            f"{name} is protected: --allow-weaken is refused unless the environment also sets "
            "protect_allow_weaken: true; nothing was changed"
        )


def repository_settings(root: Path) -> RepositorySettings:
    path = root / REPOSITORY_FILE
    if not path.is_file():
        return RepositorySettings()
    inside_repository(root, path, REPOSITORY_FILE, None)  # a link may not lead elsewhere
    # Every environment's load and every target asks; plan --all reads the file once. Keyed
    # by the file's identity and change time, so an edited file is read again.
    stat = path.stat()
    return _read_settings(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read_settings(path: Path, mtime_ns: int, size: int) -> RepositorySettings:
    shown = display_path(path)
    if size > DEFAULT_LIMITS.max_file_bytes:
        raise ConfigError([f"{shown}: file is larger than {DEFAULT_LIMITS.max_file_bytes} bytes"])
    try:
        document = yamlio.load_with_positions(path.read_text(encoding="utf-8"))
    except yamlio.YamlSyntaxError as exc:
        raise ConfigError([f"{shown}:{exc.line}:{exc.column}: invalid YAML: {exc}"]) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ConfigError([f"{shown}: cannot read: {exc}"]) from None
    data = document.data if document.data is not None else {}
    problems = REPOSITORY_SHAPE.problems(data)
    if problems:
        located = sorted(
            ((_position(document.positions, p.pointer), p) for p in problems),
            key=lambda pair: pair[0],
        )
        raise ConfigError(
            [
                f"{shown}:{line}:{column}: {dotted_key(problem.pointer)}: "
                f"{problem.text(sensitive=False)}"
                for (line, column), problem in located
            ]
        )
    assert isinstance(data, dict)
    return RepositorySettings.from_document(data)


def _position(positions: dict[Pointer, tuple[int, int]], pointer: Pointer) -> tuple[int, int]:
    """Where ``pointer``, or its nearest written ancestor, was written (the file's start for
    the document itself)."""
    return positions.get(nearest_known(pointer, positions), (1, 1))


def input_limits(root: Path) -> Limits:
    """The input bounds for this repository: the defaults, with ``limits:`` laid over them."""
    chosen = repository_settings(root).limits.chosen()
    return replace(DEFAULT_LIMITS, **chosen)


def check_project_allowed(root: Path, project: str) -> None:
    allowed = repository_settings(root).allowed_project_ids
    if allowed is not None and project.lower() not in {p.lower() for p in allowed}:
        raise ConfigError(
            [
                f"project {project} is not in allowed_project_ids of {root / REPOSITORY_FILE}; "
                "refusing to touch it"
            ]
        )


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
    config: JSONObject,
    sensitive: Collection[Pointer] = (),
) -> Path:
    """Save ``config`` with its secrets kept out (``backup_secrets``; ``sensitive``: the
    pointers the environment declares secret)."""
    from reconciler.usecases import backup_secrets

    path = backup_path(root, environment, revision)
    workdir.make_folder(path.parent)
    document = {
        "environment": environment,
        "revision": revision,
        "saved_at": datetime.now(timezone.utc).isoformat(),
        **backup_secrets.to_json(backup_secrets.keep_out(config, sensitive)),
    }
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


def read_backup(path: Path) -> BackupContent:
    from reconciler.usecases import backup_secrets

    try:
        document = json.loads(_backup_text(path))
    except ValueError as exc:
        raise ConfigError([f"{path}: not a reconciler backup: {exc}"]) from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError([f"{path}: not a reconciler backup (no config)"])
    try:
        return backup_secrets.from_json(document, config)
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

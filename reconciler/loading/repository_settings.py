"""``reconciler.yaml`` at the repository root: rules for every environment, read once per run.

* ``limits:`` lowers the bounds on input (``reconciler/limits.py``), never raises them;
* ``allowed_project_ids:`` lists the Ory Network projects a target may name: any other is
  refused before a request is sent.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.jsontypes import Pointer, dotted_key, nearest_known
from reconciler.limits import DEFAULT_LIMITS, Limits
from reconciler.loading import model_messages, yamlio
from reconciler.loading.models import PATTERN_MEANING, RepositorySettings
from reconciler.repository.paths import display_path, inside_repository

REPOSITORY_FILE = "reconciler.yaml"


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
    settings, problems = model_messages.check(RepositorySettings, data, PATTERN_MEANING)
    if settings is None:
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
    return settings


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

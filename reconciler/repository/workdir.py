"""``.reconciler/``: the tool's own folder in a config repository (backups, content cache,
rotation state, saved plans in CI).

Backups hold full live configs, so the folder must never be committed by a ``git add -A``:
whenever reconciler creates something in it, it makes sure the folder ignores itself.

A pull request may commit anything, ``.reconciler`` included: a link named ``.reconciler``
(or ``.reconciler/backups``, or a cache entry) would send what the tool writes, or take what
it reads, anywhere the runner can reach. So the folder is used only through this module,
which refuses a symbolic link anywhere from ``.reconciler`` down to the file (docs/security.md
§7), and reads only plain files of a bounded size.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.repository.paths import display_path

FOLDER_NAME = ".reconciler"
# Ignores everything in the folder, this file included, wherever the repository is cloned.
GITIGNORE = "# Written by reconciler: backups and caches stay out of git.\n*\n"
# Opening never follows a final link, nor waits on a named pipe (where the OS can say so).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def path(root: Path, *parts: str) -> Path:
    return root.joinpath(FOLDER_NAME, *parts)


def refuse_links(target: Path) -> None:
    """ConfigError when ``.reconciler``, or anything below it on the way to ``target``
    (``target`` included), is a symbolic link. A path outside ``.reconciler`` (a plan file
    named on the command line) is not this module's business."""
    for candidate in _own_components(target):
        if candidate.is_symlink():
            raise ConfigError(
                [
                    f"{display_path(candidate)} is a symbolic link: reconciler reads and writes "
                    f"its {FOLDER_NAME} folder only through plain folders and files, so that a "
                    "repository cannot point it elsewhere; remove the link"
                ]
            )


def _own_components(target: Path) -> list[Path]:
    """``.reconciler`` and what lies below it on the way to ``target``; empty outside it."""
    chain = [*reversed(target.parents), target]
    for index, candidate in enumerate(chain):
        if candidate.name == FOLDER_NAME:
            return chain[index:]
    return []


def make_folder(folder: Path) -> Path:
    """Create ``folder`` (at or below a ``.reconciler/``), giving ``.reconciler/`` its
    ``.gitignore`` when it has none; never through a symbolic link."""
    refuse_links(folder)
    try:
        for candidate in _own_components(folder):
            candidate.mkdir(parents=True, exist_ok=True)
            if candidate.name == FOLDER_NAME:
                ignore = candidate / ".gitignore"
                refuse_links(ignore)
                if not ignore.exists():
                    ignore.write_text(GITIGNORE, encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError([f"{display_path(folder)}: cannot create: {exc.strerror}"]) from None
    refuse_links(folder)  # nothing was swapped for a link while the folders were made
    return folder


def read_bytes(target: Path, max_bytes: int) -> bytes | None:
    """The content of a file of ours, or None when there is none. ConfigError when it, or a
    folder on the way below ``.reconciler``, is a link, when it is not a plain file, or when
    it is larger than ``max_bytes``."""
    refuse_links(target)
    try:
        handle = os.open(target, _OPEN_FLAGS if _own_components(target) else os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError([f"{display_path(target)}: cannot read: {exc.strerror}"]) from None
    with os.fdopen(handle, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ConfigError([f"{display_path(target)} is not a plain file; remove it"])
        if status.st_size > max_bytes:
            raise ConfigError([f"{display_path(target)} is larger than {max_bytes} bytes"])
        return stream.read(max_bytes + 1)[:max_bytes]

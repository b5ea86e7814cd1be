"""``.reconciler/``: the tool's own folder in a config repository (backups, content cache).

Backups hold full live configs, so the folder must never be committed by a ``git add -A``:
whenever reconciler creates something in it, it makes sure the folder ignores itself.
"""

from __future__ import annotations

from pathlib import Path

FOLDER_NAME = ".reconciler"
# Ignores everything in the folder, this file included, wherever the repository is cloned.
GITIGNORE = "# Written by reconciler: backups and caches stay out of git.\n*\n"


def path(root: Path, *parts: str) -> Path:
    return root.joinpath(FOLDER_NAME, *parts)


def make_folder(folder: Path) -> Path:
    """Create ``folder`` (at or below a ``.reconciler/``), giving ``.reconciler/`` its
    ``.gitignore`` when it has none."""
    for candidate in (folder, *folder.parents):
        if candidate.name == FOLDER_NAME:
            candidate.mkdir(parents=True, exist_ok=True)
            ignore = candidate / ".gitignore"
            if not ignore.exists():
                ignore.write_text(GITIGNORE, encoding="utf-8")
            break
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""``file://`` references: one rule, wherever one file names another.

A reference names a file relative to the folder of the file that writes it (an environment
file, a Kratos config file), and must resolve, links included, to a file inside the repository
(``paths.inside_repository``): in a pull request, a reference that leaves the repository would
read the runner's files. Every reader (the loader inlines what environment files reference; a
Kratos file target hashes and exports what its file references) resolves through ``resolve``,
and every writer (a Kratos file's links, an export's side files) writes through ``reference``.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.errors import ConfigError, Location
from reconciler.repository.paths import display_path, inside_repository

SCHEME = "file://"


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SCHEME)


def resolve(root: Path, folder: Path, reference: str, location: Location | None) -> Path:
    """The file ``reference`` names from a file in ``folder``, resolved. ConfigError (at
    ``location``) when it leads outside the repository ``root``, or names no file."""
    target = inside_repository(root, folder / reference[len(SCHEME) :], reference, location)
    if target.is_dir():
        raise ConfigError.at(location, f"{reference} is a directory, not a file")
    if not target.is_file():
        raise ConfigError.at(location, f"{reference}: no such file ({display_path(target)})")
    return target


def reference(path: Path | str, folder: Path | None = None) -> str:
    """The reference a file in ``folder`` writes for ``path``; without a folder, ``path`` is
    written as it is given (relative already)."""
    if folder is None:
        return SCHEME + str(path)
    return SCHEME + Path(os.path.relpath(path, folder)).as_posix()

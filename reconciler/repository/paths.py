"""Paths in a config repository: how a message names a file, and the rule that a reference
(``extends``, ``file://``, a Kratos config file target) stays inside the repository."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import ConfigError, Location


def display_path(path: Path) -> str:
    """Relative to the working directory when below it (clickable, short), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def inside_repository(root: Path, path: Path, written: str, location: Location | None) -> Path:
    """``path`` resolved (symlinks included) when it stays under ``root``; otherwise the one
    message every reference that leaves the repository gets (``extends``, ``file://``, a
    Kratos config file target): in a pull request, such a path reads the runner's files."""
    try:
        resolved = path.resolve()
    except (ValueError, OSError) as exc:  # a NUL byte, a symlink loop
        raise ConfigError.at(location, f"{written!r} is no usable path: {exc}") from None
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise ConfigError.at(
            location, f"{written} points outside the repository ({root})"
        ) from None
    return resolved

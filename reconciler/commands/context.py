"""What every command receives: settings, colour, verbosity, and how to log."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # keep `reconciler --version` free of the heavy imports
    from reconciler.usecases import steps

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15, as shells report it


@dataclass(frozen=True)
class Context:
    settings: steps.Settings
    color: bool
    verbose: bool
    quiet: bool = False  # -q: no progress on stderr

    def log(self, message: str) -> None:
        if self.verbose:
            click.echo(message, err=True)


def color_enabled(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())

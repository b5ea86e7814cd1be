"""Everything that can go wrong, written for the user.

Exception tree (only ``cli.main`` turns these into messages and exit codes)::

    ReconcilerError            exit 1: a problem the user can act on
    ├── ConfigError            an environment file is invalid (names file, line and key)
    ├── RemoteError            the Ory API or the target refused or failed
    │   ├── ConflictError      the target changed since the plan (409 / file hash moved)
    │   └── OutcomeUnknownError a write got no answer (timeout, reset, 5xx): it may have landed
    ├── StalePlanError         a saved plan no longer matches live or desired state
    ├── PlanFileError          a saved plan file is unreadable, corrupted or edited (planfile.py)
    ├── ApplyError             apply was refused or did not converge
    └── InterruptedWriteError       SIGINT (exit 130) or SIGTERM (143) during a write: says whether
                               the write landed

    Terminated (a BaseException, like KeyboardInterrupt): SIGTERM arrived (``cli`` raises it)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a value was written: file, 1-based line and column, and the key path."""

    file: str
    line: int
    column: int
    key: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.key}" if self.key else where


class ReconcilerError(Exception):
    """Base of every error the user is meant to read. Exit code 1."""

    exit_code = 1


class ConfigError(ReconcilerError):
    """One or more problems in environment files; each problem is one line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))

    @classmethod
    def at(cls, location: Location | None, message: str) -> ConfigError:
        return cls([f"{location}: {message}" if location else message])


class RemoteError(ReconcilerError):
    """The target (Ory API or Kratos file) could not be read or written."""


class ConflictError(RemoteError):
    """The target moved on since the plan was computed; nothing was changed."""


class OutcomeUnknownError(RemoteError):
    """A write was sent but no answer says whether it took effect; re-read before deciding."""


class StalePlanError(ReconcilerError):
    """A saved plan cannot be applied any more."""


class ApplyError(ReconcilerError):
    """Apply was refused, or it ran but the target did not converge."""


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, as KeyboardInterrupt is for SIGINT: no ``except
    Exception`` may swallow it."""


#: The exit code of a run stopped by each kind of interruption (128 + the signal's number).
INTERRUPTED_EXIT_CODES: dict[type[BaseException], int] = {KeyboardInterrupt: 130, Terminated: 143}


def signal_name(stop: BaseException) -> str:
    return "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"


class InterruptedWriteError(ReconcilerError):
    """A write was interrupted (SIGINT or SIGTERM): the message says whether it landed, as far
    as reading the target again could tell (``landed``: True, False, or None for unknown)."""

    def __init__(self, message: str, stop: BaseException, landed: bool | None) -> None:
        super().__init__(message)
        self.landed = landed
        self.exit_code = INTERRUPTED_EXIT_CODES.get(type(stop), 130)

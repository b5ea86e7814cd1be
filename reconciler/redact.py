"""The output scrubber: no known secret value reaches anything a person or another program
reads. The one module that scrubs; every writer goes through it.

Views already mask secrets by path. This catches the rest (a secret quoted in a schema
message, a list element's label, an exception text, a traceback under -v): every value the run
learns is secret (the API key, values from ``${VAR}``, ``!secret`` and ``secrets:``) is
registered here, and

* ``cli.main`` routes stdout and stderr through ``RedactingStream``;
* ``append`` writes files other programs show (the GitHub job summary);
* the CI pipeline scrubs the pull-request comment, its job log and step outputs
  (``reconciler.ci.job_output``), saved plans scrub their text for people (``planfile``), and
  backups keep out every value that ``holds`` a secret (``usecases/backup_secrets``).

Secrets are kept for one ``session``: the outermost one forgets them when it ends, so the CI
pipeline, which runs the command line several times and writes the comment afterwards, still
knows every secret those runs learned.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from reconciler.jsontypes import JSONValue
from reconciler.secrets import MASK

# Short values would mask ordinary words; secrets shorter than this are not worth it.
MIN_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_sessions = 0


def register(value: object) -> None:
    if isinstance(value, str) and len(value) >= MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    return _scrubbed(text, _known())


def _known() -> list[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers


def _scrubbed(text: str, known: list[str]) -> str:
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def holds(text: str) -> bool:
    """Whether ``text`` contains a known secret value (a backup keeps such a value out)."""
    with _lock:
        known = list(_secrets)
    return any(secret in text for secret in known)


def scrub_json(value: JSONValue) -> JSONValue:
    """A copy of ``value`` with every string in it scrubbed (keys are names, not values)."""
    return _scrubbed_json(value, _known())


def _scrubbed_json(value: JSONValue, known: list[str]) -> JSONValue:
    if isinstance(value, str):
        return _scrubbed(value, known)
    if isinstance(value, dict):
        return {key: _scrubbed_json(item, known) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed_json(item, known) for item in value]
    return value


def forget_all() -> None:
    with _lock:
        _secrets.clear()


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Secrets registered inside are scrubbed until the outermost session ends (one run's
    secrets are no business of the next: tests run many in one process)."""
    global _sessions
    with _lock:
        _sessions += 1
    try:
        yield
    finally:
        with _lock:
            _sessions -= 1
            if _sessions == 0:
                _secrets.clear()


def append(path: Path, text: str) -> None:
    """Append ``text``, scrubbed, to a file another program shows (the job summary)."""
    with path.open("a", encoding="utf-8") as stream:
        stream.write(scrub(text))


class RedactingStream:
    """A text stream that scrubs known secrets from everything written through it."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(scrub(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

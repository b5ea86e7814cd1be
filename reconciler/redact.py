"""Last line of defence: no known secret value reaches stdout or stderr.

Views already mask secrets by path. This catches the rest (a secret quoted in a schema
message, an exception text, a traceback under -v): every value the run learns is secret (the
API key, values from ``${VAR}``, ``!secret`` and ``secrets:``) is registered here, and
``cli.main`` routes both output streams through ``RedactingStream``.
"""

from __future__ import annotations

import threading
from typing import TextIO

from reconciler.secrets import MASK

# Short values would mask ordinary words; secrets shorter than this are not worth it.
MIN_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: object) -> None:
    if isinstance(value, str) and len(value) >= MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def forget_all() -> None:
    with _lock:
        _secrets.clear()


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

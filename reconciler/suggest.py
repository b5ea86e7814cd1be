"""The "did you mean" of every message: the known word a mistyped one most likely meant."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The entry of ``known`` closest to ``word``, if any is close enough (difflib's ratio of
    at least 0.6)."""
    import difflib  # only a message that suggests something pays for it (cold start)

    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None

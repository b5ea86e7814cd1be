"""The "did you mean" of every message: the known word a mistyped one most likely meant."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The entry of ``known`` closest to ``word``, if any is close enough (difflib's ratio of
    at least 0.6)."""
    import difflib  # only a message that suggests something pays for it (cold start)

    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def typo_of(word: str, known: Iterable[str]) -> str | None:
    """The one entry of ``known`` that ``word`` misspells: at most one edit away (a letter
    added, dropped, changed, or two neighbours swapped) for a word of up to five letters, two
    for a longer one; None when there is none or more than one at the same distance."""
    limit = 1 if len(word) <= 5 else 2
    distances = {name: _edits(word, name, limit) for name in known if name != word}
    close = sorted((d, name) for name, d in distances.items() if d <= limit)
    if not close or (len(close) > 1 and close[0][0] == close[1][0]):
        return None
    return close[0][1]


def _edits(a: str, b: str, limit: int) -> int:
    """The optimal string alignment distance of ``a`` and ``b`` (Damerau-Levenshtein without
    edits of edited letters); anything above ``limit`` reads as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        before, previous, row = previous, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 1)
    return min(row[-1], limit + 1)

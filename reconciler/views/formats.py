"""The output formats of ``plan --format`` and ``show --format``, registered once.

A format is a function from what is shown (``Shown``: each environment's outcome, and the
saved-plan documents for the formats that print them) to text, in a module of its own; this
registry names it and imports its module only when it is used. A new format is one module
and one entry in ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.views import Shown

Formatter = Callable[[Shown], str]


@dataclass(frozen=True)
class Format:
    # The format's function, from its module (imported when the format is used).
    load: Callable[[], Formatter]
    # It prints the saved-plan documents: they are made for it (and only for it).
    documents: bool = False


def _text() -> Formatter:
    from reconciler.views import text

    return text.format_shown


def _markdown() -> Formatter:
    from reconciler.views import markdown

    return markdown.format_shown


def _json() -> Formatter:
    from reconciler.views import json_lines

    return json_lines.format_shown


FORMATS: dict[str, Format] = {
    "text": Format(_text),
    "markdown": Format(_markdown),
    "json": Format(_json, documents=True),
}


def format_shown(name: str, shown: Shown) -> str:
    """``shown`` in the format registered as ``name``."""
    return FORMATS[name].load()(shown)

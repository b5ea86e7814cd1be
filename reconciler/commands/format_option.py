"""The ``--format`` choice of ``plan`` and ``show``: the formats registered in
``views/formats.py``, read when the option is, so that a format registered later counts too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from reconciler.views.formats import FORMATS

if TYPE_CHECKING:  # click 8.2+ types Choice by its value; at run time any click >= 8.1 works
    StringChoice = click.Choice[str]
else:
    StringChoice = click.Choice


class FormatChoice(StringChoice):
    """``click.Choice`` over the registered formats (its messages and help unchanged)."""

    def __init__(self) -> None:
        super().__init__(FORMATS)

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(FORMATS)

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        pass  # the registry is the one list of formats


FORMAT = FormatChoice()

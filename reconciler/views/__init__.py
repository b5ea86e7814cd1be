"""Plans and results as people and programs read them: text, Markdown for pull requests, the
saved-plan JSON. Pure: a plan in, text out; views decide nothing and read no schema (the plan
carries what they show). ``formats.py`` registers the formats ``--format`` offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.plan.value import PlanOutcome


@dataclass(frozen=True)
class Shown:
    """What a format shows. ``documents``: each plan's saved-plan document as text (the JSON
    a plan file holds), made only for a format that prints them."""

    outcomes: Sequence[PlanOutcome]
    documents: Sequence[str] = ()
    color: bool = False
    verbose: bool = False

"""Plans as JSON: the saved-plan documents (``docs/plan-format.md``), one per line when
several environments are planned (JSON Lines), so one environment's output is plain JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.views import Shown


def format_shown(shown: Shown) -> str:
    return "".join(shown.documents)

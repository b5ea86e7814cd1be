"""What the checks say, as plans carry it: one finding type for every check (lint rules produce
it, the review locates it, plans carry it, views print it and the plan file stores it:
``notes`` in ``docs/plan-format.md``), and the security impact of a change (``security.py``
judges it).

Imports nothing but the standard library, ``jsontypes`` and the words of an impact
(``services/impact``): a plan, a view or the plan file can name a finding without importing
the checks themselves (and through them the schema
libraries), which keeps the commands' cold start short (issue 14).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace
from typing import Literal

from reconciler.jsontypes import Pointer
from reconciler.services.impact import Impact

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class SecurityImpact:
    """Does a change weaken, strengthen or not touch security, and why (``security.classify``)."""

    impact: Impact
    reason: str


NEUTRAL = SecurityImpact("neutral", "")


@dataclass(frozen=True)
class Finding:
    """Which check, how bad, what is wrong, where, and how to fix it.

    Where comes twice: ``pointers`` say where in the identity config (what a lint rule
    knows), ``where`` says where the user wrote it (``file:line:col: key``, what the review
    adds; empty when the value is not theirs, e.g. it came from live).
    """

    rule_id: str
    severity: Severity
    message: str
    _: KW_ONLY
    pointers: tuple[Pointer, ...] = ()
    where: str = ""
    fix: str = ""
    # The reason the rule was disabled under ``lint: disable``: reported, but never blocks.
    acknowledged: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error" and not self.acknowledged

    @property
    def label(self) -> str:
        if self.acknowledged:
            return "Acknowledged"
        return "Error" if self.is_error else "Warning"

    def describe(self) -> str:
        """``Error [rule] file:line:col: key: message`` (without the fix)."""
        return f"{self.label} [{self.rule_id}] " + (
            f"{self.where}: {self.message}" if self.where else self.message
        )

    def located(self, where: str, acknowledged: str = "") -> Finding:
        """This finding, placed in the user's files and marked acknowledged when disabled."""
        return replace(self, where=where, acknowledged=acknowledged)

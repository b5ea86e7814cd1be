"""Progress on stderr while many environments are planned, or one is applied.

Where stderr is a terminal, click's progress bar (one line, updated in place); elsewhere (CI
logs, a pipe) a line per finished environment or step, so a long run says it is alive without
filling the log with bars. ``-q/--quiet`` silences both; results stay on stdout.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from reconciler.plan.value import PlanOutcome


class PlanProgress:
    """Told how many environments a run plans (``begin``) and each one as it is finished,
    in the order they finish (``reconcile.plan_many`` calls it on its own thread)."""

    def __init__(self, *, quiet: bool, stream: TextIO | None = None) -> None:
        self._quiet = quiet
        self._stream = stream
        self._bar: ProgressBar[str] | None = None
        self._total = self._done = 0

    @property
    def _file(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def begin(self, total: int) -> None:
        self._total = total
        if self._quiet or total == 0 or not self._file.isatty():
            return
        self._bar = click.progressbar(
            length=total,
            label="Planning",
            file=self._file,
            show_pos=True,
            show_eta=False,
            item_show_func=lambda name: name,
        )
        self._bar.__enter__()

    def finished(self, outcome: PlanOutcome) -> None:
        self._done += 1
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.update(1, current_item=outcome.name)
            return
        click.echo(
            f"[{self._done}/{self._total}] {outcome.name}: {_result(outcome)}",
            err=True,
            file=self._stream,
        )

    def close(self) -> None:
        """End the bar's line (before results and errors are printed)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _result(outcome: PlanOutcome) -> str:
    if outcome.plan is None:
        return "failed"
    if outcome.plan.is_empty:
        return "no changes"
    count = len(outcome.plan.changes)
    return f"{count} change{'s' if count != 1 else ''}"


def step(message: str, *, quiet: bool) -> None:
    """One step of a single environment's run (apply): a line on stderr unless ``quiet``."""
    if not quiet:
        click.echo(message, err=True)

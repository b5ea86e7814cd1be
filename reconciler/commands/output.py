"""What several commands show and ask: a plan before it is sent and the confirmation it needs
(apply, restore), and the variables an exported file needs (export, init)."""

from __future__ import annotations

import sys

import click

from reconciler.commands import progress
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context
from reconciler.errors import ReconcilerError
from reconciler.plan.value import Plan
from reconciler.usecases.applying import NotApplied
from reconciler.usecases.guards import Review
from reconciler.usecases.side_files import Variable, describe_variable
from reconciler.views import text as views


def review(obj: Context, *, allow_weaken: bool, verb: str = "apply") -> Review:
    """The plan printed before it is sent, and the question whether to send it (``verb``:
    the command asking, apply or restore)."""

    def show(plan: Plan) -> None:
        shown = views.format_plan(
            plan, color=obj.color, verbose=obj.verbose, allow_weaken=allow_weaken
        )
        click.echo(shown, nl=False)

    return Review(
        show=show,
        confirm=lambda plan: confirmed(plan.environment, verb),
        step=lambda message: progress.step(message, quiet=obj.quiet),
    )


def not_applied(result: NotApplied, verb: str) -> int:
    """The exit code of a plan that was not sent: none was needed, or the person said no."""
    if not result.cancelled:
        return EXIT_OK
    click.echo(f"{verb} cancelled; nothing was changed.", err=True)
    return EXIT_ERROR


def confirmed(environment: str, verb: str = "apply") -> bool:
    """Ask on the terminal; only ``yes`` counts."""
    if not sys.stdin.isatty():
        raise ReconcilerError(
            f"{verb} needs confirmation but standard input is not a terminal; "
            f"pass --yes to {verb} without asking"
        )
    # No default shown: click would print an empty "[]" after the question.
    answer: str = click.prompt(
        f"{verb.capitalize()} these changes to {environment}? Only 'yes' is accepted",
        default="",
        show_default=False,
        err=True,
    )
    return answer.strip() == "yes"


def list_variables(variables: tuple[Variable, ...]) -> None:
    if not variables:
        return
    click.echo("Variables the environment needs (set them before plan or apply):", err=True)
    for variable in variables:
        click.echo(f"  {describe_variable(variable)}", err=True)

"""``reconciler apply ENV``"""

from __future__ import annotations

import sys

import click

from reconciler import reconcile, views
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context
from reconciler.errors import ReconcilerError


@click.command()
@click.argument("environment")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--allow-weaken", is_flag=True, help="Apply even when changes weaken security (MFA, AAL…)."
)
@click.pass_obj
def apply(obj: Context, environment: str, yes: bool, allow_weaken: bool) -> int:
    """Plan, show the plan, ask for confirmation, apply it and verify the result."""
    valid = reconcile.load(environment, obj.settings)
    target = reconcile.open_target(valid, obj.settings)
    try:
        planned = reconcile.plan_environment(valid, target, obj.settings)
        click.echo(views.format_plan(planned, color=obj.color), nl=False)
        if planned.is_empty:
            return EXIT_OK
        reconcile.refuse_unsafe(planned, allow_weaken=allow_weaken)
        if not yes and not _confirmed(environment):
            click.echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        obj.log(f"{environment}: applying {len(planned.operations)} operation(s)")
        result = reconcile.apply_plan(
            planned, valid, target, obj.settings, allow_weaken=allow_weaken
        )
    finally:
        target.close()
    if result.outcome.warnings:
        click.echo(views.format_warnings(result.outcome.warnings), err=True, nl=False)
    click.echo(views.applied(planned, result.outcome.state.revision), nl=False)
    return EXIT_OK


def _confirmed(environment: str) -> bool:
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs confirmation but standard input is not a terminal; "
            "pass --yes to apply without asking"
        )
    answer: str = click.prompt(
        f"Apply these changes to {environment}? Only 'yes' is accepted", default="", err=True
    )
    return answer.strip() == "yes"

"""``reconciler apply ENV`` and ``reconciler apply --plan FILE``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import planfile, reconcile, views
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context
from reconciler.errors import ReconcilerError


@click.command()
@click.argument("environment", required=False)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply exactly this saved plan (from `plan --out`); refused when it is stale.",
)
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--allow-weaken", is_flag=True, help="Apply even when changes weaken security (MFA, AAL…)."
)
@click.pass_obj
def apply(
    obj: Context, environment: str | None, plan_file: Path | None, yes: bool, allow_weaken: bool
) -> int:
    """Plan, show the plan, ask for confirmation, apply it and verify the result.

    With --plan FILE, apply a saved plan as reviewed, without asking: it is refused, and
    nothing is written, when the live revision, the desired files or a secret changed since.
    """
    if (environment is None) == (plan_file is None):
        raise click.UsageError("name an environment, or pass --plan FILE (not both)")
    if plan_file is not None:
        return _apply_saved(obj, plan_file, allow_weaken)
    assert environment is not None
    return _plan_and_apply(obj, environment, yes, allow_weaken)


def _apply_saved(obj: Context, plan_file: Path, allow_weaken: bool) -> int:
    saved = planfile.read(plan_file)
    click.echo(views.format_plan(saved.plan, color=obj.color), nl=False)
    obj.log(f"{saved.plan.environment}: checking the plan against the repository and live state")
    result = reconcile.apply_saved_plan(saved, obj.settings, allow_weaken=allow_weaken)
    if result is None:
        return EXIT_OK
    if result.outcome.warnings:
        click.echo(views.format_warnings(result.outcome.warnings), err=True, nl=False)
    click.echo(views.applied(result.plan, result.outcome.state.revision), nl=False)
    return EXIT_OK


def _plan_and_apply(obj: Context, environment: str, yes: bool, allow_weaken: bool) -> int:
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

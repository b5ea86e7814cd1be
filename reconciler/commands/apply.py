"""``reconciler apply ENV`` and ``reconciler apply --plan FILE``"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.errors import ReconcilerError
from reconciler.loading.repository_settings import input_limits
from reconciler.plan import planfile_reader
from reconciler.plan.value import Plan
from reconciler.usecases import reconcile, steps
from reconciler.usecases.guards import ApplyIntent, check_intent, refuse_unsafe
from reconciler.views import text as views


@click.command(epilog=help_text.epilog((*help_text.ONLINE, "RECONCILER_PLAN_KEY")))
@click.argument("environment", required=False, type=ENVIRONMENT)
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
@click.option(
    "--env-confirm",
    metavar="NAME",
    help="Name the environment again; required for environments with protect: true.",
)
@click.pass_obj
def apply(
    obj: Context,
    environment: str | None,
    plan_file: Path | None,
    yes: bool,
    allow_weaken: bool,
    env_confirm: str | None,
) -> int:
    """Plan, show the plan, ask for confirmation, apply it and verify the result.

    With --plan FILE, apply a saved plan as reviewed, without asking: the environment is
    planned again and applied only when it sends exactly the saved operations; it is refused,
    and nothing is written, when the live revision, the desired files or a secret changed
    since, or the file was edited. With RECONCILER_PLAN_KEY set, the plan must be signed with it.
    """
    if (environment is None) == (plan_file is None):
        raise click.UsageError("name an environment, or pass --plan FILE (not both)")
    intent = ApplyIntent(yes=yes, env_confirm=env_confirm, allow_weaken=allow_weaken)
    if plan_file is not None:
        return _apply_saved(obj, plan_file, intent)
    assert environment is not None
    return _plan_and_apply(obj, environment, intent)


def _apply_saved(obj: Context, plan_file: Path, intent: ApplyIntent) -> int:
    limits = input_limits(obj.settings.root)
    saved = planfile_reader.read(plan_file, obj.settings.plan_key, limits.max_plan_bytes)
    # A saved plan was reviewed already, so no prompt: --plan stands for --yes.
    confirmed = replace(intent, yes=True)
    check_intent(steps.load(saved.plan.environment, obj.settings), confirmed)
    obj.log(f"{saved.plan.environment}: planning again to check the saved plan against it")

    def show(plan: Plan) -> None:  # the plan about to be sent, equal to the saved one
        click.echo(views.format_plan(plan, color=obj.color, verbose=obj.verbose), nl=False)

    result = reconcile.apply_saved_plan(
        saved, obj.settings, allow_weaken=intent.allow_weaken, show=show
    )
    if result is None:
        click.echo(views.format_plan(saved.plan, color=obj.color), nl=False)
        return EXIT_OK
    _report(obj, result)
    return EXIT_OK


def _report(obj: Context, result: reconcile.ApplyResult) -> None:
    if result.backup is not None:
        click.echo(f"Live config before this apply saved to {result.backup}", err=True)
    for note in result.outcome.notes:
        click.echo(f"Note: {note}", err=True)
    if result.warnings:
        click.echo(views.format_warnings(result.warnings), err=True, nl=False)
    if result.unrelated_warnings:
        obj.log(
            f"The target also sent {len(result.unrelated_warnings)} warning(s) about keys this "
            "environment does not set (Ory Network sends them on every write): "
            + " ".join(result.unrelated_warnings)
        )
    click.echo(views.applied(result.plan, result.outcome.state.revision), nl=False)


def _plan_and_apply(obj: Context, environment: str, intent: ApplyIntent) -> int:
    valid = steps.load(environment, obj.settings)
    checked = steps.refuse_invalid(valid, obj.settings)
    check_intent(valid, intent)
    target = steps.open_target(valid, obj.settings)
    try:
        planned = reconcile.plan_environment(valid, target, obj.settings, checked=checked)
        stop = show_and_confirm(obj, planned, intent, "Apply")
        if stop is not None:
            return stop
        obj.log(f"{environment}: applying {len(planned.operations)} operation(s)")
        result = reconcile.apply_plan(
            planned, valid, target, obj.settings, allow_weaken=intent.allow_weaken
        )
    finally:
        target.close()
    _report(obj, result)
    return EXIT_OK


def show_and_confirm(obj: Context, planned: Plan, intent: ApplyIntent, verb: str) -> int | None:
    """Print the plan, refuse what is unsafe, ask; an exit code when it stops here."""
    click.echo(views.format_plan(planned, color=obj.color, verbose=obj.verbose), nl=False)
    if planned.is_empty:
        return EXIT_OK
    refuse_unsafe(planned, allow_weaken=intent.allow_weaken)
    if not intent.yes and not confirmed(planned.environment):
        click.echo(f"{verb} cancelled; nothing was changed.", err=True)
        return EXIT_ERROR
    return None


def confirmed(environment: str) -> bool:
    """Ask on the terminal; only ``yes`` counts."""
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs confirmation but standard input is not a terminal; "
            "pass --yes to apply without asking"
        )
    # No default shown: click would print an empty "[]" after the question.
    answer: str = click.prompt(
        f"Apply these changes to {environment}? Only 'yes' is accepted",
        default="",
        show_default=False,
        err=True,
    )
    return answer.strip() == "yes"

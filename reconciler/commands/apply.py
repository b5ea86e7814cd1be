"""``reconciler apply ENV`` and ``reconciler apply --plan FILE``"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands import help_text, output
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.commands.identity_options import (
    IDENTITY_SAMPLE,
    NO_IDENTITY_COUNTS,
    counting,
)
from reconciler.usecases import reconcile
from reconciler.usecases.applying import ApplyResult, NotApplied
from reconciler.usecases.guards import ApplyIntent
from reconciler.usecases.steps import Settings
from reconciler.views import text as views


@click.command(
    epilog=help_text.epilog(
        (*help_text.ONLINE, *help_text.PROJECT_API, "RECONCILER_PLAN_KEY"),
        help_text.WITHOUT_CHANGES,
    )
)
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
@NO_IDENTITY_COUNTS
@IDENTITY_SAMPLE
@click.pass_obj
def apply(
    obj: Context,
    environment: str | None,
    plan_file: Path | None,
    yes: bool,
    allow_weaken: bool,
    env_confirm: str | None,
    no_identity_counts: bool,
    identity_sample: int | None,
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
    settings = counting(
        obj.settings, sample=identity_sample, enabled=not no_identity_counts, quiet=obj.quiet
    )
    return _plan_and_apply(obj, environment, intent, settings)


def _apply_saved(obj: Context, plan_file: Path, intent: ApplyIntent) -> int:
    # shows the plan about to be sent, equal to the saved one
    review = output.review(obj, allow_weaken=intent.allow_weaken)
    result = reconcile.apply_plan_file(plan_file, obj.settings, intent, review.show, review.step)
    if isinstance(result, NotApplied):
        shown = views.format_plan(result.plan, color=obj.color, allow_weaken=intent.allow_weaken)
        click.echo(shown, nl=False)
        return EXIT_OK
    _report(obj, result)
    return EXIT_OK


def _report(obj: Context, result: ApplyResult) -> None:
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


def _plan_and_apply(obj: Context, environment: str, intent: ApplyIntent, settings: Settings) -> int:
    result = reconcile.apply_environment(
        environment, settings, intent, output.review(obj, allow_weaken=intent.allow_weaken)
    )
    if isinstance(result, NotApplied):
        return output.not_applied(result, "Apply")
    _report(obj, result)
    return EXIT_OK

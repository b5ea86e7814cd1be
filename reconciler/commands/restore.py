"""``reconciler restore ENV BACKUP``"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import reconcile, views
from reconciler.commands.apply import confirmed
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context
from reconciler.restore import apply_restore, backup_of, plan_restore
from reconciler.safety import ApplyIntent, check_intent


@click.command()
@click.argument("environment")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Restore without asking for confirmation.")
@click.option("--allow-weaken", is_flag=True, help="Restore even when it weakens security.")
@click.option("--env-confirm", metavar="NAME", help="Required for protected environments.")
@click.pass_obj
def restore(
    obj: Context,
    environment: str,
    backup: Path,
    yes: bool,
    allow_weaken: bool,
    env_confirm: str | None,
) -> int:
    """Plan and apply the way back to a backup from .reconciler/backups/ENV/."""
    valid = reconcile.load(environment, obj.settings)
    check_intent(valid, ApplyIntent(yes=yes, env_confirm=env_confirm, allow_weaken=allow_weaken))
    wanted = backup_of(backup)
    target = reconcile.open_target(valid, obj.settings)
    try:
        planned = plan_restore(environment, target, wanted)
        click.echo(views.format_plan(planned, color=obj.color), nl=False)
        if planned.is_empty:
            return EXIT_OK
        reconcile.refuse_unsafe(planned, allow_weaken=allow_weaken)
        if not yes and not confirmed(environment):
            click.echo("Restore cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        result = apply_restore(planned, wanted, target, obj.settings, allow_weaken=allow_weaken)
    finally:
        target.close()
    if result.backup is not None:
        click.echo(f"Live config before this restore saved to {result.backup}", err=True)
    click.echo(views.applied(planned, result.outcome.state.revision), nl=False)
    return EXIT_OK

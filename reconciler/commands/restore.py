"""``reconciler restore ENV BACKUP`` and ``reconciler restore --list ENV``"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands import help_text
from reconciler.commands.apply import show_and_confirm
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.repository.paths import display_path
from reconciler.usecases import steps
from reconciler.usecases.backups import list_backups
from reconciler.usecases.guards import ApplyIntent, check_intent
from reconciler.usecases.restore import apply_restore, backup_of, plan_restore
from reconciler.views import text as views


@click.command(epilog=help_text.epilog(help_text.ONLINE))
@click.argument("environment", type=ENVIRONMENT)
@click.argument("backup", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "list_only", is_flag=True, help="List ENV's backups, newest first.")
@click.option("--yes", "-y", is_flag=True, help="Restore without asking for confirmation.")
@click.option("--allow-weaken", is_flag=True, help="Restore even when it weakens security.")
@click.option("--env-confirm", metavar="NAME", help="Required for protected environments.")
@click.pass_obj
def restore(
    obj: Context,
    environment: str,
    backup: Path | None,
    list_only: bool,
    yes: bool,
    allow_weaken: bool,
    env_confirm: str | None,
) -> int:
    """Plan and apply the way back to a backup from .reconciler/backups/ENV/ (--list: which
    backups there are, with their dates)."""
    if list_only == (backup is not None):
        raise click.UsageError("name a BACKUP file to restore, or pass --list (not both)")
    if backup is None:
        return _list(obj, environment)
    valid = steps.load(environment, obj.settings)
    intent = ApplyIntent(yes=yes, env_confirm=env_confirm, allow_weaken=allow_weaken)
    check_intent(valid, intent)
    wanted = backup_of(backup)
    declared = steps.render(valid)  # may hold a secret the backup left out
    target = steps.open_target(valid, obj.settings)
    try:
        planned = plan_restore(environment, target, wanted, obj.settings, declared)
        stop = show_and_confirm(obj, planned, intent, "Restore")
        if stop is not None:
            return stop
        result = apply_restore(
            planned, wanted, target, obj.settings, allow_weaken=allow_weaken, declared=declared
        )
    finally:
        target.close()
    if result.backup is not None:
        click.echo(f"Live config before this restore saved to {result.backup}", err=True)
    click.echo(views.applied(planned, result.outcome.state.revision), nl=False)
    return EXIT_OK


def _list(obj: Context, environment: str) -> int:
    backups = list_backups(obj.settings.root, environment)
    if not backups:
        click.echo(f"No backups of {environment} yet (apply keeps one before every change).")
        return EXIT_OK
    for backup in backups:
        saved = backup.saved_at.strftime("%Y-%m-%d %H:%M:%S %Z")
        click.echo(f"{saved}  {display_path(backup.path)}  (revision {backup.revision})")
    return EXIT_OK

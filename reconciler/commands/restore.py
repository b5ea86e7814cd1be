"""``reconciler restore ENV BACKUP`` and ``reconciler restore --list ENV``"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands import help_text, output
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.repository.paths import display_path
from reconciler.usecases.applying import NotApplied
from reconciler.usecases.backups import list_backups
from reconciler.usecases.guards import ApplyIntent
from reconciler.usecases.restore import restore_environment
from reconciler.views import text as views


@click.command(epilog=help_text.epilog(help_text.ONLINE, help_text.WITHOUT_CHANGES))
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
    intent = ApplyIntent(yes=yes, env_confirm=env_confirm, allow_weaken=allow_weaken)
    review = output.review(obj, allow_weaken=allow_weaken, verb="restore")
    result = restore_environment(environment, backup, obj.settings, intent, review)
    if isinstance(result, NotApplied):
        return output.not_applied(result, "Restore")
    if result.backup is not None:
        click.echo(f"Live config before this restore saved to {result.backup}", err=True)
    click.echo(views.applied(result.plan, result.outcome.state.revision), nl=False)
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

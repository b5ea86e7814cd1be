"""``reconciler validate [ENV...]``"""

from __future__ import annotations

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_ERROR, EXIT_OK, Context, indent
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.errors import ReconcilerError
from reconciler.loading.validate import ValidEnvironment
from reconciler.services import registry
from reconciler.usecases import checking, steps

NOT_FOR_NETWORK = (
    "--kratos-version is for Kratos files: an Ory Network project is judged by Kratos master "
    "and the Ory Network keys"
)


def _judged_by_master(environment: ValidEnvironment) -> bool:
    """A target judged by Kratos master, not by a release (an Ory Network project)."""
    target = environment.model.target
    return target is not None and not registry.IDENTITY.judging[target.kind].by_release


@click.command(epilog=help_text.epilog(help_text.OFFLINE, help_text.WITHOUT_CHANGES))
@click.argument("environments", nargs=-1, type=ENVIRONMENT)
@click.pass_obj
def validate(obj: Context, environments: tuple[str, ...]) -> int:
    """Load, merge and type-check environments (all when none is named). No network."""
    names = environments or tuple(steps.environment_names(obj.settings.root))
    failed = 0
    for name in names:
        try:
            # Pre-commit runs offline, without the secrets: unset ones are warnings here.
            environment = steps.load(name, obj.settings, allow_unset=True)
            verdict = checking.judge(environment, obj.settings)
            notes = verdict.notes
            if obj.settings.kratos_version is not None:  # an upgrade check: the file too
                from reconciler.usecases import upgrade  # opens the target: Kratos files only

                notes += upgrade.file_findings(environment, obj.settings)
        except ReconcilerError as exc:
            failed += 1
            click.echo(f"{name}: invalid", err=True)
            click.echo(indent(str(exc)), err=True)
            continue
        errors = sum(note.is_error for note in notes)
        failed += bool(errors)
        click.echo(f"{name}: {'invalid' if errors else 'valid'}")
        if verdict.release is not None:
            click.echo(indent(f"judged by the {verdict.release.describe()}"), err=True)
        elif _judged_by_master(environment) and obj.settings.kratos_version is not None:
            click.echo(indent(NOT_FOR_NETWORK), err=True)
        if notes:
            # The text view (and the plan types it knows) is only needed to print findings.
            from reconciler.views import text as views

            click.echo(indent(views.format_notes(notes, color=obj.color)), err=True)
    return EXIT_ERROR if failed else EXIT_OK

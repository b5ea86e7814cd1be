"""``reconciler plan ENV... | --all``"""

from __future__ import annotations

import click

from reconciler import reconcile, views
from reconciler.commands.context import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Context
from reconciler.errors import ReconcilerError


@click.command()
@click.argument("environments", nargs=-1)
@click.option("--all", "all_environments", is_flag=True, help="Plan every environment.")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are."
)
@click.pass_obj
def plan(
    obj: Context, environments: tuple[str, ...], all_environments: bool, detailed_exitcode: bool
) -> int:
    """Fetch live config, diff it with the desired state and print the plan. Never writes."""
    names = _plan_names(obj, environments, all_environments)
    failed, changed = 0, False
    for index, name in enumerate(names):
        if index:
            click.echo("")
        try:
            valid = reconcile.load(name, obj.settings)
            target = reconcile.open_target(valid, obj.settings)
            try:
                obj.log(f"{name}: reading {target.description}")
                result = reconcile.plan_environment(valid, target, obj.settings)
            finally:
                target.close()
        except ReconcilerError as exc:
            failed += 1
            click.echo(f"{name}: error: {exc}", err=True)
            continue
        changed = changed or not result.is_empty
        failed += bool(result.errors)
        click.echo(views.format_plan(result, color=obj.color), nl=False)
    if failed:
        return EXIT_ERROR
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK


def _plan_names(obj: Context, environments: tuple[str, ...], all_environments: bool) -> list[str]:
    if all_environments == bool(environments):
        raise click.UsageError("name one or more environments, or pass --all (not both)")
    if environments:
        return list(environments)
    return [
        name
        for name in reconcile.environment_names(obj.settings.root)
        if reconcile.load(name, obj.settings).model.target is not None
    ]

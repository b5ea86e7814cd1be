"""``reconciler diff ENV_A ENV_B [--live] [--ignore PATH]...``"""

from __future__ import annotations

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.plan.value import Plan
from reconciler.services import registry
from reconciler.usecases import compare as comparing
from reconciler.views import text as views


@click.command("diff", epilog=help_text.epilog(help_text.ONLINE, help_text.WITHOUT_CHANGES))
@click.argument("environment_a", type=ENVIRONMENT)
@click.argument("environment_b", type=ENVIRONMENT)
@click.option("--live", is_flag=True, help="Compare the two targets' live configs instead.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="POINTER",
    help="Hide differences at or below this JSON pointer (repeatable), e.g. /courier/smtp.",
)
@click.pass_obj
def diff(
    obj: Context, environment_a: str, environment_b: str, live: bool, ignore: tuple[str, ...]
) -> int:
    """What promoting ENV_A to ENV_B would change in ENV_B (desired states; --live: live)."""
    for pointer in ignore:
        if not pointer.startswith("/"):
            raise click.BadParameter(f"{pointer!r} is not a JSON pointer", param_hint="--ignore")
    compare = comparing.compare_live if live else comparing.compare_desired
    result = compare(environment_a, environment_b, obj.settings, ignore)
    what = "live configs" if live else "desired states"
    click.echo(f"Promoting {environment_a} to {environment_b} ({what}):")
    if live:
        click.echo(f"Live revisions: {result.plan.revision}")
    click.echo("")
    click.echo(_changes(result.plan, obj.color), nl=False)
    if result.only_in_b:
        click.echo("")
        click.echo(
            f"Set in {environment_b} only (promoting {environment_a} leaves them as they are):"
        )
        services = {service for service, _, _ in result.only_in_b} | {*result.plan.services()}
        for service, pointer, value in result.only_in_b:
            key = registry.named(service).key
            named = f"{key}{pointer or '/'}" if len(services) > 1 else pointer or "/"
            shown = views.display_value(value, pointer, result.plan, service)
            click.echo(f"  {named}: {shown}")
    return EXIT_OK


def _changes(plan: Plan, color: bool) -> str:
    # A comparison of two environments has no environment header and nothing to apply.
    return views.format_changes(plan, color=color)

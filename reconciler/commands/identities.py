"""``reconciler identities ENV``: the project's identity counts on their own."""

from __future__ import annotations

import json

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.commands.identity_options import IDENTITY_SAMPLE, counting
from reconciler.usecases import census
from reconciler.views.text import identity_lines


@click.command(
    epilog=help_text.epilog((*help_text.ONLINE, *help_text.PROJECT_API), help_text.WITHOUT_CHANGES)
)
@click.argument("environment", type=ENVIRONMENT)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="text for people, json for machines.",
)
@IDENTITY_SAMPLE
@click.pass_obj
def identities(
    obj: Context, environment: str, output_format: str, identity_sample: int | None
) -> int:
    """Count the identities of ENV's Ory Network project: by schema, by credential type, and
    how many have a one-time-code address (the email-code second factor once
    code.mfa_enabled is on) with no other second factor. Read-only; needs
    ORY_PROJECT_API_KEY. Counts only: no trait, address or id is printed."""
    settings = counting(obj.settings, sample=identity_sample, quiet=obj.quiet)
    report = census.identity_report(environment, settings)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
        return EXIT_OK
    lines = [report.target, *identity_lines(report.counts)]
    state = "on" if report.code_mfa_enabled else "off"
    lines.append(
        f"code.mfa_enabled is {state} in the live project"
        + (
            ": identities with a one-time-code address are asked for a code second factor "
            "wherever required_aal is highest_available"
            if report.code_mfa_enabled
            else ": nobody is asked for a code second factor today"
        )
    )
    click.echo("\n".join(lines))
    return EXIT_OK

"""``reconciler render ENV``"""

from __future__ import annotations

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.loading.yamlio import dump_plain
from reconciler.secrets import mask
from reconciler.usecases import steps


@click.command(epilog=help_text.epilog(("${NAME}",)))
@click.argument("environment", type=ENVIRONMENT)
@click.pass_obj
def render(obj: Context, environment: str) -> int:
    """Print the desired identity config as YAML (secrets masked). No network."""
    valid = steps.load(environment, obj.settings)
    secret = steps.sensitive_pointers(valid)
    click.echo(dump_plain(mask(steps.desired(valid), "", secret)), nl=False)
    return EXIT_OK

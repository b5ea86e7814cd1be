"""``reconciler render ENV``"""

from __future__ import annotations

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.jsontypes import JSONObject
from reconciler.loading.yamlio import dump_plain
from reconciler.usecases import steps


@click.command(epilog=help_text.epilog(("${NAME}",), help_text.WITHOUT_CHANGES))
@click.argument("environment", type=ENVIRONMENT)
@click.pass_obj
def render(obj: Context, environment: str) -> int:
    """Print the desired identity config as YAML (secrets masked); with other config services
    set, each under its key. No network."""
    valid = steps.load(environment, obj.settings)
    desired = steps.desired(valid)
    shown: JSONObject = {}
    for service in valid.services:
        secret = steps.sensitive_pointers(valid, service)
        masked = service.secrets.mask(desired[service.name], "", secret)
        assert isinstance(masked, dict)
        shown[service.key] = masked
    if len(shown) == 1:  # the identity config alone, as it is sent
        click.echo(dump_plain(next(iter(shown.values()))), nl=False)
    else:
        click.echo(dump_plain(shown), nl=False)
    return EXIT_OK

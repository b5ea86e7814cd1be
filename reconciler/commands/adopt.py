"""``reconciler adopt ENV [--write]`` (also spelled ``export ENV --into [--write]``)"""

from __future__ import annotations

import click

from reconciler.commands import help_text
from reconciler.commands.context import Context
from reconciler.commands.drift import show_drift
from reconciler.commands.environment_arg import ENVIRONMENT


@click.command(
    "adopt", epilog=help_text.epilog((*help_text.API, *help_text.SCHEMA), help_text.WITHOUT_CHANGES)
)
@click.argument("environment", type=ENVIRONMENT)
@click.option("--write", is_flag=True, help="Write the live values into ENV's own file.")
@click.option(
    "--into-layer",
    is_flag=True,
    help="Write each value into the file that declares it, a shared layer too (the other "
    "environments that extend it are named: they change as well).",
)
@click.pass_obj
def adopt(obj: Context, environment: str, write: bool, into_layer: bool) -> int:
    """Show live values that differ from what ENV declares, with the file and line that
    declares each; --write takes them into ENV's own file (comments and layout kept): a value
    a shared layer (base.yaml) declares is written there as an override for ENV only, so no
    other environment changes; --into-layer writes it into the layer instead. Secrets, ${VAR}
    and file:// values, identity schemas and remove: entries are never written back. Reads
    live, never writes to the target."""
    return show_drift(obj, environment, write, into_layer)

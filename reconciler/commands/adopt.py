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
@click.option("--write", is_flag=True, help="Write the live values into the declaring files.")
@click.pass_obj
def adopt(obj: Context, environment: str, write: bool) -> int:
    """Show live values that differ from what ENV declares, with the file and line that
    declares each; --write takes them into those files (comments and layout kept). Secrets,
    ${VAR} and file:// values, identity schemas and remove: entries are never written back.
    Reads live, never writes to the target."""
    return show_drift(obj, environment, write)

"""``reconciler export ENV`` (and ``export ENV --into [--write]``, the older spelling of
``reconciler adopt ENV [--write]``)"""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.drift import show_drift
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.commands.output import list_variables
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject
from reconciler.loading.loader import environment_path
from reconciler.repository.paths import display_path, inside_repository
from reconciler.usecases import onboard


@click.command(
    "export",
    epilog=help_text.epilog((*help_text.API, *help_text.SCHEMA), help_text.WITHOUT_CHANGES),
)
@click.argument("environment", type=ENVIRONMENT)
@click.option(
    "--out",
    help="Where to write the environment file; '-' prints it. Default: environments/ENV.yaml.",
)
@click.option("--extends", help="Export only what differs from this base layer (e.g. base.yaml).")
@click.option("--force", is_flag=True, help="Overwrite files that exist and differ.")
@click.option("--target-project", help="New environment: the Ory Network project id to read.")
@click.option(
    "--kratos-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="New environment: the Kratos config file to read.",
)
@click.option("--into", is_flag=True, help="Same as `reconciler adopt ENV` (kept as an alias).")
@click.option("--write", is_flag=True, help="With --into: as `reconciler adopt ENV --write`.")
@click.pass_obj
def export_command(
    obj: Context,
    environment: str,
    out: str | None,
    extends: str | None,
    force: bool,
    target_project: str | None,
    kratos_file: Path | None,
    into: bool,
    write: bool,
) -> int:
    """Write a minimal environment file (plus schema and Jsonnet files) from live config."""
    if write and not into:
        raise click.UsageError("--write only goes with --into")
    if into:
        return show_drift(obj, environment, write)
    request = onboard.ExportRequest(
        name=environment,
        out=_output(obj, environment, out),
        extends=extends,
        force=force,
        new_target=_new_target(obj, environment, target_project, kratos_file),
    )
    result = onboard.export_environment(request, obj.settings)
    if request.out is None:
        click.echo(result.text, nl=False)
    for path in result.written:
        click.echo(f"Wrote {display_path(path)}", err=True)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    list_variables(result.export.variables)
    return EXIT_OK


def _output(obj: Context, environment: str, out: str | None) -> Path | None:
    if out == "-":
        return None
    if out is not None:
        return Path(out)
    try:
        return environment_path(obj.settings.root, environment)
    except ConfigError:  # a new environment: where it goes must be inside the repository
        written = f"environments/{environment}.yaml"
        return inside_repository(obj.settings.root, obj.settings.root / written, written, None)


def _new_target(
    obj: Context, environment: str, project: str | None, kratos_file: Path | None
) -> JSONObject | None:
    if project and kratos_file:
        raise click.UsageError("pass --target-project or --kratos-file, not both")
    if project:
        return {"ory_network": {"project": project}}
    if kratos_file:
        folder = (obj.settings.root / "environments").resolve()
        relative = Path(os.path.relpath(kratos_file.resolve(), folder))
        return {"kratos_file": {"path": relative.as_posix()}}
    return None

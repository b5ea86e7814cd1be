"""Drift, as ``reconciler adopt ENV`` shows it (and ``export ENV --into``, its older
spelling): live values that differ from what an environment declares, with the file and line
that declares each, taken into the environment's own file with ``--write`` (into the
declaring layer with ``--into-layer``)."""

from __future__ import annotations

import click

from reconciler.commands.context import EXIT_OK, Context
from reconciler.repository.paths import display_path
from reconciler.usecases import adopt as adoption
from reconciler.views import text as views


def show_drift(obj: Context, environment: str, write: bool, into_layer: bool = False) -> int:
    """Live values that differ from what ``environment`` declares; ``write`` takes them in
    (into the environment's own file; ``into_layer``: into the file that declares each)."""
    planned, drift = adoption.drift_of(environment, obj.settings, into_layer=into_layer)
    click.echo(f"Drift in {environment}: {planned.target}, live revision {planned.revision}")
    for item in drift.adoptions:
        live = views.display_value(
            adoption.as_written(item.live), item.pointer, planned, item.service
        )
        declared = views.display_value(item.declared, item.pointer, planned, item.service)
        where = f"{item.location.file}:{item.location.line}"
        named = planned.named(item.service, item.pointer)
        click.echo(f"  < {named}: {declared} ({where}) -> {live} (live)")
        _say_where_it_goes(environment, item)
    for skipped in drift.skipped:
        named = planned.named(skipped.service, skipped.pointer)
        click.echo(f"  = {named}: not adopted: {skipped.reason}")
    for unknown in drift.unknown:
        named = planned.named(unknown.service, unknown.pointer)
        click.echo(f"  ? {named}: not compared: {unknown.reason}")
    click.echo(f"{len(drift.adoptions)} to adopt, {len(drift.skipped)} not adoptable.")
    if write and drift.adoptions:
        for path in adoption.write_back(drift.adoptions):
            click.echo(f"Wrote {display_path(path)}", err=True)
    elif drift.adoptions:
        click.echo("Run again with --write to write the live values into these files.")
    return EXIT_OK


def _say_where_it_goes(environment: str, item: adoption.Adoption) -> None:
    """A value a shared layer declares: written where, and what else it changes."""
    if item.overrides is not None:
        click.echo(
            f"      goes into {display_path(item.file)}, overriding the shared layer "
            f"{display_path(item.overrides)} for {environment} only (--into-layer: into "
            f"{display_path(item.overrides)}, for every environment that extends it)"
        )
    elif item.also_changes:
        click.echo(
            f"      goes into the shared layer {display_path(item.file)}: it changes "
            f"{', '.join(item.also_changes)} too"
        )

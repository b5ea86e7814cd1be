"""The identity-count options of ``plan``, ``apply ENV`` and ``identities``
(docs/identity-counts.md), and the settings they make."""

from __future__ import annotations

from dataclasses import replace

import click

from reconciler.usecases.steps import Settings

IDENTITY_SAMPLE = click.option(
    "--identity-sample",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Read at most N identities per project (default: all); the output says it sampled.",
)
NO_IDENTITY_COUNTS = click.option(
    "--no-identity-counts",
    is_flag=True,
    help="Do not read the project's identities, even with ORY_PROJECT_API_KEY set.",
)


def counting(
    settings: Settings, *, sample: int | None, quiet: bool, enabled: bool = True
) -> Settings:
    """``settings`` counting identities (when a project key is set), progress on stderr
    unless ``quiet`` (``-q``)."""
    return replace(
        settings,
        identity_counts=enabled,
        identity_sample=sample,
        progress=None if quiet else lambda text: click.echo(text, err=True),
    )

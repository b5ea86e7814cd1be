"""The ``--identity-sample`` option of ``plan`` and ``identities`` (docs/identity-counts.md)."""

from __future__ import annotations

import click

IDENTITY_SAMPLE = click.option(
    "--identity-sample",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Read at most N identities per project (default: all); the output says it sampled.",
)

"""``reconciler show PLANFILE``: print a saved plan without applying it (no network)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.format_option import FORMAT
from reconciler.plan import planfile_reader
from reconciler.plan.value import PlanOutcome
from reconciler.views import Shown
from reconciler.views.formats import FORMATS, format_shown


@click.command(
    epilog=help_text.epilog(("RECONCILER_PLAN_KEY", "NO_COLOR"), help_text.WITHOUT_CHANGES)
)
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=FORMAT, default="text")
@click.pass_obj
def show(obj: Context, plan_file: Path, output_format: str) -> int:
    """Print a saved plan (from `plan --out`) as text, markdown or JSON. Reads nothing else:
    no environment files, no network. The plan is checked first: its integrity, its signature
    when RECONCILER_PLAN_KEY is set, and that what it shows is what its operations do."""
    saved = planfile_reader.read(plan_file, obj.settings.plan_key)
    outcome = PlanOutcome(name=saved.plan.environment, plan=saved.plan)
    # The checked file as it is: it holds no secret value (see docs/plan-format.md).
    documents = [plan_file.read_text(encoding="utf-8")] if FORMATS[output_format].documents else []
    shown = Shown([outcome], documents, color=obj.color)
    click.echo(format_shown(output_format, shown), nl=False)
    return EXIT_OK

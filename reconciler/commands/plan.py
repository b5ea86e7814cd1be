"""``reconciler plan ENV... | --all``"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from reconciler import redact
from reconciler.checks.identity_counts import SwitchCounts
from reconciler.commands import help_text
from reconciler.commands.context import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Context
from reconciler.commands.environment_arg import ENVIRONMENT
from reconciler.commands.format_option import FORMAT
from reconciler.commands.identity_options import (
    IDENTITY_SAMPLE,
    NO_IDENTITY_COUNTS,
    counting,
)
from reconciler.commands.progress import PlanProgress
from reconciler.jsontypes import JSONObject
from reconciler.plan import migration, planfile
from reconciler.plan.value import PlanOutcome
from reconciler.usecases import reconcile, steps
from reconciler.views import Shown, formats, markdown
from reconciler.views import migration as migration_view

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


@click.command(
    epilog=help_text.epilog(
        (*help_text.ONLINE, *help_text.PROJECT_API, "RECONCILER_PLAN_KEY", "GITHUB_STEP_SUMMARY")
    )
)
@click.argument("environments", nargs=-1, type=ENVIRONMENT)
@click.option("--all", "all_environments", is_flag=True, help="Plan every environment.")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan for `apply --plan` (JSON, mode 0600, no secret values).",
)
@click.option(
    "--migration-plan",
    "migration_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write which identities an identity schema switch would move and the trait "
    "transforms they need (Markdown, read-only, no identity data).",
)
@click.option("--format", "output_format", type=FORMAT, default="text")
@click.option(
    "--parallelism",
    type=click.IntRange(1, reconcile.MAX_PARALLELISM),
    default=None,
    help="At most this many environments at once (default: all; requests are paced to the "
    "API's rate limits either way).",
)
@click.option(
    "--shard",
    metavar="I/N",
    help="With --all: plan only shard I of N (1-based; an environment's shard depends on its "
    "name alone), so a CI job matrix can split many projects.",
)
@NO_IDENTITY_COUNTS
@IDENTITY_SAMPLE
@click.pass_obj
def plan(
    obj: Context,
    environments: tuple[str, ...],
    all_environments: bool,
    detailed_exitcode: bool,
    out: Path | None,
    migration_out: Path | None,
    output_format: str,
    parallelism: int | None,
    shard: str | None,
    no_identity_counts: bool,
    identity_sample: int | None,
) -> int:
    """Fetch live config, diff it with the desired state and print the plan. Never writes
    remotely; --out saves it for `apply --plan`."""
    names = _plan_names(obj, environments, all_environments)
    jobs = 1  # processes sharing the key: the other shards of the matrix run at once
    if shard is not None:
        if not all_environments:
            raise click.UsageError("--shard splits --all: pass --all with it")
        index, jobs = _shard(shard)
        names = steps.shard_names(names, index, jobs)
    if out is not None and len(names) != 1:
        raise click.UsageError("--out saves one plan: name exactly one environment")
    if migration_out is not None and len(names) != 1:
        raise click.UsageError("--migration-plan describes one plan: name exactly one environment")
    at_once = f"at most {parallelism} at a time" if parallelism else "all at once"
    obj.log(f"planning {len(names)} environment(s), {at_once}")
    settings = counting(
        obj.settings, sample=identity_sample, enabled=not no_identity_counts, quiet=obj.quiet
    )
    # One environment's plan is its own progress; several say each one as it is finished.
    progress = PlanProgress(quiet=obj.quiet or len(names) < 2)
    try:
        outcomes = reconcile.plan_many(
            names,
            settings,
            parallelism=parallelism,
            skip_layers=all_environments,
            progress=progress,
            jobs=jobs,
        )
    finally:
        progress.close()
    for outcome in outcomes:
        if outcome.plan is None:
            click.echo(f"{outcome.name}: error: {outcome.error}", err=True)
    wanted = out is not None or formats.FORMATS[output_format].documents
    documents = _documents(outcomes, obj.settings.plan_key) if wanted else {}
    # One document per line (JSON Lines): one environment's output is plain JSON.
    lines = [planfile.dumps(doc, indent=None) + "\n" for doc in documents.values()]
    shown = Shown(outcomes, lines, color=obj.color, verbose=obj.verbose)
    click.echo(formats.format_shown(output_format, shown), nl=False)
    if out is not None and documents:
        planfile.write(out, next(iter(documents.values())))
        click.echo(
            f"Saved the plan to {out}; apply it with: reconciler apply --plan {out}", err=True
        )
    if migration_out is not None:
        _write_migration_plan(migration_out, outcomes)
    _append_step_summary(obj, outcomes)
    return _exit_code(outcomes, detailed_exitcode)


def _write_migration_plan(path: Path, outcomes: Sequence[PlanOutcome]) -> None:
    made = [outcome.plan for outcome in outcomes if outcome.plan is not None]
    if not made:
        return  # the error is already said
    counted = made[0].identity_counts
    written = migration.migration_plan(made[0], SwitchCounts(counted) if counted else None)
    migration.write(path, migration_view.format_migration(written))
    count = len(written.switches)
    click.echo(
        f"Wrote the migration plan to {path} ({count} identity schema "
        f"switch{'' if count == 1 else 'es'}; read-only, nothing was moved)",
        err=True,
    )


def _plan_names(obj: Context, environments: tuple[str, ...], all_environments: bool) -> list[str]:
    if all_environments == bool(environments):
        raise click.UsageError("name one or more environments, or pass --all (not both)")
    if environments:
        return list(dict.fromkeys(environments))
    return steps.environment_names(obj.settings.root)


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        shard, shards = int(index), int(count)
    except ValueError:
        shard = shards = 0
    if not 1 <= shard <= shards:
        raise click.BadParameter(
            f"expected I/N with 1 <= I <= N, got {text!r}", param_hint="--shard"
        )
    return shard, shards


def _documents(outcomes: Sequence[PlanOutcome], key: str | None) -> dict[str, JSONObject]:
    return {
        outcome.name: planfile.document(outcome.plan, outcome.environment, key=key)
        for outcome in outcomes
        if outcome.plan is not None and outcome.environment is not None
    }


def _append_step_summary(obj: Context, outcomes: Sequence[PlanOutcome]) -> None:
    """In GitHub Actions, add the plan to the job's summary page as well."""
    path = obj.settings.environ.get(STEP_SUMMARY)
    if not path or not outcomes:
        return
    redact.append(Path(path), markdown.format_outcomes(outcomes) + "\n")


def _exit_code(outcomes: Sequence[PlanOutcome], detailed_exitcode: bool) -> int:
    if any(outcome.failed for outcome in outcomes):
        return EXIT_ERROR
    changed = any(o.plan is not None and not o.plan.is_empty for o in outcomes)
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK

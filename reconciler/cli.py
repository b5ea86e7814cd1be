"""Command line: parse options, call one use case, print its view, map errors to exit codes.

Exit codes (also in the README):
  0   success; with ``plan --detailed-exitcode``: success and no changes
  1   error: invalid configuration, lint error, API error, stale plan, refused apply
  2   only with ``plan --detailed-exitcode``: success, changes present
  64  usage error (unknown command or flag)
  130 interrupted
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler import __version__, reconcile, views
from reconciler.errors import ReconcilerError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130


@dataclass(frozen=True)
class Context:
    settings: reconcile.Settings
    color: bool
    verbose: bool

    def log(self, message: str) -> None:
        if self.verbose:
            click.echo(message, err=True)


def _color_enabled(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Repository root holding environments/ (default: current directory).",
)
@click.option(
    "--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True
)
@click.option(
    "--kratos-schema",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RECONCILER_KRATOS_SCHEMA",
    help="Official Kratos config.schema.json (defaults, validation).",
)
@click.option("-v", "--verbose", is_flag=True, help="Say what is happening on stderr.")
@click.pass_context
def cli(
    ctx: click.Context, root: Path, color: str, kratos_schema: Path | None, verbose: bool
) -> None:
    """Keep Ory identity config in git: validate, plan and apply per-environment YAML."""
    settings = reconcile.Settings(root=root, environ=dict(os.environ), kratos_schema=kratos_schema)
    ctx.obj = Context(settings=settings, color=_color_enabled(color), verbose=verbose)


@cli.command()
@click.argument("environments", nargs=-1)
@click.pass_obj
def validate(obj: Context, environments: tuple[str, ...]) -> int:
    """Load, merge and type-check environments (all when none is named). No network."""
    names = environments or tuple(reconcile.environment_names(obj.settings.root))
    failed = 0
    for name in names:
        try:
            reconcile.load(name, obj.settings)
        except ReconcilerError as exc:
            failed += 1
            click.echo(f"{name}: invalid", err=True)
            click.echo(_indent(str(exc)), err=True)
            continue
        click.echo(f"{name}: valid")
    return EXIT_ERROR if failed else EXIT_OK


@cli.command()
@click.argument("environment")
@click.pass_obj
def render(obj: Context, environment: str) -> int:
    """Print the desired identity config as YAML (secrets masked). No network."""
    from reconciler.secrets import mask
    from reconciler.yamlio import dump_plain

    valid = reconcile.load(environment, obj.settings)
    secret = reconcile.sensitive_pointers(valid)
    click.echo(dump_plain(mask(reconcile.render(valid), "", secret)), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("environments", nargs=-1)
@click.option("--all", "all_environments", is_flag=True, help="Plan every environment.")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are."
)
@click.pass_obj
def plan(
    obj: Context, environments: tuple[str, ...], all_environments: bool, detailed_exitcode: bool
) -> int:
    """Fetch live config, diff it with the desired state and print the plan. Never writes."""
    names = _plan_names(obj, environments, all_environments)
    failed, changed = 0, False
    for index, name in enumerate(names):
        if index:
            click.echo("")
        try:
            valid = reconcile.load(name, obj.settings)
            target = reconcile.open_target(valid, obj.settings)
            try:
                obj.log(f"{name}: reading {target.description}")
                result = reconcile.plan_environment(valid, target, obj.settings)
            finally:
                target.close()
        except ReconcilerError as exc:
            failed += 1
            click.echo(f"{name}: error: {exc}", err=True)
            continue
        changed = changed or not result.is_empty
        click.echo(views.format_plan(result, color=obj.color), nl=False)
    if failed:
        return EXIT_ERROR
    return EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK


def _plan_names(obj: Context, environments: tuple[str, ...], all_environments: bool) -> list[str]:
    if all_environments == bool(environments):
        raise click.UsageError("name one or more environments, or pass --all (not both)")
    if environments:
        return list(environments)
    return [
        name
        for name in reconcile.environment_names(obj.settings.root)
        if reconcile.load(name, obj.settings).model.target is not None
    ]


@cli.command()
@click.argument("environment")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.pass_obj
def apply(obj: Context, environment: str, yes: bool) -> int:
    """Plan, show the plan, ask for confirmation, apply it and verify the result."""
    valid = reconcile.load(environment, obj.settings)
    target = reconcile.open_target(valid, obj.settings)
    try:
        planned = reconcile.plan_environment(valid, target, obj.settings)
        click.echo(views.format_plan(planned, color=obj.color), nl=False)
        if planned.is_empty:
            return EXIT_OK
        if not yes and not _confirmed(environment):
            click.echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        obj.log(f"{environment}: applying {len(planned.operations)} operation(s)")
        result = reconcile.apply_plan(planned, valid, target, obj.settings)
    finally:
        target.close()
    if result.outcome.warnings:
        click.echo(views.format_warnings(result.outcome.warnings), err=True, nl=False)
    click.echo(views.applied(planned, result.outcome.state.revision), nl=False)
    return EXIT_OK


def _confirmed(environment: str) -> bool:
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs confirmation but standard input is not a terminal; "
            "pass --yes to apply without asking"
        )
    answer: str = click.prompt(
        f"Apply these changes to {environment}? Only 'yes' is accepted", default="", err=True
    )
    return answer.strip() == "yes"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (see the module docstring)."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except (click.Abort, KeyboardInterrupt):
        click.echo("\nInterrupted.", err=True)
        return EXIT_INTERRUPTED
    except ReconcilerError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # a bug: say so plainly; the traceback only on request
        click.echo(f"Unexpected error (a bug in reconciler): {type(exc).__name__}", err=True)
        if verbose:
            traceback.print_exc()
        else:
            click.echo("Run again with -v for the traceback, and please report it.", err=True)
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK

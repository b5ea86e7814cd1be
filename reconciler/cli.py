"""Command line: the group, its global options, and the one place errors become exit codes.

Each sub-command lives in ``reconciler/commands/<name>.py``; register new ones in ``COMMANDS``.

Exit codes and the environment variables read: ``reconciler/commands/help_text.py`` (the
README says the same; a test keeps them in step).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from reconciler import __version__, redact
from reconciler.commands import help_text
from reconciler.commands.context import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Context,
    color_enabled,
)
from reconciler.errors import InterruptedWriteError, ReconcilerError, Terminated
from reconciler.redact import RedactingStream

# name -> "module:attribute". Commands are imported when used, so `--version` and `--help`
# do not pay for the schema libraries and httpx (cold start stays close to bare Python).
COMMANDS: dict[str, str] = {
    "init": "reconciler.commands.init:init",
    "validate": "reconciler.commands.validate:validate",
    "render": "reconciler.commands.render:render",
    "plan": "reconciler.commands.plan:plan",
    "apply": "reconciler.commands.apply:apply",
    "export": "reconciler.commands.export:export_command",
    "adopt": "reconciler.commands.adopt:adopt",
    "diff": "reconciler.commands.diff:diff",
    "restore": "reconciler.commands.restore:restore",
    "show": "reconciler.commands.show:show",
    "identities": "reconciler.commands.identities:identities",
}


class LazyGroup(click.Group):
    """Loads commands when used, and accepts the group's options after the command too
    (``plan prod --color never -v``), as terraform, kubectl and the Ory CLI do."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, args))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


def hoist_global_options(group: click.Group, args: list[str]) -> list[str]:
    """Move the group's own options found after the command name to before it.

    Stops at ``--``; ``--help`` and ``--version`` stay where they are (``plan --help`` is the
    command's help)."""
    takes_value: dict[str, bool] = {}
    for param in group.params:
        if isinstance(param, click.Option) and param.expose_value:
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not param.is_flag
    position = _command_position(args, takes_value)
    if position is None:
        return args
    head, command, tail = args[:position], args[position], args[position + 1 :]
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(tail):
        token = tail[index]
        if token == "--":
            rest.extend(tail[index:])
            break
        name = token.split("=", 1)[0]
        if name in takes_value:
            width = 2 if takes_value[name] and "=" not in token else 1
            hoisted.extend(tail[index : index + width])
            index += width
            continue
        rest.append(token)
        index += 1
    return [*head, *hoisted, command, *rest]


def _command_position(args: list[str], takes_value: dict[str, bool]) -> int | None:
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            return None
        if not token.startswith("-"):
            return index
        index += 2 if takes_value.get(token, False) else 1
    return None


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=help_text.epilog(),
)
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Repository root holding environments/ (default: current directory).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the output; 'always' keeps it when piped (CI logs). NO_COLOR means never.",
)
@click.option("--no-color", is_flag=True, help="Same as --color never.")
@click.option(
    "--kratos-schema",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RECONCILER_KRATOS_SCHEMA",
    help="A Kratos config.schema.json to check against instead of the shipped one.",
)
@click.option(
    "--kratos-version",
    metavar="vX.Y.Z",
    envvar="RECONCILER_KRATOS_VERSION",
    callback=lambda ctx, param, value: _kratos_version(value),
    help="Judge Kratos files by this Kratos release (default: the one their `version:` "
    "names); `validate` then also lists what each Kratos file must change for it.",
)
@click.option(
    "--rotate-secrets",
    is_flag=True,
    help="Send declared write-only values (secrets, keys Ory never returns) again.",
)
@click.option("-v", "--verbose", is_flag=True, help="Say what is happening on stderr.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress on stderr (plan of several environments, apply); results and errors "
    "still print.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    root: Path,
    color: str,
    no_color: bool,
    kratos_schema: Path | None,
    kratos_version: str | None,
    rotate_secrets: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Keep Ory identity config in git: validate, plan and apply per-environment YAML."""
    from reconciler.usecases import steps

    if kratos_schema is not None and kratos_version is not None:
        raise click.UsageError(
            "--kratos-schema and --kratos-version both say which schema to judge by: "
            "give one (RECONCILER_KRATOS_SCHEMA and RECONCILER_KRATOS_VERSION set them too)"
        )
    settings = steps.Settings(
        root=root,
        environ=dict(os.environ),
        kratos_schema=kratos_schema,
        kratos_version=kratos_version,
        rotate_secrets=rotate_secrets,
    )
    colored = color_enabled("never" if no_color else color)
    # click strips ANSI codes from output that is not a terminal unless the context says
    # otherwise: --color always must survive a pipe.
    ctx.color = colored
    ctx.obj = Context(settings=settings, color=colored, verbose=verbose, quiet=quiet)
    _log_to_stderr(verbose)


def _kratos_version(value: str | None) -> str | None:
    """A Kratos release as the config's ``version:`` spells it (``v0.8.2-alpha.1``)."""
    from reconciler.official import releases

    if value is not None and releases.version_key(value) is None:
        raise click.BadParameter(
            f"{value!r} is no Kratos version: write it as the config's `version:` does "
            "(e.g. v26.2.0 or v0.8.2-alpha.1)",
            param_hint="'--kratos-version'",
        )
    return value


class _EchoHandler(logging.Handler):
    """Library log records (retries, pauses) as plain lines on stderr, scrubbed like the rest."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _log_to_stderr(verbose: bool) -> None:
    # Replaced, not added to: the CLI may run many times in one process (tests).
    logger = logging.getLogger("reconciler")
    logger.handlers = [_EchoHandler()] if verbose else []
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (see the module docstring)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    stdout, stderr = sys.stdout, sys.stderr
    with redact.session():
        redact.register(os.environ.get("ORY_WORKSPACE_API_KEY"))
        redact.register(os.environ.get("RECONCILER_PLAN_KEY"))
        redact.register(os.environ.get("ORY_PROJECT_API_KEY"))
        sys.stdout, sys.stderr = RedactingStream(stdout), RedactingStream(stderr)
        try:
            with _sigterm_raises():
                return _run(arguments)
        finally:
            sys.stdout, sys.stderr = stdout, stderr


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` in the main thread, as SIGINT raises KeyboardInterrupt:
    a write in flight is then judged (landed or not) and every run ends with a message and
    exit 143 instead of a silent death. Only the main thread may set a handler; the previous
    one is put back (tests run the CLI many times in one process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(arguments: list[str]) -> int:
    try:
        code = cli.main(args=arguments, prog_name="reconciler", standalone_mode=False)
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
    except Terminated:
        click.echo("Terminated.", err=True)
        return EXIT_TERMINATED
    except InterruptedWriteError as exc:  # a write was in flight: whether it landed
        click.echo(f"\n{exc}", err=True)
        return exc.exit_code
    except ReconcilerError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except Exception as exc:  # a bug: say so plainly; the traceback only on request
        click.echo(f"Unexpected error (a bug in reconciler): {type(exc).__name__}", err=True)
        if "-v" in arguments or "--verbose" in arguments:
            traceback.print_exc()
        else:
            click.echo("Run again with -v for the traceback, and please report it.", err=True)
        return EXIT_ERROR
    return code if isinstance(code, int) else EXIT_OK

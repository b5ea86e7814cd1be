"""``reconciler init [DIR] [--from-project ID | --kratos-file PATH]``"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import click

from reconciler.commands import help_text
from reconciler.commands.context import EXIT_OK, Context
from reconciler.commands.output import list_variables
from reconciler.errors import ConfigError
from reconciler.jsontypes import JSONObject
from reconciler.loading import loader
from reconciler.repository.atomic import write_atomically
from reconciler.repository.paths import display_path
from reconciler.usecases import onboard, scaffold


@click.command(epilog=help_text.epilog(help_text.API))
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--env", "environment", default="dev", show_default=True, help="Its name.")
@click.option("--from-project", metavar="ID", help="Export this Ory Network project into it.")
@click.option(
    "--kratos-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Its target: this Kratos config file (inside DIR).",
)
@click.option(
    "--drift-watch",
    is_flag=True,
    help="Only add the scheduled drift-watch workflow (docs/ci.md) for the environments here.",
)
@click.pass_obj
def init(
    obj: Context,
    directory: Path | None,
    environment: str,
    from_project: str | None,
    kratos_file: Path | None,
    drift_watch: bool,
) -> int:
    """Start a config repository in DIR (default: --dir): environments/ with a base layer
    and one environment, schemas/, hooks/, .gitignore and a GitHub workflow. Never
    overwrites a file. With --from-project, the project's config is exported into it."""
    if from_project and kratos_file:
        raise click.UsageError("pass --from-project or --kratos-file, not both")
    root = directory if directory is not None else obj.settings.root
    if drift_watch:
        if from_project or kratos_file:
            raise click.UsageError("--drift-watch adds a workflow only: no --from-project")
        return _add_drift_watch(root, environment)
    target = _target(root, from_project, kratos_file)
    files = scaffold.repository_files(environment, None if from_project else target)
    _refuse_existing(root, files)
    for file in files:
        if _write_new(root / file.path, file.content):
            click.echo(f"Wrote {display_path(root / file.path)}", err=True)
    if from_project:
        _export(obj, root, environment, target)
    _next_steps(root, environment, target)
    return EXIT_OK


def _add_drift_watch(root: Path, environment: str) -> int:
    """Write the drift-watch workflow for the environments with a target (else ``--env``)."""
    names = _targeted_environments(root) or [environment]
    file = scaffold.ScaffoldFile(scaffold.DRIFT_WORKFLOW_PATH, scaffold.drift_workflow(names))
    _refuse_existing(root, (file,))
    if _write_new(root / file.path, file.content):
        click.echo(f"Wrote {display_path(root / file.path)}", err=True)
    click.echo(f"Drift watch for {', '.join(names)}: push it; it runs every day (docs/ci.md)")
    return EXIT_OK


def _targeted_environments(root: Path) -> list[str]:
    """The environments whose file declares a target (a shared layer has none)."""
    try:
        files = loader.environment_files(root)
    except ConfigError:
        return []
    targeted = re.compile(r"^target:", re.MULTILINE)
    return [path.stem for path in files if targeted.search(path.read_text(encoding="utf-8"))]


def _target(root: Path, project: str | None, kratos_file: Path | None) -> JSONObject | None:
    if project:
        return {"ory_network": {"project": project}}
    if kratos_file is None:
        return None
    folder = (root / "environments").resolve()
    absolute = kratos_file.resolve()
    if not absolute.is_relative_to(root.resolve()):
        raise ConfigError(
            [f"{kratos_file}: a kratos_file target must be inside the repository {root}"]
        )
    return {"kratos_file": {"path": Path(os.path.relpath(absolute, folder)).as_posix()}}


def _refuse_existing(root: Path, files: tuple[scaffold.ScaffoldFile, ...]) -> None:
    """Refuse before writing anything when a file is there with other content."""
    clashes = [
        root / file.path
        for file in files
        if (root / file.path).exists()
        and (root / file.path).read_text(encoding="utf-8") != file.content
    ]
    if clashes:
        raise ConfigError(
            [f"{display_path(path)} exists; init never overwrites a file" for path in clashes]
        )


def _write_new(path: Path, content: str) -> bool:
    if path.exists():
        return False  # the same content: nothing to do
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, content, 0o644)
    return True


def _export(obj: Context, root: Path, environment: str, target: JSONObject | None) -> None:
    """Export live into environments/ENV.yaml, over the (empty) base layer."""
    request = onboard.ExportRequest(
        name=environment, out=None, extends=scaffold.BASE_LAYER, new_target=target
    )
    result = onboard.export_environment(request, replace(obj.settings, root=root))
    path = root / "environments" / f"{environment}.yaml"
    write_atomically(path, scaffold.environment_header(environment) + result.text, 0o644)
    for written in result.written:
        click.echo(f"Wrote {display_path(written)}", err=True)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    list_variables(result.export.variables)


def _next_steps(root: Path, environment: str, target: JSONObject | None) -> None:
    click.echo(f"Initialised a config repository in {display_path(root) or '.'}")
    click.echo("Next:")
    if root.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {root}")
    if target is None:
        click.echo(f"  declare the target in environments/{environment}.yaml, then")
    click.echo("  reconciler validate")
    click.echo(f"  reconciler plan {environment}")
    click.echo("  push it and add the ORY_WORKSPACE_API_KEY secret for the workflow (docs/ci.md)")

"""``reconciler init [DIR] [--from-project ID | --kratos-file PATH]``"""

from __future__ import annotations

import os
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
from reconciler.usecases import onboard, read_only, scaffold
from reconciler.usecases.steps import Settings


@click.command(epilog=help_text.epilog(help_text.API, help_text.WITHOUT_CHANGES))
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
    and one environment, schemas/, hooks/, .gitignore and a GitHub workflow. In an existing
    repository, add the environment: every file already there is left as it is (the
    workflow's environment lists are extended when it is the one init wrote, untouched;
    otherwise init says which lines to change). Never overwrites a file. With
    --from-project, the project's config is exported into it."""
    if from_project and kratos_file:
        raise click.UsageError("pass --from-project or --kratos-file, not both")
    root = directory if directory is not None else obj.settings.root
    if drift_watch:
        if from_project or kratos_file:
            raise click.UsageError("--drift-watch adds a workflow only: no --from-project")
        return _add_drift_watch(replace(obj.settings, root=root), environment)
    target = _target(root, from_project, kratos_file)
    files = scaffold.repository_files(environment, None if from_project else target)
    _refuse_existing(root, files, environment)
    existing = (root / "environments").is_dir() and loader.environment_files(root)
    there = (root / scaffold.environment_path(environment)).exists()
    for file in files:
        path = root / file.path
        if not path.exists():
            _write_new(path, file.content)
            click.echo(f"Wrote {display_path(path)}", err=True)
        elif file.path == scaffold.WORKFLOW_PATH:
            _add_to_workflow(path, environment)
        elif file.path == scaffold.GITIGNORE_PATH:
            _check_gitignore(path, file.content)
    if from_project:
        _export(obj, root, environment, target)
    click.echo(_headline(root, environment, new_repository=not existing, there=there))
    _next_steps(root, environment, target, added=bool(existing))
    return EXIT_OK


def _add_drift_watch(settings: Settings, environment: str) -> int:
    """Write the drift-watch workflow for the environments with a target (else ``--env``)."""
    root = settings.root
    try:
        targeted = read_only.targeted_environments(settings)
    except ConfigError:  # no environments/ yet
        targeted = {}
    names = [name for name, raw in targeted.items() if raw is not None] or [environment]
    file = scaffold.ScaffoldFile(scaffold.DRIFT_WORKFLOW_PATH, scaffold.drift_workflow(names))
    path = root / file.path
    _refuse_clashes([path] if _differs(path, file.content) else [])
    if not path.exists():
        _write_new(path, file.content)
        click.echo(f"Wrote {display_path(path)}", err=True)
    click.echo(f"Drift watch for {', '.join(names)}: push it; it runs every day (docs/ci.md)")
    return EXIT_OK


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


def _refuse_existing(
    root: Path, files: tuple[scaffold.ScaffoldFile, ...], environment: str
) -> None:
    """Refuse before writing anything when the environment is there already (with other
    content); every other file already there is the repository's, kept as it is."""
    own = scaffold.environment_path(environment)
    _refuse_clashes(
        [root / f.path for f in files if f.path == own and _differs(root / f.path, f.content)]
    )


def _differs(path: Path, content: str) -> bool:
    """There is a file at ``path`` and it holds something else."""
    return path.exists() and path.read_text(encoding="utf-8") != content


def _refuse_clashes(paths: list[Path]) -> None:
    if paths:
        raise ConfigError(
            [f"{display_path(path)} exists; init never overwrites a file" for path in paths]
        )


def _write_new(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, content, 0o644)


def _add_to_workflow(path: Path, environment: str) -> None:
    """The new environment in the workflow's lists: rewritten when it is init's own,
    untouched, else the lines to change said exactly (it is the user's file)."""
    edit = scaffold.workflow_with(path.read_text(encoding="utf-8"), environment)
    shown = display_path(path)
    if edit.text is not None:
        write_atomically(path, edit.text, path.stat().st_mode & 0o7777)
        click.echo(f"Updated {shown}: it plans and applies {environment} too", err=True)
        return
    if not edit.lines:
        lists = "already lists it" if _lists(path, environment) else "lists no environments"
        click.echo(f"Kept {shown} as it is: it {lists}", err=True)
        return
    click.echo(
        f"Kept {shown} as it is (changed since init wrote it); to plan and apply "
        f"{environment} in CI, change:",
        err=True,
    )
    for number, line, wanted in edit.lines:
        click.echo(f"  line {number}: {line.strip()}\n       -> {wanted.strip()}", err=True)


def _lists(path: Path, environment: str) -> bool:
    return environment in path.read_text(encoding="utf-8").split()


def _check_gitignore(path: Path, content: str) -> None:
    kept = path.read_text(encoding="utf-8").splitlines()
    missing = [line for line in content.splitlines() if line not in kept]
    if missing:
        click.echo(
            f"Kept {display_path(path)} as it is; add {', '.join(missing)} to it (backups, "
            "caches and saved plans stay out of git)",
            err=True,
        )


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


def _headline(root: Path, environment: str, *, new_repository: bool, there: bool) -> str:
    where = display_path(root) or "."
    if new_repository:
        return f"Initialised a config repository in {where}"
    if there:  # the same content as init writes (another is refused before)
        return f"The environment {environment} is in the config repository in {where} already"
    return f"Added the environment {environment} to the config repository in {where}"


def _next_steps(root: Path, environment: str, target: JSONObject | None, added: bool) -> None:
    click.echo("Next:")
    if root.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {root}")
    if target is None:
        click.echo(f"  declare the target in environments/{environment}.yaml, then")
    click.echo("  reconciler validate")
    click.echo(f"  reconciler plan {environment}")
    if added:
        click.echo(
            f"  create the GitHub Environments {environment} and {environment}-allow-weaken "
            "for the workflow's apply job (docs/ci.md)"
        )
    else:
        click.echo(
            "  push it and add the ORY_WORKSPACE_API_KEY secret for the workflow (docs/ci.md)"
        )

"""``.reconciler/`` (backups, cache) keeps itself out of git; ``restore --list`` shows backups."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import workdir

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]


def _env(server: OryTestServer) -> dict[str, str]:
    return {"ORY_WORKSPACE_API_KEY": server.workspace_key, "ORY_CONSOLE_API_URL": server.base_url}


def _environment(write: Write, server: OryTestServer, lifespan: str) -> None:
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {server.project_id}}}}}\n"
        f"identity_config:\n  session: {{lifespan: {lifespan}}}\n",
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_backups_never_reach_git_add_and_restore_lists_them_newest_first(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    first_revision = ory_server.revision()
    _environment(write, ory_server, "12h")
    assert run("apply", "dev", "--yes", env=_env(ory_server)).code == 0
    second_revision = ory_server.revision()
    _environment(write, ory_server, "6h")
    assert run("apply", "dev", "--yes", env=_env(ory_server)).code == 0

    assert (tmp_path / ".reconciler" / ".gitignore").read_text().splitlines()[-1] == "*"
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert staged == ["environments/dev.yaml"]

    listed = run("restore", "dev", "--list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert len(lines) == 2
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    assert re.match(rf"{date}  .*backups/dev/{second_revision}\.json  \(revision ", lines[0])
    assert lines[1].endswith(f"(revision {first_revision})")


def test_restore_list_without_backups_and_usage(tmp_path: Path, write: Write, run: Run) -> None:
    write("environments/dev.yaml", "identity_config: {session: {lifespan: 1h}}\n")
    assert run("restore", "dev", "--list").out.startswith("No backups of dev yet")
    assert run("restore", "dev").code == 64
    assert run("restore", "dev", "x.json", "--list").code == 64


def test_the_content_cache_folder_ignores_itself_too(tmp_path: Path) -> None:
    folder = workdir.make_folder(workdir.path(tmp_path, "cache", "content"))
    assert folder.is_dir()
    assert (tmp_path / ".reconciler" / ".gitignore").read_text() == workdir.GITIGNORE

"""``.reconciler/`` (backups, cache) keeps itself out of git; ``restore --list`` shows backups."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.repository import workdir
from reconciler.repository.atomic import write_atomically

from conftest import Run
from ory_server import OryTestServer

Write = Callable[[str, str], Path]


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
    assert run("apply", "dev", "--yes", env=ory_server.cli_env()).code == 0
    second_revision = ory_server.revision()
    _environment(write, ory_server, "6h")
    assert run("apply", "dev", "--yes", env=ory_server.cli_env()).code == 0

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


# --- never through a link (issue 21, item 7) -----------------------------------------------


def _runner_folder(tmp_path: Path) -> Path:
    outside = tmp_path.parent / f"{tmp_path.name}-runner"
    outside.mkdir()
    return outside


@pytest.mark.parametrize(
    "linked", [".reconciler", ".reconciler/backups", ".reconciler/backups/dev"]
)
def test_apply_writes_no_backup_through_a_link_and_changes_nothing(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer, linked: str
) -> None:
    outside = _runner_folder(tmp_path)
    _environment(write, ory_server, "12h")
    (tmp_path / linked).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / linked).symlink_to(outside, target_is_directory=True)
    before = ory_server.revision()
    result = run("apply", "dev", "--yes", env=ory_server.cli_env())
    assert result.code == 1
    assert f"{linked} is a symbolic link" in result.err
    assert list(outside.iterdir()) == []  # nothing written where the link leads
    assert ory_server.revision() == before and ory_server.writes() == []


def test_rotation_state_is_not_read_through_a_link(
    tmp_path: Path, write: Write, run: Run, ory_server: OryTestServer
) -> None:
    outside = _runner_folder(tmp_path)
    (outside / "dev.json").write_text('{"format": 1, "target": "x", "rotated": {}}')
    write(
        "environments/dev.yaml",
        f"target: {{ory_network: {{project: {ory_server.project_id}}}}}\n"
        "identity_config: {courier: {smtp: {connection_uri: 'smtps://a:${PW}@m.test:465'}}}\n"
        "rotate: {/courier/smtp/connection_uri: 2}\n",
    )
    (tmp_path / ".reconciler").mkdir()
    (tmp_path / ".reconciler" / "state").symlink_to(outside, target_is_directory=True)
    result = run("plan", "dev", env={**ory_server.cli_env(), "PW": "secret-pw-1"})
    assert result.code == 1
    assert ".reconciler/state is a symbolic link" in result.err


def test_make_folder_refuses_every_link_below_its_own_folder(tmp_path: Path) -> None:
    outside = _runner_folder(tmp_path)
    (tmp_path / ".reconciler" / "cache").mkdir(parents=True)
    (tmp_path / ".reconciler" / "cache" / "content").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"\.reconciler/cache/content is a symbolic link"):
        workdir.make_folder(workdir.path(tmp_path, "cache", "content", "more"))
    (tmp_path / ".reconciler" / ".gitignore").symlink_to(outside / "ignore")
    with pytest.raises(ConfigError, match=r"\.reconciler/\.gitignore is a symbolic link"):
        workdir.make_folder(workdir.path(tmp_path, "plans"))
    assert list(outside.iterdir()) == []


def test_read_bytes_reads_only_plain_files_of_a_bounded_size(tmp_path: Path) -> None:
    outside = _runner_folder(tmp_path)
    (outside / "secret").write_text("runner's")
    folder = workdir.make_folder(workdir.path(tmp_path, "state"))
    (folder / "linked.json").symlink_to(outside / "secret")
    with pytest.raises(ConfigError, match=r"linked\.json is a symbolic link"):
        workdir.read_bytes(folder / "linked.json", 100)
    os.mkfifo(folder / "pipe.json")  # opening it must not wait for a writer
    with pytest.raises(ConfigError, match=r"pipe\.json is not a plain file"):
        workdir.read_bytes(folder / "pipe.json", 100)
    (folder / "big.json").write_bytes(b"x" * 101)
    with pytest.raises(ConfigError, match=r"big\.json is larger than 100 bytes"):
        workdir.read_bytes(folder / "big.json", 100)
    assert workdir.read_bytes(folder / "missing.json", 100) is None
    (folder / "plain.json").write_bytes(b"{}")
    assert workdir.read_bytes(folder / "plain.json", 100) == b"{}"


def test_no_file_below_its_own_folder_is_written_through_a_link(tmp_path: Path) -> None:
    """A saved plan in CI, a downloaded reviewed plan: a committed link in their place is
    refused, and where it leads stays untouched."""
    outside = _runner_folder(tmp_path)
    (outside / "target").write_text("runner's")
    folder = workdir.make_folder(workdir.path(tmp_path, "reviewed"))
    (folder / "dev.json").symlink_to(outside / "target")
    with pytest.raises(ConfigError, match=r"dev\.json is a symbolic link"):
        write_atomically(folder / "dev.json", b"{}", 0o600)
    assert (outside / "target").read_text() == "runner's"

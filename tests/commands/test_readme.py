"""The README's promises: two commands on a fresh machine, and CI runs the documented one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_exactly_make_demo_and_make_test() -> None:
    assert _quick_start_commands() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_every_command_is_documented_and_has_help() -> None:
    import click

    from reconciler.cli import cli

    context = click.Context(cli)
    names = cli.list_commands(context)
    assert {"validate", "render", "plan", "apply", "export", "adopt", "diff", "restore"} <= set(
        names
    )
    for name in names:
        command = cli.get_command(context, name)
        assert command is not None and command.help, name
        assert f"reconciler {name}" in README, name


@pytest.mark.network
@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="no git/make"
)
def test_make_demo_works_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "ORY_"))}
    result = subprocess.run(
        ["make", "demo"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Plan: " in result.stdout
    last_plan = result.stdout.rsplit("plan local --detailed-exitcode", 1)[1]
    assert "No changes." in last_plan
    assert "Converged:" in result.stdout

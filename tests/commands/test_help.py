"""Every command's --help names the variables it reads and the exit codes it can return; the
README's tables say the same as the one home of that text (reconciler/commands/help_text.py)."""

from __future__ import annotations

import re

import click
import pytest

from reconciler.cli import cli
from reconciler.commands.help_text import EXIT_CODES, VARIABLES

from conftest import REPO_ROOT, Run

README = (REPO_ROOT / "README.md").read_text()
NETWORK_COMMANDS = ("plan", "apply", "export", "adopt", "diff", "restore")


def _commands() -> list[str]:
    return cli.list_commands(click.Context(cli))


@pytest.mark.parametrize("command", _commands())
def test_every_help_lists_variables_and_exit_codes(run: Run, command: str) -> None:
    result = run(command, "--help")
    assert result.code == 0
    variables = result.out.split("Environment variables:", 1)[1].split("Exit codes:", 1)[0]
    if command in NETWORK_COMMANDS:
        for name in ("ORY_WORKSPACE_API_KEY", "ORY_CONSOLE_API_URL", "RECONCILER_TIMEOUT"):
            assert f"  {name}  " in variables, (command, name)
    table = result.out.split("Exit codes:", 1)[1].split("\n\n", 1)[0]
    shown = {int(code): meaning for code, meaning in re.findall(r"^\s+(\d+)\s+(.+)$", table, re.M)}
    # Only what the command can return: 2 only from plan --detailed-exitcode.
    expected = dict(EXIT_CODES) if command == "plan" else {**dict(EXIT_CODES), 0: "success"}
    if command != "plan":
        del expected[2]
    assert shown == expected, command
    assert "before or after the command" in result.out


def test_the_group_help_lists_every_exit_code(run: Run) -> None:
    result = run("--help")
    for code, meaning in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s+{re.escape(meaning)}$", result.out, re.M), code


def test_the_group_help_lists_every_variable(run: Run) -> None:
    result = run("--help")
    for name, meaning in VARIABLES.items():
        assert re.search(rf"^\s+{re.escape(name)}\s+{re.escape(meaning)}$", result.out, re.M)


def _table(heading: str) -> dict[str, str]:
    section = README.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", section, re.M)
    return {key.strip("`"): value.replace("`", "") for key, value in rows[1:]}


def test_the_readme_tables_say_what_help_says() -> None:
    codes = _table("Exit codes")
    assert codes == {str(code): meaning for code, meaning in EXIT_CODES}
    variables = _table("Variables")
    assert set(variables) == set(VARIABLES)
    for name, meaning in VARIABLES.items():
        assert variables[name].startswith(meaning.replace("`", "")), name

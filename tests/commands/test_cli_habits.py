"""CLI habits users bring from terraform, kubectl and the Ory CLI: global options anywhere,
colour that survives a pipe when asked for, a prompt without clutter."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.shell_completion import ShellComplete

from reconciler.cli import cli
from reconciler.commands.output import confirmed

from conftest import Run

ENV = {"LOGIN_HOOK_KEY": "hook-key-for-tests"}
BIN = Path(sys.executable).parent


def _piped(example_repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script with stdout and stderr going to pipes, as in a CI log."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "LOGIN_HOOK_KEY": "hook-key-for-tests",
    }
    return subprocess.run(
        ["reconciler", *args],
        cwd=example_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "local", "--color", "never", "-v"),
        ("plan", "local", "--color=never", "--verbose"),
        ("plan", "-v", "local", "--no-color"),
        ("--color", "never", "plan", "local", "-v"),
    ],
)
def test_global_options_work_before_or_after_the_command(
    example_repo: Path, run: Run, args: tuple[str, ...]
) -> None:
    result = run(*args, env=ENV)
    assert result.code == 0, result.err
    assert "planning 1 environment(s)" in result.err  # -v took effect
    assert "Environment local: Kratos config file" in result.out


def test_color_always_keeps_ansi_codes_when_piped(example_repo: Path) -> None:
    for args in (("plan", "local", "--color", "always"), ("--color", "always", "plan", "local")):
        result = _piped(example_repo, *args)
        assert result.returncode == 0, result.stderr
        assert "\x1b[1mEnvironment local" in result.stdout
    assert "\x1b[" not in _piped(example_repo, "plan", "local").stdout  # auto: a pipe is plain


def test_options_after_a_double_dash_are_not_global(example_repo: Path, run: Run) -> None:
    result = run("validate", "--", "-v", env=ENV)
    assert result.code == 1
    assert "unknown environment '-v'" in result.err


def test_help_after_the_command_is_the_command_help(run: Run) -> None:
    result = run("plan", "--help")
    assert result.code == 0
    assert "Usage: reconciler plan" in result.out


def test_an_interrupted_prompt_shows_no_empty_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(""))  # end of input, as after Ctrl-D
    with pytest.raises(click.Abort):
        confirmed("prod")
    prompt = capsys.readouterr().err
    assert prompt.startswith("Apply these changes to prod? Only 'yes' is accepted:")
    assert "[]" not in prompt


@pytest.mark.parametrize("written", ["environments/local.yaml", "local.yaml", "local"])
def test_an_environment_can_be_named_by_its_file(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch, run: Run, written: str
) -> None:
    monkeypatch.chdir(example_repo)
    result = run("render", written, env=ENV)
    assert result.code == 0, result.err
    assert "issuer: Acme" in result.out


def test_a_file_outside_environments_is_a_usage_error(example_repo: Path, run: Run) -> None:
    result = run("render", "schemas/customer-v1.schema.json")
    assert result.code == 64
    assert "is not a file in" in result.err


def test_an_unknown_environment_gets_the_closest_name(example_repo: Path, run: Run) -> None:
    result = run("plan", "prd")
    assert result.code == 1
    assert "unknown environment 'prd' (known: base, dev, local, prod); did you mean 'prod'?" in (
        result.err
    )
    assert "did you mean" not in run("plan", "zzz").err


def _complete(cwd: Path, *words: str) -> list[str]:
    """What the shell gets for the last word (click's completion, as `_RECONCILER_COMPLETE`
    runs it), from the folder the user is in."""
    complete = ShellComplete(cli, {}, "reconciler", "_RECONCILER_COMPLETE")
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return [item.value for item in complete.get_completions(list(words[:-1]), words[-1])]
    finally:
        os.chdir(previous)


def test_shell_completion_of_commands_and_environment_names(example_repo: Path) -> None:
    assert _complete(example_repo, "pl") == ["plan"]
    assert _complete(example_repo, "plan", "") == ["base", "dev", "local", "prod"]
    assert _complete(example_repo, "diff", "dev", "p") == ["prod"]
    elsewhere = ["--dir", str(example_repo), "apply", "d"]
    assert _complete(example_repo / "schemas", *elsewhere) == ["dev"]
